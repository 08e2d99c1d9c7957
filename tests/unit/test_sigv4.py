"""The local runner's Signature Version 4 check against requests that botocore signs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from sglocal.sigv4 import AdminCredentials, SignatureRejected, verify

CREDENTIALS = AdminCredentials("AKIASGLOCALTEST00001", "local-test-secret", "arn:aws:iam::000000000000:user/admin")
HOST = "127.0.0.1:3000"


def signed(method: str, path: str, query: str = "", body: bytes = b"", region: str = "us-east-1") -> dict[str, list[str]]:
    url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
    aws_request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key), "execute-api", region).add_auth(aws_request)
    headers = {name: [value] for name, value in aws_request.headers.items()}
    headers["Host"] = [HOST]
    return headers


def one_second_earlier(amz_date: str) -> str:
    moment = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ") - timedelta(seconds=1)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def test_botocore_signature_verifies() -> None:
    headers = signed("PATCH", "/admin/tenants/acme/limits", "b=2&a=1&a=0", b'{"tokens_per_day": 5}')
    verify(CREDENTIALS, "PATCH", "/admin/tenants/acme/limits", "b=2&a=1&a=0", headers, b'{"tokens_per_day": 5}')


@pytest.mark.parametrize(
    ("change", "response_type"),
    [
        (lambda h: h.pop("Authorization"), "MISSING_AUTHENTICATION_TOKEN"),
        (lambda h: h.update(Authorization=["Bearer sk-sg_0123456789ab_secret"]), "INVALID_SIGNATURE"),
        (lambda h: h.update({"X-Amz-Date": [one_second_earlier(h["X-Amz-Date"][0])]}), "INVALID_SIGNATURE"),
        (lambda h: h.update(Host=["127.0.0.1:4000"]), "INVALID_SIGNATURE"),
    ],
)
def test_changed_request_rejected(change, response_type) -> None:
    headers = signed("GET", "/admin/tenants")
    change(headers)
    with pytest.raises(SignatureRejected) as rejected:
        verify(CREDENTIALS, "GET", "/admin/tenants", "", headers, b"")
    assert rejected.value.response_type == response_type


def test_query_and_method_signed() -> None:
    headers = signed("GET", "/admin/tenants/acme/usage", "key_id=0123456789ab")
    with pytest.raises(SignatureRejected):
        verify(CREDENTIALS, "GET", "/admin/tenants/acme/usage", "key_id=ffffffffffff", headers, b"")
    with pytest.raises(SignatureRejected):
        verify(CREDENTIALS, "DELETE", "/admin/tenants/acme/usage", "key_id=0123456789ab", headers, b"")


def test_signature_expires_after_five_minutes() -> None:
    headers = signed("GET", "/admin/tenants")
    now = datetime.now(timezone.utc)
    verify(CREDENTIALS, "GET", "/admin/tenants", "", headers, b"", now=now + timedelta(minutes=4))
    with pytest.raises(SignatureRejected) as rejected:
        verify(CREDENTIALS, "GET", "/admin/tenants", "", headers, b"", now=now + timedelta(minutes=6))
    assert rejected.value.response_type == "EXPIRED_TOKEN"
    assert "Signature expired" in rejected.value.message
