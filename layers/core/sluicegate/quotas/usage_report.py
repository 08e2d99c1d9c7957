"""The body of ``GET /v1/usage``: a caller's usage and remaining room per window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..tenants.models import Principal
from .limits import LIMIT_NAMES, LIMIT_SPECS, TENANT_SCOPE, EffectiveLimits, current_windows, seconds_until, window_end
from .models import CounterKey
from .queries import QuotaQueries


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def build_usage_report(principal: Principal, limits: EffectiveLimits, now: datetime, queries: QuotaQueries) -> dict[str, Any]:
    """List every tenant limit and every limit set on the calling key, with the current window's counters.

    ``used`` is settled usage; ``reserved`` is the worst case still held by
    running requests. Amounts of ``micro_usd`` limits are integer micro-USD.
    """
    windows = current_windows(now)
    entries: list[tuple[str, str, int | None]] = [(TENANT_SCOPE, name, limits.tenant.get(name)) for name in LIMIT_NAMES]
    entries += [(principal.key_id, name, limits.key[name]) for name in LIMIT_NAMES if name in limits.key]
    keys = [CounterKey(scope, name, windows[LIMIT_SPECS[name].window]) for scope, name, _ in entries]
    states = queries.counters(principal.tenant_id, keys)

    report = []
    for (scope, name, limit), key in zip(entries, keys):
        spec = LIMIT_SPECS[name]
        state = states[key]
        end = window_end(spec.window, key.window_start)
        report.append(
            {
                "name": name,
                "scope": "tenant" if scope == TENANT_SCOPE else "key",
                "unit": spec.metric.value,
                "window": spec.window.value,
                "window_start": _iso(key.window_start),
                "window_end": _iso(end),
                "resets_in_seconds": seconds_until(end, now),
                "limit": limit,
                "used": state.used,
                "reserved": state.reserved,
                "remaining": None if limit is None else max(0, limit - state.used - state.reserved),
            }
        )
    return {
        "object": "usage",
        "tenant_id": principal.tenant_id,
        "key_id": principal.key_id,
        "tier": limits.tier,
        "as_of": _iso(now),
        "limits": report,
    }
