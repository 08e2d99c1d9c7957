"""Tenants, API keys and the authorizer against the embedded PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sluicegate.auth.keys import digest_key
from sluicegate.auth.service import authenticate
from sluicegate.db.migrate import apply_migrations
from sluicegate.errors import AuthenticationError
from sluicegate.http.authorizer import Unauthorized, authorize
from sluicegate.tenants.errors import ApiKeyNotFoundError, InvalidTenantIdError, TenantExistsError


def test_migrations_are_idempotent(services):
    with services.db.connection() as conn:
        assert apply_migrations(conn) == []


def test_key_authenticates_its_tenant(services, tenant_id):
    record, key = services.tenants.create_key(tenant_id, name="ci")
    principal = authenticate(f"Bearer {key}", services.tenants)
    assert principal.tenant_id == tenant_id
    assert principal.key_id == record.key_id


def test_key_is_stored_only_as_digest(services, tenant_id):
    record, key = services.tenants.create_key(tenant_id)
    with services.db.connection() as conn:
        stored = conn.execute("SELECT key_sha256 FROM api_keys WHERE key_id = %s", (record.key_id,)).fetchone()[0]
        dump = conn.execute("SELECT row_to_json(k)::text FROM api_keys k WHERE key_id = %s", (record.key_id,)).fetchone()[0]
    assert bytes(stored) == digest_key(key)
    assert key not in dump


@pytest.mark.parametrize(
    "header",
    [None, "", "Basic abc", "Bearer ", "Bearer sk-sg_000000000000_nope", "Bearer not-a-key"],
)
def test_bad_credentials_are_rejected(services, header):
    with pytest.raises(AuthenticationError) as caught:
        authenticate(header, services.tenants)
    assert caught.value.status == 401


def test_tampered_secret_is_rejected(services, tenant_id):
    _, key = services.tenants.create_key(tenant_id)
    with pytest.raises(AuthenticationError):
        authenticate(f"Bearer {key[:-2]}xx", services.tenants)


def test_revoked_key_is_rejected(services, tenant_id):
    record, key = services.tenants.create_key(tenant_id)
    services.tenants.revoke_key(tenant_id, record.key_id)
    with pytest.raises(AuthenticationError, match="revoked or expired"):
        authenticate(f"Bearer {key}", services.tenants)


def test_expired_key_is_rejected(services, tenant_id):
    _, key = services.tenants.create_key(tenant_id, expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    with pytest.raises(AuthenticationError):
        authenticate(f"Bearer {key}", services.tenants)


def test_revoking_another_tenants_key_fails(services, tenant_id):
    record, _ = services.tenants.create_key(tenant_id)
    services.tenants.create_tenant(tenant_id + "-b", "other")
    with pytest.raises(ApiKeyNotFoundError):
        services.tenants.revoke_key(tenant_id + "-b", record.key_id)


def test_duplicate_and_invalid_tenant_ids(services, tenant_id):
    with pytest.raises(TenantExistsError):
        services.tenants.create_tenant(tenant_id, "again")
    with pytest.raises(InvalidTenantIdError):
        services.tenants.create_tenant("Bad Id!", "x")


def test_authorizer_allows_with_tenant_context(services, tenant_id):
    _, key = services.tenants.create_key(tenant_id)
    event = {"type": "TOKEN", "authorizationToken": f"Bearer {key}", "methodArn": "arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/models"}
    policy = authorize(event, services)
    assert policy["principalId"] == tenant_id
    assert policy["context"]["tenant_id"] == tenant_id
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert policy["policyDocument"]["Statement"][0]["Resource"].endswith("api/prod/*/*")


def test_authorizer_raises_unauthorized(services):
    with pytest.raises(Unauthorized, match="^Unauthorized$"):
        authorize({"authorizationToken": "Bearer sk-sg_000000000000_x", "methodArn": ""}, services)
