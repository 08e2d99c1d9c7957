"""Turn an ``Authorization`` header into a tenant principal."""

from __future__ import annotations

from ..errors import AuthenticationError
from ..tenants.models import Principal
from ..tenants.repository import TenantRepository
from .keys import digests_match, parse_key

_HOW_TO_FIX = "send 'Authorization: Bearer <your sluicegate API key>'"


def bearer_token(header_value: str | None) -> str:
    if not header_value:
        raise AuthenticationError(f"missing API key: {_HOW_TO_FIX}")
    scheme, _, token = header_value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError(f"malformed Authorization header: {_HOW_TO_FIX}")
    return token.strip()


def authenticate(header_value: str | None, tenants: TenantRepository) -> Principal:
    """Return the principal behind a bearer key, or raise a 401 ``AuthenticationError``."""
    token = bearer_token(header_value)
    parsed = parse_key(token)
    found = tenants.find_active_key(parsed.key_id) if parsed else None
    if parsed is None or found is None or not digests_match(parsed.digest, found[0]):
        raise AuthenticationError(
            "incorrect, revoked or expired API key; ask your platform team for a valid key"
        )
    _, tenant_id, tier = found
    return Principal(tenant_id=tenant_id, key_id=parsed.key_id, tier=tier)
