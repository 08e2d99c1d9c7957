"""The admin API over real HTTP: tenants, keys, limits and usage, signed with Signature Version 4."""

from __future__ import annotations

import uuid

import pytest

from admin_helpers import AdminApi
from http_client import request

STANDARD_TIER_REQUESTS_PER_MINUTE = 300


def new_tenant_id() -> str:
    return f"adm-{uuid.uuid4().hex[:10]}"


def create_tenant(admin_api: AdminApi, tier: str = "standard") -> str:
    tenant_id = new_tenant_id()
    response = admin_api.call("POST", "/tenants", {"id": tenant_id, "name": "Admin test", "tier": tier})
    assert response.status == 201, response.text
    return tenant_id


def create_key(admin_api: AdminApi, tenant_id: str, **body) -> dict:
    response = admin_api.call("POST", f"/tenants/{tenant_id}/keys", body)
    assert response.status == 201, response.text
    return response.json()


def test_tenant_lifecycle(admin_api: AdminApi) -> None:
    tenant_id = new_tenant_id()
    created = admin_api.call("POST", "/tenants", {"id": tenant_id, "name": "Payments", "tier": "free"})
    assert created.status == 201
    assert created.json() == {"object": "tenant", "id": tenant_id, "name": "Payments", "tier": "free", "disabled_at": None}

    again = admin_api.call("POST", "/tenants", {"id": tenant_id})
    assert again.status == 409
    assert again.json()["error"]["code"] == "tenant_exists"

    fetched = admin_api.call("GET", f"/tenants/{tenant_id}")
    assert fetched.status == 200
    assert fetched.json()["tier"] == "free"
    listed = admin_api.call("GET", "/tenants").json()
    assert listed["object"] == "list"
    assert tenant_id in {tenant["id"] for tenant in listed["data"]}

    missing = admin_api.call("GET", f"/tenants/{new_tenant_id()}")
    assert missing.status == 404
    assert missing.json()["error"]["code"] == "tenant_not_found"


def test_key_create_use_revoke(admin_api: AdminApi) -> None:
    tenant_id = create_tenant(admin_api)
    key = create_key(admin_api, tenant_id, name="ci", expires_in_days=1)
    assert key["api_key"].startswith(f"sk-sg_{key['id']}_")
    assert key["expires_at"] is not None and key["revoked_at"] is None

    usage = request("GET", admin_api.root_url + "/v1/usage", key=key["api_key"])
    assert usage.status == 200, usage.text
    assert usage.json()["tenant_id"] == tenant_id

    listed = admin_api.call("GET", f"/tenants/{tenant_id}/keys").json()["data"]
    assert [item["id"] for item in listed] == [key["id"]]
    assert "api_key" not in listed[0]
    assert key["api_key"] not in admin_api.call("GET", f"/tenants/{tenant_id}/keys").text

    # A key that the local API Gateway has not cached yet is refused at once after revocation.
    unused = create_key(admin_api, tenant_id, name="to revoke")
    revoked = admin_api.call("DELETE", f"/tenants/{tenant_id}/keys/{unused['id']}")
    assert revoked.status == 200
    assert revoked.json()["revoked_at"] is not None
    rejected = request("GET", admin_api.root_url + "/v1/usage", key=unused["api_key"])
    assert rejected.status == 401

    unknown = admin_api.call("DELETE", f"/tenants/{tenant_id}/keys/{'0' * 12}")
    assert unknown.status == 404
    assert unknown.json()["error"]["code"] == "api_key_not_found"


def test_limits_tenant_key_tier(admin_api: AdminApi) -> None:
    tenant_id = create_tenant(admin_api)
    key = create_key(admin_api, tenant_id)

    before = admin_api.call("GET", f"/tenants/{tenant_id}/limits").json()
    assert before["tier"] == "standard"
    assert before["effective_tenant_limits"]["requests_per_minute"] == STANDARD_TIER_REQUESTS_PER_MINUTE

    changed = admin_api.call(
        "PATCH", f"/tenants/{tenant_id}/limits", {"requests_per_minute": 7, "micro_usd_per_day": None}
    )
    assert changed.status == 200, changed.text
    effective = changed.json()["effective_tenant_limits"]
    assert effective["requests_per_minute"] == 7
    assert effective["micro_usd_per_day"] is None
    assert changed.json()["tenant_overrides"] == {"requests_per_minute": 7, "micro_usd_per_day": None}

    # The tenant's own view of its usage reports the new limit.
    windows = request("GET", admin_api.root_url + "/v1/usage", key=key["api_key"]).json()["limits"]
    assert {"name": "requests_per_minute", "scope": "tenant"}.items() <= next(
        window for window in windows if window["name"] == "requests_per_minute"
    ).items()
    assert next(window for window in windows if window["name"] == "requests_per_minute")["limit"] == 7

    inherited = admin_api.call("PATCH", f"/tenants/{tenant_id}/limits", {"requests_per_minute": "inherit"})
    assert inherited.json()["effective_tenant_limits"]["requests_per_minute"] == STANDARD_TIER_REQUESTS_PER_MINUTE
    assert "requests_per_minute" not in inherited.json()["tenant_overrides"]

    key_limits = admin_api.call("PATCH", f"/tenants/{tenant_id}/keys/{key['id']}/limits", {"tokens_per_minute": 500})
    assert key_limits.status == 200
    assert key_limits.json()["key_limits"] == {"tokens_per_minute": 500}
    assert admin_api.call("GET", f"/tenants/{tenant_id}/keys/{key['id']}/limits").json()["key_limits"] == {
        "tokens_per_minute": 500
    }

    tier = f"tier-{uuid.uuid4().hex[:8]}"
    assert admin_api.call("GET", f"/tiers/{tier}/limits").status == 404
    tier_limits = admin_api.call("PATCH", f"/tiers/{tier}/limits", {"requests_per_minute": 2, "tokens_per_day": 1000})
    assert tier_limits.status == 200
    assert tier_limits.json()["limits"] == {
        "requests_per_minute": 2, "tokens_per_minute": None, "tokens_per_day": 1000,
        "micro_usd_per_day": None, "micro_usd_per_month": None,
    }
    assert admin_api.call("GET", f"/tiers/{tier}/limits").json()["limits"]["tokens_per_day"] == 1000


def test_usage_tenant_and_key(admin_api: AdminApi) -> None:
    tenant_id = create_tenant(admin_api)
    key = create_key(admin_api, tenant_id)
    admin_api.call("PATCH", f"/tenants/{tenant_id}/keys/{key['id']}/limits", {"requests_per_minute": 3})

    tenant_usage = admin_api.call("GET", f"/tenants/{tenant_id}/usage")
    assert tenant_usage.status == 200
    assert {window["scope"] for window in tenant_usage.json()["limits"]} == {"tenant"}
    key_usage = admin_api.call("GET", f"/tenants/{tenant_id}/usage?key_id={key['id']}").json()
    assert {"tenant", "key"} == {window["scope"] for window in key_usage["limits"]}
    assert admin_api.call("GET", f"/tenants/{tenant_id}/usage?key_id={'f' * 12}").status == 404


def test_usage_of_tenant_in_tier_without_limits(admin_api: AdminApi, services) -> None:
    # The API refuses such a tenant, but one created in the database directly can exist.
    tenant_id = new_tenant_id()
    tier = f"bare-{uuid.uuid4().hex[:8]}"
    services.tenants.create_tenant(tenant_id, "No limits", tier=tier)

    response = admin_api.call("GET", f"/tenants/{tenant_id}/usage")

    assert response.status == 409
    error = response.json()["error"]
    assert error["code"] == "quota_not_configured"
    assert error["param"] == "tenant_id"
    assert f"PATCH /admin/tiers/{tier}/limits" in error["message"]
    admin_api.call("PATCH", f"/tiers/{tier}/limits", {"requests_per_minute": 5})
    assert admin_api.call("GET", f"/tenants/{tenant_id}/usage").status == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "param", "code"),
    [
        ("POST", "/tenants", {"id": "Bad Id"}, "id", None),
        ("POST", "/tenants", {"id": "ok-id", "owner": "x"}, "owner", None),
        ("POST", "/tenants", {"name": "no id"}, "id", None),
        ("POST", "/tenants/{tenant}/keys", {"expires_in_days": 0}, "expires_in_days", None),
        ("POST", "/tenants/{tenant}/keys", {"expires_in_days": 99999}, "expires_in_days", None),
        ("PATCH", "/tenants/{tenant}/limits", {}, None, None),
        ("PATCH", "/tenants/{tenant}/limits", {"requests_per_minute": -1}, "requests_per_minute", None),
        ("PATCH", "/tenants/{tenant}/limits", {"requests_per_minute": "10"}, "requests_per_minute", None),
        ("PATCH", "/tenants/{tenant}/limits", {"requests_per_hour": 10}, "requests_per_hour", None),
        ("PATCH", "/tiers/standard/limits", {"tokens_per_day": "inherit"}, "tokens_per_day", None),
        ("PATCH", "/tenants/{tenant}/keys/not-a-key/limits", {"tokens_per_day": 1}, "key_id", "invalid_request_error"),
        ("GET", "/tenants/Not_Valid!/limits", None, "tenant_id", "invalid_request_error"),
    ],
)
def test_bad_input_rejected_400(admin_api: AdminApi, method, path, body, param, code) -> None:
    tenant_id = create_tenant(admin_api)
    response = admin_api.call(method, path.format(tenant=tenant_id), body)
    assert response.status == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    if param is not None:
        assert error["param"] == param
    assert len(error["message"]) > 20


def test_limits_unknown_key_404(admin_api: AdminApi) -> None:
    tenant_id = create_tenant(admin_api)
    response = admin_api.call("PATCH", f"/tenants/{tenant_id}/keys/{'a' * 12}/limits", {"tokens_per_day": 5})
    assert response.status == 404
    assert response.json()["error"]["code"] == "api_key_not_found"


def test_create_tenant_unknown_tier_400(admin_api: AdminApi) -> None:
    response = admin_api.call("POST", "/tenants", {"id": new_tenant_id(), "tier": "standrad"})
    assert response.status == 400
    error = response.json()["error"]
    assert error["param"] == "tier"
    assert error["code"] == "tier_not_found"
    assert "PATCH /admin/tiers/standrad/limits" in error["message"]


def test_empty_limits_patch_names_the_body(admin_api: AdminApi) -> None:
    tenant_id = create_tenant(admin_api)
    error = admin_api.call("PATCH", f"/tenants/{tenant_id}/limits", {}).json()["error"]
    assert error["param"] is None
    assert error["message"].startswith("invalid request body: set at least one limit")


def test_limits_view_tier_without_defaults(admin_api: AdminApi, services) -> None:
    # The CLI and the repository still accept a tier without limits.
    tenant_id = new_tenant_id()
    services.tenants.create_tenant(tenant_id, "No tier limits", tier=f"tier-{uuid.uuid4().hex[:8]}")
    view = admin_api.call("GET", f"/tenants/{tenant_id}/limits")
    assert view.status == 200
    assert view.json()["effective_tenant_limits"] is None
    assert "set-tier-limits" in view.json()["problem"]
