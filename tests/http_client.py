"""A small JSON-over-HTTP client for tests that need raw status codes and bodies."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def request(
    method: str, url: str, key: str | None = None, body: Any = None, raw: bytes | None = None, timeout: float = 120,
    headers: dict[str, str] | None = None,
) -> HttpResult:
    headers = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    data = raw
    if data is None and body is not None:
        data = json.dumps(body).encode()
    prepared = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(prepared, timeout=timeout) as response:
            return HttpResult(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode())
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode())


def post(url: str, key: str | None = None, body: Any = None, raw: bytes | None = None) -> HttpResult:
    return request("POST", url, key, body, raw)


def signed_request(
    method: str, url: str, access_key_id: str, secret_access_key: str, body: Any = None, region: str = "us-east-1"
) -> HttpResult:
    """Send a request signed with AWS Signature Version 4 for API Gateway (service execute-api), as botocore signs."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    data = json.dumps(body).encode() if body is not None else None
    aws_request = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(access_key_id, secret_access_key), "execute-api", region).add_auth(aws_request)
    return request(method, url, raw=data, headers=dict(aws_request.headers.items()))
