"""Read-only quota queries: open holds for Retry-After, expired holds, current counters."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from ..db.pool import Database
from .models import CounterKey, CounterState

# Expiry and amount of every open hold in one counter row, earliest expiry first.
_OPEN_HOLDS_SQL = """
SELECT r.expires_at, quota_metric_amount(u.metric, 1, r.tokens, r.micro_usd)
FROM quota_reservations r
CROSS JOIN LATERAL unnest(r.counter_scopes, r.counter_names, r.counter_starts, r.counter_metrics)
     AS u(scope, limit_name, window_start, metric)
WHERE r.tenant_id = %s AND r.status = 'reserved'
  AND u.scope = %s AND u.limit_name = %s AND u.window_start = %s
ORDER BY r.expires_at
"""

_READ_COUNTERS_SQL = """
SELECT c.scope, c.limit_name, c.window_start, c.used, c.reserved
FROM quota_counters c
JOIN unnest(%s::text[], %s::text[], %s::timestamptz[]) AS u(scope, limit_name, window_start)
  ON c.scope = u.scope AND c.limit_name = u.limit_name AND c.window_start = u.window_start
WHERE c.tenant_id = %s
"""


class QuotaQueries:
    def __init__(self, database: Callable[[], Database]) -> None:
        self._database = database

    def open_holds(self, tenant_id: str, key: CounterKey) -> list[tuple[datetime, int]]:
        """Return ``(expires_at, amount)`` of each open reservation counted in ``key``, earliest first."""
        with self._database().connection() as conn:
            rows = conn.execute(_OPEN_HOLDS_SQL, (tenant_id, key.scope, key.limit_name, key.window_start)).fetchall()
        return [(expires_at, amount) for expires_at, amount in rows]

    def expired_request_ids(self, now: datetime, limit: int, tenant_id: str | None = None) -> list[str]:
        """Return ids of open reservations whose expiry is at or before ``now``, oldest first."""
        query = "SELECT request_id FROM quota_reservations WHERE status = 'reserved' AND expires_at <= %s"
        params: list[object] = [now]
        if tenant_id is not None:
            query += " AND tenant_id = %s"
            params.append(tenant_id)
        query += " ORDER BY expires_at LIMIT %s"
        params.append(limit)
        with self._database().connection() as conn:
            return [row[0] for row in conn.execute(query, params).fetchall()]

    def counters(self, tenant_id: str, keys: list[CounterKey]) -> dict[CounterKey, CounterState]:
        """Read counter rows without locking; a row that does not exist yet reads as zero."""
        states = {key: CounterState(0, 0) for key in keys}
        params = ([key.scope for key in keys], [key.limit_name for key in keys], [key.window_start for key in keys], tenant_id)
        with self._database().connection() as conn:
            for scope, name, start, used, reserved in conn.execute(_READ_COUNTERS_SQL, params).fetchall():
                states[CounterKey(scope, name, start)] = CounterState(used, reserved)
        return states
