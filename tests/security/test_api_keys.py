"""API keys: compared in constant time, refused for a disabled tenant, never echoed.

tests/integration/test_tenants_and_auth.py covers storage as a SHA-256 digest,
tampered, revoked and expired keys; these tests add what it does not."""

from __future__ import annotations

import hmac

import pytest

from sluicegate.auth import keys
from sluicegate.auth.service import authenticate
from sluicegate.errors import AuthenticationError


def test_digests_are_compared_in_constant_time(services, tenant_id, monkeypatch):
    calls = []
    compare_digest = hmac.compare_digest

    def recording_compare(presented, stored):
        calls.append((presented, stored))
        return compare_digest(presented, stored)

    monkeypatch.setattr(keys.hmac, "compare_digest", recording_compare)
    _, key = services.tenants.create_key(tenant_id)
    authenticate(f"Bearer {key}", services.tenants)
    with pytest.raises(AuthenticationError):
        authenticate(f"Bearer {key[:-4]}AAAA", services.tenants)
    assert len(calls) == 2
    assert all(len(presented) == len(stored) == 32 for presented, stored in calls)


def test_disabled_tenant_key_is_rejected(services, tenant_id):
    _, key = services.tenants.create_key(tenant_id)
    with services.db.connection() as conn:
        conn.execute("UPDATE tenants SET disabled_at = now() WHERE id = %s", (tenant_id,))
    with pytest.raises(AuthenticationError):
        authenticate(f"Bearer {key}", services.tenants)


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer sk-sg_000000000000_wrongsecretvalue", "sk-sg_000000000000_nobearer"],
)
def test_bad_key_is_401_without_echo(security_api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    reply = security_api.call("GET", "/v1/usage", headers=headers)
    assert reply.status == 401
    error = reply.json()["error"]
    assert (error["type"], error["code"]) == ("authentication_error", "invalid_api_key")
    for secret in ("dXNlcjpwYXNz", "wrongsecretvalue", "nobearer"):
        assert secret not in reply.text


def test_revoked_key_response_does_not_name_tenant(security_api):
    tenant_id = security_api.new_tenant()
    record, key = security_api.services.tenants.create_key(tenant_id)
    security_api.services.tenants.revoke_key(tenant_id, record.key_id)
    reply = security_api.call("GET", "/v1/usage", key)
    assert reply.status == 401
    assert tenant_id not in reply.text
    assert record.key_id not in reply.text
