"""SQL for tier defaults and per-tenant and per-key limit overrides."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterable, Mapping

from ..db.pool import Database
from ..tenants.errors import ApiKeyNotFoundError, TenantNotFoundError
from .errors import InvalidLimitError, QuotaNotConfiguredError
from .limits import LIMIT_NAMES, TENANT_SCOPE, EffectiveLimits

# A tenant's tier and every limit row that may apply to one of its keys, in one round trip.
_EFFECTIVE_SQL = """
SELECT t.tier, s.source, s.limit_name, s.value
FROM tenants t
LEFT JOIN LATERAL (
    SELECT 'tier' AS source, l.limit_name, l.value FROM quota_tier_limits l WHERE l.tier = t.tier
    UNION ALL
    SELECT q.scope, q.limit_name, q.value FROM quota_limits q
    WHERE q.tenant_id = t.id AND q.scope IN (%(tenant_scope)s, %(key_id)s)
) s ON true
WHERE t.id = %(tenant_id)s
"""


def validate_limit_values(values: Mapping[str, int | None]) -> None:
    for name, value in values.items():
        if name not in LIMIT_NAMES:
            raise InvalidLimitError(f"unknown limit {name!r}; use one of {', '.join(LIMIT_NAMES)}", param=name)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise InvalidLimitError(f"invalid value {value!r} for {name}: use a whole number >= 0, or None for no limit", param=name)


class LimitRepository:
    """Limits in the database, with the effective limits of each caller cached for ``cache_ttl_s`` seconds.

    The cache saves the reservation a round trip. A change made through this
    repository clears it at once; a change made by another process (another
    Lambda container, or scripts/admin) applies within ``cache_ttl_s``.
    """

    def __init__(
        self, database: Callable[[], Database], cache_ttl_s: float = 0.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._database = database
        self._cache_ttl_s = cache_ttl_s
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, EffectiveLimits]] = {}
        self._cache_lock = threading.Lock()

    def cached_effective_limits(self, tenant_id: str, key_id: str) -> EffectiveLimits:
        """Return ``effective_limits``, from the cache while its entry is younger than ``cache_ttl_s``."""
        if self._cache_ttl_s <= 0:
            return self.effective_limits(tenant_id, key_id)
        now = self._clock()
        with self._cache_lock:
            entry = self._cache.get((tenant_id, key_id))
        if entry is not None and entry[0] > now:
            return entry[1]
        limits = self.effective_limits(tenant_id, key_id)
        with self._cache_lock:
            self._cache[(tenant_id, key_id)] = (now + self._cache_ttl_s, limits)
        return limits

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def effective_limits(self, tenant_id: str, key_id: str) -> EffectiveLimits:
        """Resolve the limits for ``key_id`` of ``tenant_id``: key overrides, tenant overrides, tier defaults."""
        params = {"tenant_id": tenant_id, "key_id": key_id or TENANT_SCOPE, "tenant_scope": TENANT_SCOPE}
        with self._database().connection() as conn:
            rows = conn.execute(_EFFECTIVE_SQL, params).fetchall()
        if not rows:
            raise TenantNotFoundError(f"tenant {tenant_id!r} does not exist", param="tenant_id")

        tier = rows[0][0]
        by_source: dict[str, dict[str, int | None]] = {}
        for _, source, name, value in rows:
            if source is not None:
                by_source.setdefault(source, {})[name] = value
        if "tier" not in by_source:
            raise QuotaNotConfiguredError(
                f"tier {tier!r} of tenant {tenant_id!r} has no quota defaults, so its requests are rejected; "
                f"an operator must run 'scripts/admin set-tier-limits {tier} ...' or change the tenant's tier"
            )

        tenant_overrides = by_source.get(TENANT_SCOPE, {})
        tier_defaults = by_source["tier"]
        tenant = {name: tenant_overrides.get(name, tier_defaults.get(name)) for name in LIMIT_NAMES}
        key: dict[str, int] = {}
        if key_id and key_id != TENANT_SCOPE:
            key = {name: value for name, value in by_source.get(key_id, {}).items() if value is not None}
        return EffectiveLimits(tenant_id=tenant_id, tier=tier, tenant=tenant, key=key)

    def tenant_tier(self, tenant_id: str) -> str:
        with self._database().connection() as conn:
            row = conn.execute("SELECT tier FROM tenants WHERE id = %s", (tenant_id,)).fetchone()
        if row is None:
            raise TenantNotFoundError(f"tenant {tenant_id!r} does not exist", param="tenant_id")
        return row[0]

    def tier_limits(self, tier: str) -> dict[str, int | None]:
        with self._database().connection() as conn:
            rows = conn.execute("SELECT limit_name, value FROM quota_tier_limits WHERE tier = %s", (tier,)).fetchall()
        return {name: value for name, value in rows}

    def set_tier_limits(self, tier: str, values: Mapping[str, int | None]) -> dict[str, int | None]:
        """Set tier defaults; a limit the tier has no row for is added as "no limit" so the tier is known."""
        validate_limit_values(values)
        self.clear_cache()
        with self._database().connection() as conn, conn.transaction():
            for name in LIMIT_NAMES:
                conn.execute(
                    "INSERT INTO quota_tier_limits (tier, limit_name, value) VALUES (%s, %s, NULL)"
                    " ON CONFLICT (tier, limit_name) DO NOTHING",
                    (tier, name),
                )
            for name, value in values.items():
                conn.execute(
                    "UPDATE quota_tier_limits SET value = %s WHERE tier = %s AND limit_name = %s",
                    (value, tier, name),
                )
        return self.tier_limits(tier)

    def overrides(self, tenant_id: str, key_id: str | None = None) -> dict[str, int | None]:
        """Return the overrides stored for the tenant, or for one of its keys."""
        scope = self._checked_scope(tenant_id, key_id)
        with self._database().connection() as conn:
            rows = conn.execute(
                "SELECT limit_name, value FROM quota_limits WHERE tenant_id = %s AND scope = %s",
                (tenant_id, scope),
            ).fetchall()
        return {name: value for name, value in rows}

    def set_overrides(
        self,
        tenant_id: str,
        key_id: str | None = None,
        values: Mapping[str, int | None] | None = None,
        clear: Iterable[str] = (),
    ) -> dict[str, int | None]:
        """Store overrides (``None`` = no limit) and delete those named in ``clear``; return the result."""
        values = dict(values or {})
        clear = list(clear)
        validate_limit_values(values)
        validate_limit_values({name: None for name in clear})
        scope = self._checked_scope(tenant_id, key_id)
        self.clear_cache()
        with self._database().connection() as conn, conn.transaction():
            for name, value in values.items():
                conn.execute(
                    "INSERT INTO quota_limits (tenant_id, scope, limit_name, value) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (tenant_id, scope, limit_name)"
                    " DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
                    (tenant_id, scope, name, value),
                )
            if clear:
                conn.execute(
                    "DELETE FROM quota_limits WHERE tenant_id = %s AND scope = %s AND limit_name = ANY(%s)",
                    (tenant_id, scope, clear),
                )
        return self.overrides(tenant_id, key_id)

    def _checked_scope(self, tenant_id: str, key_id: str | None) -> str:
        """Return the scope for ``key_id`` after checking that the tenant (and the key) exist."""
        with self._database().connection() as conn:
            if conn.execute("SELECT 1 FROM tenants WHERE id = %s", (tenant_id,)).fetchone() is None:
                raise TenantNotFoundError(f"tenant {tenant_id!r} does not exist", param="tenant_id")
            if key_id is None:
                return TENANT_SCOPE
            found = conn.execute(
                "SELECT 1 FROM api_keys WHERE tenant_id = %s AND key_id = %s", (tenant_id, key_id)
            ).fetchone()
        if found is None:
            raise ApiKeyNotFoundError(f"tenant {tenant_id!r} has no API key {key_id!r}", param="key_id")
        return key_id
