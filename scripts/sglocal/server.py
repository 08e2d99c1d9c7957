"""An HTTP server on 127.0.0.1 that plays API Gateway (REST, proxy integration) for
the functions in template.yaml: token authorizer, IAM authorization of the admin
routes (Signature Version 4 with the local admin credentials) and gateway
responses included."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .events import build_proxy_event, build_token_authorizer_event
from .runtime import FunctionRunner
from .sigv4 import AdminCredentials, SignatureRejected, header_value, verify
from .template import AUTH_IAM, AUTH_TOKEN, TemplateSpec

logger = logging.getLogger("sglocal")

# API Gateway rejects bodies above 10 MB before any function runs.
MAX_BODY_BYTES = 10 * 1024 * 1024


class AuthorizerCache:
    """Policies cached per token for the authorizer's TTL, as API Gateway does."""

    def __init__(self, ttl_s: int) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(token)
            if entry and entry[0] > time.monotonic():
                return entry[1]
            self._entries.pop(token, None)
            return None

    def put(self, token: str, policy: dict[str, Any]) -> None:
        if self.ttl_s > 0:
            with self._lock:
                self._entries[token] = (time.monotonic() + self.ttl_s, policy)


class GatewayRejection(Exception):
    """API Gateway returns one of its own gateway responses without calling a function."""

    def __init__(self, response_type: str, default_status: int, message: str) -> None:
        super().__init__(message)
        self.response_type = response_type
        self.default_status = default_status
        self.message = message


class LocalApiGateway:
    def __init__(self, template: TemplateSpec, stage: str = "local", admin_credentials: AdminCredentials | None = None) -> None:
        self.template = template
        self.stage = stage
        # Without credentials, every IAM-authorized route is refused.
        self.admin_credentials = admin_credentials
        self.runners = {name: FunctionRunner(spec) for name, spec in template.functions.items()}
        self.authorizer_cache = AuthorizerCache(template.api.authorizer_ttl_s)

    def handle(self, method: str, raw_path: str, headers: dict[str, list[str]], body: bytes, source_ip: str) -> tuple[int, dict[str, list[str]], bytes]:
        split = urlsplit(raw_path)
        try:
            if len(body) > MAX_BODY_BYTES:
                raise GatewayRejection("REQUEST_TOO_LARGE", 413, "Request Too Large")
            route, path_parameters = self._match(method, split.path)
            authorizer_context = None
            identity = None
            if route.auth == AUTH_TOKEN:
                authorizer_context = self._authorize(route, headers, method, split.path)
            elif route.auth == AUTH_IAM:
                identity = self._verify_signature(method, split.path, split.query, headers, body, source_ip)
            event = build_proxy_event(
                method=method,
                path=split.path,
                query=split.query,
                headers=headers,
                body=body,
                resource=route.path,
                path_parameters=path_parameters,
                stage=self.stage,
                authorizer_context=authorizer_context,
                source_ip=source_ip,
                identity=identity,
            )
            return self._invoke(route.function, event)
        except GatewayRejection as rejection:
            return self._gateway_response(rejection)

    def _match(self, method: str, path: str):
        for route in self.template.api.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        raise GatewayRejection("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token")

    def _authorize(self, route, headers: dict[str, list[str]], method: str, path: str) -> dict[str, Any]:
        header_name = self.template.api.authorizer_header.lower()
        token = header_value(headers, header_name)
        if not token:
            raise GatewayRejection("UNAUTHORIZED", 401, "Unauthorized")
        policy = self.authorizer_cache.get(token)
        if policy is None:
            event = build_token_authorizer_event(token, method, path, self.stage)
            try:
                policy = self.runners[self.template.api.authorizer_function].invoke(event)
            except Exception as exc:  # the authorizer's verdict is its exception message
                if str(exc) == "Unauthorized":
                    raise GatewayRejection("UNAUTHORIZED", 401, "Unauthorized") from exc
                logger.error("authorizer failed: %s", type(exc).__name__)
                raise GatewayRejection("AUTHORIZER_FAILURE", 500, "Authorizer error") from exc
            self.authorizer_cache.put(token, policy)
        statements = policy.get("policyDocument", {}).get("Statement", [])
        if not any(statement.get("Effect") == "Allow" for statement in statements):
            raise GatewayRejection("ACCESS_DENIED", 403, "User is not authorized to access this resource")
        context = dict(policy.get("context") or {})
        context["principalId"] = policy.get("principalId")
        return context

    def _verify_signature(
        self, method: str, path: str, query: str, headers: dict[str, list[str]], body: bytes, source_ip: str
    ) -> dict[str, str]:
        """Check the request's Signature Version 4 and return the IAM identity API Gateway would pass on."""
        if self.admin_credentials is None:
            raise GatewayRejection("ACCESS_DENIED", 403, "no IAM identity is configured for the local runner")
        try:
            verify(self.admin_credentials, method, path, query, headers, body)
        except SignatureRejected as rejection:
            raise GatewayRejection(rejection.response_type, 403, rejection.message) from None
        user_agent = header_value(headers, "user-agent") or ""
        return self.admin_credentials.identity(source_ip, user_agent)

    def _invoke(self, function: str, event: dict[str, Any]) -> tuple[int, dict[str, list[str]], bytes]:
        try:
            result = self.runners[function].invoke(event)
        except Exception:
            logger.exception("function %s raised", function)
            raise GatewayRejection("DEFAULT_5XX", 502, "Internal server error") from None
        if not isinstance(result, dict) or "statusCode" not in result:
            logger.error("function %s returned a malformed proxy response", function)
            raise GatewayRejection("DEFAULT_5XX", 502, "Internal server error")
        headers: dict[str, list[str]] = {name: [str(value)] for name, value in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name] = [str(value) for value in values]
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
        return int(result["statusCode"]), headers, payload

    def _gateway_response(self, rejection: GatewayRejection) -> tuple[int, dict[str, list[str]], bytes]:
        responses = self.template.api.gateway_responses
        family = "DEFAULT_4XX" if rejection.default_status < 500 else "DEFAULT_5XX"
        config = responses.get(rejection.response_type) or responses.get(family) or {}
        status = int(config.get("StatusCode", rejection.default_status))
        template = (config.get("ResponseTemplates") or {}).get("application/json")
        if template:
            body = template.replace("$context.error.messageString", json.dumps(rejection.message)[1:-1])
        else:
            body = json.dumps({"message": rejection.message})
        return status, {"Content-Type": ["application/json"]}, body.encode("utf-8")


def make_http_server(gateway: LocalApiGateway, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "sluicegate-local"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers: dict[str, list[str]] = {}
            for name, value in self.headers.items():
                headers.setdefault(name, []).append(value)
            status, response_headers, payload = gateway.handle(self.command, self.path, headers, body, self.client_address[0])
            self.send_response(status)
            for name, values in response_headers.items():
                if name.lower() in {"content-length", "connection", "transfer-encoding"}:
                    continue
                for value in values:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            logger.info("%s - %s", self.address_string(), format % args)

    class Server(ThreadingHTTPServer):
        # socketserver's default backlog of 5 resets connections under a burst of clients.
        request_queue_size = 128
        daemon_threads = True

    return Server((host, port), Handler)
