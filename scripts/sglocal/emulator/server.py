"""The emulator's HTTP side: ``POST /endpoints/{name}/invocations`` plus a control API.

Errors use the SageMaker Runtime shape (JSON body with ``message``, the error
type in ``x-amzn-ErrorType``), so botocore raises the ``ClientError`` codes of
the real service. Control routes live under ``/_emulator/``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .faults import FaultInjector
from .responses import ACCOUNT_ID, Reply, aws_error, json_reply, model_error
from .serving import ContainerError, EmulatedEndpoint, EndpointServer

logger = logging.getLogger("sglocal.sagemaker")

_INVOCATIONS = re.compile(r"^/endpoints/([^/]+)/invocations$")


@dataclass(frozen=True)
class Invocation:
    """The ground truth of one invocation, for tests: what the endpoint counted and returned."""

    endpoint: str
    status: int
    error_type: str | None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    injected: bool = False


class SageMakerEmulator:
    def __init__(self, endpoints: dict[str, EmulatedEndpoint], server: EndpointServer, faults: FaultInjector | None = None) -> None:
        self.endpoints = endpoints
        self.server = server
        self.faults = faults or FaultInjector()
        self.invocations: list[Invocation] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._http: ThreadingHTTPServer | None = None

    def _record(self, invocation: Invocation) -> None:
        with self._lock:
            self.invocations.append(invocation)

    def invoke(self, name: str, body: bytes) -> Reply:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            return aws_error(400, "ValidationError", f"Endpoint {name} of account {ACCOUNT_ID} not found.")
        decision = self.faults.decide(name)
        if decision.latency_s:
            self._stopping.wait(decision.latency_s)
        if decision.hang_s:
            logger.info("hanging invocation of %s for %.1f s", name, decision.hang_s)
            self._stopping.wait(decision.hang_s)
        if decision.status is not None:
            self._record(Invocation(name, decision.status, decision.error_type, injected=True))
            if decision.error_type == "ModelError":
                return model_error(name, 500, '{"error":"injected container failure","error_type":"internal"}')
            return aws_error(decision.status, decision.error_type or "InternalFailure", f"injected {decision.error_type} for endpoint {name}")
        try:
            reply = self.server.serve(endpoint, json.loads(body or b"null"))
        except ValueError as exc:
            self._record(Invocation(name, 424, "ModelError"))
            return model_error(name, 400, json.dumps({"error": f"the request body is not JSON: {exc}"}))
        except ContainerError as exc:
            self._record(Invocation(name, 424, "ModelError"))
            return model_error(name, exc.status, json.dumps(exc.body))
        self._record(Invocation(name, 200, None, reply.prompt_tokens, reply.completion_tokens))
        return json_reply(200, reply.payload, {"x-Amzn-Invoked-Production-Variant": "AllTraffic"})

    def control(self, method: str, path: str, body: bytes) -> Reply:
        if path == "/_emulator/health":
            return json_reply(200, {"status": "ok", "endpoints": {name: asdict(spec) for name, spec in self.endpoints.items()}})
        if path == "/_emulator/faults":
            if method == "GET":
                return json_reply(200, self.faults.settings.to_json())
            if method == "DELETE":
                return json_reply(200, self.faults.reset().to_json())
            try:
                changes = json.loads(body or b"{}")
                return json_reply(200, self.faults.update(**changes).to_json())
            except (ValueError, TypeError) as exc:
                return json_reply(400, {"message": f"invalid fault settings: {exc}"})
        if path == "/_emulator/invocations":
            with self._lock:
                if method == "DELETE":
                    self.invocations.clear()
                return json_reply(200, [asdict(item) for item in self.invocations])
        return json_reply(404, {"message": f"no control route {method} {path}"})

    def handle(self, method: str, path: str, body: bytes) -> Reply:
        if path.startswith("/_emulator/"):
            return self.control(method, path, body)
        match = _INVOCATIONS.match(path)
        if method != "POST" or match is None:
            return aws_error(404, "UnknownOperationException", f"no SageMaker Runtime operation for {method} {path}")
        return self.invoke(match.group(1), body)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on a background thread and return the base URL."""
        self._http = make_emulator_server(self, host, port)
        threading.Thread(target=self._http.serve_forever, name="sagemaker-emulator", daemon=True).start()
        return f"http://{host}:{self._http.server_address[1]}"

    def wait(self) -> None:
        """Block until ``stop`` is called."""
        self._stopping.wait()

    def stop(self) -> None:
        self._stopping.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()


def make_emulator_server(emulator: SageMakerEmulator, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "sagemaker-emulator"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            started = time.perf_counter()
            status, headers, payload = emulator.handle(self.command, self.path.split("?", 1)[0], body)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                logger.info("the client of %s %s left before the reply (%.1f s)", self.command, self.path, time.perf_counter() - started)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s - %s", self.address_string(), format % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
