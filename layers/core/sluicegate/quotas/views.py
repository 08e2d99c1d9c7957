"""The view of a tenant's limits that the admin CLI and the admin API return."""

from __future__ import annotations

from typing import Any

from .errors import QuotaNotConfiguredError
from .limits import TENANT_SCOPE
from .service import QuotaService


def limits_view(quotas: QuotaService, tenant_id: str, key_id: str | None) -> dict[str, Any]:
    """Return the tenant's tier defaults, overrides and effective limits, and the key's limits if named.

    A tier without defaults has no effective limits. The view then explains
    that in ``problem`` rather than failing, because the operator reads it to fix that.
    """
    tier = quotas.limits.tenant_tier(tenant_id)
    view: dict[str, Any] = {
        "tenant_id": tenant_id,
        "tier": tier,
        "tier_defaults": quotas.limits.tier_limits(tier),
        "tenant_overrides": quotas.limits.overrides(tenant_id),
    }
    try:
        view["effective_tenant_limits"] = quotas.limits.effective_limits(tenant_id, key_id or TENANT_SCOPE).tenant
    except QuotaNotConfiguredError as exc:
        view["effective_tenant_limits"] = None
        view["problem"] = exc.message
    if key_id:
        view["key_id"] = key_id
        view["key_limits"] = quotas.limits.overrides(tenant_id, key_id)
    return view
