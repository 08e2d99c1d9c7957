"""The admin API: tenants, API keys, quota limits and usage, for operators only.

template.yaml puts these routes behind IAM authorization (AWS Signature
Version 4), not the tenants' API key authorizer. Each handler checks again
that the request carries an IAM identity, so a route wired to the wrong
authorizer still refuses tenant keys.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ...api.admin import (
    KEY_ID_PATTERN,
    ID_PATTERN,
    KeyCreateRequest,
    LimitOverridesRequest,
    TenantCreateRequest,
    TierLimitsRequest,
    check_path_value,
)
from ...api.parsing import parse_model
from ...auth.keys import display_prefix
from ...errors import ConflictError, InvalidRequestError, NotFoundError, PermissionDeniedError
from ...quotas.errors import QuotaNotConfiguredError
from ...quotas.views import limits_view
from ...tenants.models import ApiKeyRecord, Principal, Tenant
from ..deps import RouteDeps
from ..responses import json_response

logger = Logger(service="sluicegate", child=True)

ADMIN_PREFIX = "/admin"


def admin_identity(identity: dict[str, Any] | None) -> str:
    """Return the IAM principal ARN that API Gateway verified, or raise a 403."""
    user_arn = (identity or {}).get("userArn")
    if not user_arn:
        raise PermissionDeniedError(
            "admin routes need a request signed with AWS Signature Version 4 by an IAM principal "
            "that the stack's AdminInvokePolicy allows; tenant API keys cannot call them",
            code="admin_credentials_required",
        )
    return user_arn


def _checked(value: str, pattern: str, param: str, rule: str) -> str:
    if not check_path_value(value, pattern):
        raise InvalidRequestError(f"invalid {param} {value[:80]!r}: {rule}", param=param)
    return value


def _tenant_id(value: str) -> str:
    return _checked(value, ID_PATTERN, "tenant_id", "use 2-63 lowercase letters, digits, '-' or '_'")


def _key_id(value: str) -> str:
    return _checked(value, KEY_ID_PATTERN, "key_id", "use the 12 hex characters after 'sk-sg_'")


def _tier(value: str) -> str:
    return _checked(value, ID_PATTERN, "tier", "use 2-63 lowercase letters, digits, '-' or '_'")


def _timestamp(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def tenant_view(tenant: Tenant) -> dict[str, Any]:
    return {
        "object": "tenant",
        "id": tenant.id,
        "name": tenant.name,
        "tier": tenant.tier,
        "disabled_at": _timestamp(tenant.disabled_at),
    }


def key_view(record: ApiKeyRecord) -> dict[str, Any]:
    return {
        "object": "api_key",
        "id": record.key_id,
        "tenant_id": record.tenant_id,
        "name": record.name,
        "prefix": display_prefix(record.key_id),
        "created_at": _timestamp(record.created_at),
        "expires_at": _timestamp(record.expires_at),
        "revoked_at": _timestamp(record.revoked_at),
    }


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    def operator(action: str, **fields: Any) -> None:
        """Check the caller's IAM identity and record the change or read in the audit log."""
        user_arn = admin_identity(app.current_event.request_context.identity.raw_event)
        logger.info("admin request", action=action, operator=user_arn, **fields)

    def list_body(items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"object": "list", "data": items}

    @app.get(f"{ADMIN_PREFIX}/openapi.json")
    def admin_openapi_document() -> Response:
        from ...api.openapi import build_admin_openapi

        operator("get_openapi")
        return json_response(200, build_admin_openapi())

    @app.post(f"{ADMIN_PREFIX}/tenants")
    def create_tenant() -> Response:
        operator("create_tenant")
        request = parse_model(TenantCreateRequest, deps.body())
        services = deps.services()
        if not services.quotas.limits.tier_limits(request.tier):
            # Every request of a tenant in a tier without limits would fail with quota_not_configured.
            raise InvalidRequestError(
                f"tier {request.tier!r} has no limits: create it first with PATCH {ADMIN_PREFIX}/tiers/{request.tier}/limits, "
                "or use an existing tier such as 'free', 'standard' or 'enterprise'",
                param="tier",
                code="tier_not_found",
            )
        tenant = services.tenants.create_tenant(request.id, request.name or request.id, tier=request.tier)
        logger.info("tenant created", tenant_id=tenant.id, tier=tenant.tier)
        return json_response(201, tenant_view(tenant))

    @app.get(f"{ADMIN_PREFIX}/tenants")
    def list_tenants() -> Response:
        operator("list_tenants")
        return json_response(200, list_body([tenant_view(t) for t in deps.services().tenants.list_tenants()]))

    @app.get(f"{ADMIN_PREFIX}/tenants/<tenant_id>")
    def get_tenant(tenant_id: str) -> Response:
        operator("get_tenant", tenant_id=tenant_id[:80])
        return json_response(200, tenant_view(deps.services().tenants.get_tenant(_tenant_id(tenant_id))))

    @app.post(f"{ADMIN_PREFIX}/tenants/<tenant_id>/keys")
    def create_key(tenant_id: str) -> Response:
        operator("create_key", tenant_id=tenant_id[:80])
        tenant_id = _tenant_id(tenant_id)
        request = parse_model(KeyCreateRequest, deps.body())
        expires = None
        if request.expires_in_days is not None:
            expires = datetime.now(timezone.utc) + timedelta(days=request.expires_in_days)
        record, full_key = deps.services().tenants.create_key(tenant_id, name=request.name, expires_at=expires)
        logger.info("API key created", tenant_id=tenant_id, key_id=record.key_id)
        # The only response that contains the whole key, which the database stores as a digest.
        return json_response(201, {**key_view(record), "api_key": full_key})

    @app.get(f"{ADMIN_PREFIX}/tenants/<tenant_id>/keys")
    def list_keys(tenant_id: str) -> Response:
        operator("list_keys", tenant_id=tenant_id[:80])
        tenants = deps.services().tenants
        tenant_id = _tenant_id(tenant_id)
        tenants.get_tenant(tenant_id)
        return json_response(200, list_body([key_view(record) for record in tenants.list_keys(tenant_id)]))

    @app.delete(f"{ADMIN_PREFIX}/tenants/<tenant_id>/keys/<key_id>")
    def revoke_key(tenant_id: str, key_id: str) -> Response:
        operator("revoke_key", tenant_id=tenant_id[:80], key_id=key_id[:80])
        tenants = deps.services().tenants
        tenant_id, key_id = _tenant_id(tenant_id), _key_id(key_id)
        record = tenants.revoke_key(tenant_id, key_id)
        logger.info("API key revoked", tenant_id=tenant_id, key_id=key_id)
        return json_response(200, key_view(record))

    @app.get(f"{ADMIN_PREFIX}/tenants/<tenant_id>/limits")
    def get_limits(tenant_id: str) -> Response:
        operator("get_limits", tenant_id=tenant_id[:80])
        return json_response(200, limits_view(deps.services().quotas, _tenant_id(tenant_id), None))

    @app.patch(f"{ADMIN_PREFIX}/tenants/<tenant_id>/limits")
    def set_limits(tenant_id: str) -> Response:
        operator("set_limits", tenant_id=tenant_id[:80])
        tenant_id = _tenant_id(tenant_id)
        values, clear = parse_model(LimitOverridesRequest, deps.body()).changes()
        quotas = deps.services().quotas
        quotas.limits.set_overrides(tenant_id, None, values, clear)
        logger.info("tenant limits changed", tenant_id=tenant_id, values=values, cleared=clear)
        return json_response(200, limits_view(quotas, tenant_id, None))

    @app.get(f"{ADMIN_PREFIX}/tenants/<tenant_id>/keys/<key_id>/limits")
    def get_key_limits(tenant_id: str, key_id: str) -> Response:
        operator("get_key_limits", tenant_id=tenant_id[:80], key_id=key_id[:80])
        return json_response(200, limits_view(deps.services().quotas, _tenant_id(tenant_id), _key_id(key_id)))

    @app.patch(f"{ADMIN_PREFIX}/tenants/<tenant_id>/keys/<key_id>/limits")
    def set_key_limits(tenant_id: str, key_id: str) -> Response:
        operator("set_key_limits", tenant_id=tenant_id[:80], key_id=key_id[:80])
        tenant_id, key_id = _tenant_id(tenant_id), _key_id(key_id)
        values, clear = parse_model(LimitOverridesRequest, deps.body()).changes()
        quotas = deps.services().quotas
        quotas.limits.set_overrides(tenant_id, key_id, values, clear)
        logger.info("key limits changed", tenant_id=tenant_id, key_id=key_id, values=values, cleared=clear)
        return json_response(200, limits_view(quotas, tenant_id, key_id))

    @app.get(f"{ADMIN_PREFIX}/tiers/<tier>/limits")
    def get_tier_limits(tier: str) -> Response:
        operator("get_tier_limits", tier=tier[:80])
        tier = _tier(tier)
        limits = deps.services().quotas.limits.tier_limits(tier)
        if not limits:
            raise NotFoundError(
                f"tier {tier!r} has no limits; create it with PATCH {ADMIN_PREFIX}/tiers/{tier}/limits",
                param="tier",
                code="tier_not_found",
            )
        return json_response(200, {"object": "tier", "tier": tier, "limits": limits})

    @app.patch(f"{ADMIN_PREFIX}/tiers/<tier>/limits")
    def set_tier_limits(tier: str) -> Response:
        operator("set_tier_limits", tier=tier[:80])
        tier = _tier(tier)
        values, _ = parse_model(TierLimitsRequest, deps.body()).changes()
        limits = deps.services().quotas.limits.set_tier_limits(tier, values)
        logger.info("tier limits changed", tier=tier, values=values)
        return json_response(200, {"object": "tier", "tier": tier, "limits": limits})

    @app.get(f"{ADMIN_PREFIX}/tenants/<tenant_id>/usage")
    def get_usage(tenant_id: str) -> Response:
        operator("get_usage", tenant_id=tenant_id[:80])
        tenant_id = _tenant_id(tenant_id)
        key_id = app.current_event.get_query_string_value("key_id")
        quotas = deps.services().quotas
        if key_id is not None:
            # Raises a 404 when the tenant has no such key.
            quotas.limits.overrides(tenant_id, _key_id(key_id))
        try:
            tier = quotas.limits.effective_limits(tenant_id, key_id or "").tier
        except QuotaNotConfiguredError as exc:
            # A tenant can be in such a tier when it was created before the tier check, or
            # directly in the database. Its requests fail with 500; the operator gets the fix here.
            tier = quotas.limits.tenant_tier(tenant_id)
            raise ConflictError(
                f"tenant {tenant_id!r} is in tier {tier!r}, which has no quota defaults (the tier is not configured), "
                "so its requests fail; "
                f"set the tier's limits with PATCH {ADMIN_PREFIX}/tiers/{tier}/limits",
                param="tenant_id",
                code="quota_not_configured",
            ) from exc
        return json_response(200, quotas.usage_report(Principal(tenant_id, key_id or "", tier)))

