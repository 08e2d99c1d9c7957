"""The view of a tenant's limits that the admin CLI and the admin API return."""

from __future__ import annotations

from typing import Any

from .limits import TENANT_SCOPE
from .service import QuotaService


def limits_view(quotas: QuotaService, tenant_id: str, key_id: str | None) -> dict[str, Any]:
    effective = quotas.limits.effective_limits(tenant_id, key_id or TENANT_SCOPE)
    view: dict[str, Any] = {
        "tenant_id": tenant_id,
        "tier": effective.tier,
        "tier_defaults": quotas.limits.tier_limits(effective.tier),
        "tenant_overrides": quotas.limits.overrides(tenant_id),
        "effective_tenant_limits": effective.tenant,
    }
    if key_id:
        view["key_id"] = key_id
        view["key_limits"] = quotas.limits.overrides(tenant_id, key_id)
    return view
