"""Request models of the admin API (``/admin/...``): tenants, API keys and quota limits."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..quotas.limits import LIMIT_NAMES
from ..tenants.repository import TENANT_ID_PATTERN

# Tenant ids, and tier names, which follow the same rules.
ID_PATTERN = TENANT_ID_PATTERN.pattern
KEY_ID_PATTERN = r"^[0-9a-f]{12}$"
MAX_NAME_CHARS = 200
# Ten years: a longer-lived key is better made without an expiry and revoked.
MAX_KEY_LIFETIME_DAYS = 3650
INHERIT = "inherit"
# Larger than any budget in micro-USD (10^12 = one million USD) or tokens one would set,
# and within PostgreSQL's bigint.
MAX_LIMIT_VALUE = 10**15

LimitValue = Annotated[int, Field(ge=0, le=MAX_LIMIT_VALUE)]


class TenantCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[str, Field(pattern=ID_PATTERN, description="2-63 lowercase letters, digits, '-' or '_'.")]
    name: Annotated[str, Field(max_length=MAX_NAME_CHARS, description="Display name. An empty name uses the id.")] = ""
    tier: Annotated[str, Field(pattern=ID_PATTERN, description="Quota tier whose defaults apply.")] = "standard"


class KeyCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(max_length=MAX_NAME_CHARS, description="Label to recognise the key by.")] = ""
    expires_in_days: Annotated[
        float | None,
        Field(gt=0, le=MAX_KEY_LIFETIME_DAYS, description="Days until the key stops working; null for never."),
    ] = None


class _LimitFields(BaseModel):
    """One optional field per limit. A field left out is not changed."""

    # The schema states the rule that _at_least_one checks, so that the OpenAPI document is exact.
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"minProperties": 1})

    @model_validator(mode="after")
    def _at_least_one(self) -> "_LimitFields":
        if not self.model_fields_set:
            raise ValueError(f"set at least one limit: {', '.join(LIMIT_NAMES)}")
        return self

    def changes(self) -> tuple[dict[str, int | None], list[str]]:
        """Return the values to store (``None`` = no limit) and the names whose override to delete."""
        values: dict[str, int | None] = {}
        clear: list[str] = []
        for name in self.model_fields_set:
            value = getattr(self, name)
            if value == INHERIT:
                clear.append(name)
            else:
                values[name] = value
        return values, clear


_OVERRIDE_HELP = "A whole number >= 0, null for no limit, or 'inherit' to delete the override."
_TIER_HELP = "A whole number >= 0, or null for no limit."
OverrideValue = Annotated[LimitValue | None | Literal["inherit"], Field(description=_OVERRIDE_HELP)]
TierValue = Annotated[LimitValue | None, Field(description=_TIER_HELP)]


class LimitOverridesRequest(_LimitFields):
    """Limits of a tenant or of one API key; micro-USD are millionths of a US dollar."""

    requests_per_minute: OverrideValue = None
    tokens_per_minute: OverrideValue = None
    tokens_per_day: OverrideValue = None
    micro_usd_per_day: OverrideValue = None
    micro_usd_per_month: OverrideValue = None


class TierLimitsRequest(_LimitFields):
    """Default limits of a tier; micro-USD are millionths of a US dollar."""

    requests_per_minute: TierValue = None
    tokens_per_minute: TierValue = None
    tokens_per_day: TierValue = None
    micro_usd_per_day: TierValue = None
    micro_usd_per_month: TierValue = None


def check_path_value(value: str, pattern: str) -> bool:
    return re.fullmatch(pattern, value) is not None
