"""Build API Gateway REST proxy events from HTTP requests, as API Gateway does."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import parse_qs


def _is_text(content_type: str) -> bool:
    return content_type == "" or content_type.startswith("text/") or "json" in content_type or "xml" in content_type


def build_proxy_event(
    *,
    method: str,
    path: str,
    query: str,
    headers: dict[str, list[str]],
    body: bytes,
    resource: str,
    path_parameters: dict[str, str] | None,
    stage: str,
    authorizer_context: dict[str, Any] | None,
    source_ip: str,
    identity: dict[str, str] | None = None,
) -> dict[str, Any]:
    content_type = (headers.get("content-type") or headers.get("Content-Type") or [""])[0]
    as_text = _is_text(content_type.lower())
    if body and as_text:
        try:
            body_value: str | None = body.decode("utf-8")
            encoded = False
        except UnicodeDecodeError:
            body_value, encoded = base64.b64encode(body).decode("ascii"), True
    elif body:
        body_value, encoded = base64.b64encode(body).decode("ascii"), True
    else:
        body_value, encoded = None, False

    multi_query = parse_qs(query, keep_blank_values=True) if query else {}
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in headers.items()} or None,
        "multiValueHeaders": headers or None,
        "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1",
            "accountId": "000000000000",
            "apiId": "local",
            "identity": identity or {"sourceIp": source_ip, "userAgent": (headers.get("user-agent") or [""])[0]},
            "authorizer": authorizer_context,
        },
        "body": body_value,
        "isBase64Encoded": encoded,
    }


def build_token_authorizer_event(token: str | None, method: str, path: str, stage: str) -> dict[str, Any]:
    return {
        "type": "TOKEN",
        "authorizationToken": token or "",
        "methodArn": f"arn:aws:execute-api:us-east-1:000000000000:local/{stage}/{method}{path}",
    }
