"""Who may call the admin API: only requests signed with the admin credentials."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from admin_helpers import AdminApi

from http_client import request, signed_request
from sglocal.events import build_proxy_event
from sglocal.template import AUTH_IAM, load_template
from sluicegate.http.gateway import build_admin_app
from sluicegate.services import Services

ROOT = Path(__file__).resolve().parents[3]
ADMIN_ROUTES = [route for route in load_template(ROOT / "template.yaml").api.routes if route.auth == AUTH_IAM]


def concrete_path(template_path: str, tenant_id: str, key_id: str) -> str:
    return template_path.format(tenant_id=tenant_id, key_id=key_id, tier="standard")


@pytest.fixture()
def tenant_with_key(services: Services) -> tuple[str, str, str]:
    tenant_id = f"adm-{uuid.uuid4().hex[:10]}"
    services.tenants.create_tenant(tenant_id, "Tenant trying admin routes")
    record, full_key = services.tenants.create_key(tenant_id)
    return tenant_id, record.key_id, full_key


def test_template_admin_routes_use_iam() -> None:
    paths = {(route.method, route.path) for route in ADMIN_ROUTES}
    assert len(paths) == 14
    assert all(path.startswith("/admin/") for _, path in paths)
    token_routes = load_template(ROOT / "template.yaml").api.routes
    assert not [route for route in token_routes if route.path.startswith("/admin") and route.auth != AUTH_IAM]


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_tenant_key_rejected_every_route(admin_api: AdminApi, tenant_with_key, route) -> None:
    tenant_id, key_id, full_key = tenant_with_key
    url = admin_api.root_url + concrete_path(route.path, tenant_id, key_id)
    body = {"tokens_per_day": 1} if route.method in {"POST", "PATCH"} else None
    response = request(route.method, url, key=full_key, body=body)
    assert response.status == 403, response.text
    error = response.json()["error"]
    assert error["type"] == "permission_error"
    assert error["code"] == "invalid_signature"
    assert "API keys" in error["message"]


def test_missing_or_bad_signature_rejected(admin_api: AdminApi, admin_credentials) -> None:
    url = admin_api.base_url + "/tenants"
    unsigned = request("GET", url)
    assert unsigned.status == 403
    assert unsigned.json()["error"]["code"] == "admin_credentials_required"

    wrong_secret = signed_request("GET", url, admin_credentials.access_key_id, "not-the-secret")
    assert wrong_secret.status == 403
    assert wrong_secret.json()["error"]["code"] == "invalid_signature"
    assert "signature" in wrong_secret.json()["error"]["message"]

    unknown_key = signed_request("GET", url, "AKIAUNKNOWNKEY000000", admin_credentials.secret_access_key)
    assert unknown_key.status == 403
    assert "security token" in unknown_key.json()["error"]["message"]

    wrong_region = signed_request(
        "GET", url, admin_credentials.access_key_id, admin_credentials.secret_access_key, region="eu-west-1"
    )
    assert wrong_region.status == 403
    assert "region" in wrong_region.json()["error"]["message"]


def test_signed_request_changed_rejected(admin_api: AdminApi, admin_credentials) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = admin_api.base_url + "/tenants"
    signed_body = json.dumps({"id": f"adm-{uuid.uuid4().hex[:10]}"}).encode()
    aws_request = AWSRequest(method="POST", url=url, data=signed_body, headers={"Content-Type": "application/json"})
    credentials = Credentials(admin_credentials.access_key_id, admin_credentials.secret_access_key)
    SigV4Auth(credentials, "execute-api", "us-east-1").add_auth(aws_request)
    headers = dict(aws_request.headers.items())

    changed_body = json.dumps({"id": "adm-attacker"}).encode()
    response = request("POST", url, raw=changed_body, headers=headers)
    assert response.status == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    # The same signature on another path fails too.
    elsewhere = request("PATCH", admin_api.base_url + "/tiers/standard/limits", raw=signed_body, headers=headers)
    assert elsewhere.status == 403
    # Unchanged, it is accepted.
    accepted = request("POST", url, raw=signed_body, headers=headers)
    assert accepted.status == 201, accepted.text


def test_admin_function_requires_iam_identity(services: Services, tenant_with_key) -> None:
    """If a route were wired to the API key authorizer by mistake, the function itself would refuse it."""
    tenant_id, key_id, _ = tenant_with_key
    event = build_proxy_event(
        method="GET", path="/admin/tenants", query="", headers={}, body=b"", resource="/admin/tenants",
        path_parameters=None, stage="local", source_ip="127.0.0.1",
        authorizer_context={"tenant_id": tenant_id, "key_id": key_id, "tier": "standard"},
    )
    response = build_admin_app(services).resolve(event, None)
    assert response["statusCode"] == 403
    assert json.loads(response["body"])["error"]["code"] == "admin_credentials_required"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_sigv4_creates_tenant(admin_api: AdminApi, admin_credentials) -> None:
    tenant_id = f"adm-{uuid.uuid4().hex[:10]}"
    command = [
        "curl", "--silent", "--show-error", "--aws-sigv4", "aws:amz:us-east-1:execute-api",
        "--user", f"{admin_credentials.access_key_id}:{admin_credentials.secret_access_key}",
        "-H", "Content-Type: application/json", "--data", json.dumps({"id": tenant_id}),
        "--write-out", "\n%{http_code}", admin_api.base_url + "/tenants",
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
    body, status = output.rsplit("\n", 1)
    assert status == "201", output
    assert json.loads(body)["id"] == tenant_id


def test_new_key_secret_not_logged(
    admin_api: AdminApi, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    tenant_id = f"adm-{uuid.uuid4().hex[:10]}"
    admin_api.call("POST", "/tenants", {"id": tenant_id})
    created = admin_api.call("POST", f"/tenants/{tenant_id}/keys", {"name": "secret check"}).json()
    out, err = capfd.readouterr()
    records = [f"{record.getMessage()} {vars(record)}" for record in caplog.records]
    logs = "\n".join([out, err, *records])
    assert created["id"] in logs, "the admin audit log should name the new key id"
    assert admin_api.credentials.user_arn in logs, "the admin audit log should name the operator"
    secret = created["api_key"].split("_", 2)[2]
    assert secret not in logs
