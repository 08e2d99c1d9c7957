"""Helpers shared by the quota tests and their worker processes."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sluicegate.quotas import Usage
from sluicegate.quotas.limits import TENANT_SCOPE

# A fixed instant 30 s into a minute, so that window ends are easy to compute by hand.
BASE_TIME = datetime(2031, 5, 14, 10, 20, 30, tzinfo=timezone.utc)
RESERVATION_TTL_S = 45.0


def new_request_id(label: str = "req") -> str:
    """Return a unique id; request ids are global in the test database, which outlives a test run."""
    return f"{label}-{uuid.uuid4().hex}"


def make_usage(prompt_tokens: int = 10, completion_tokens: int = 5, cost_micro_usd: int = 100) -> Usage:
    return Usage(
        model="test-model",
        backend="local",
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_micro_usd=cost_micro_usd,
        cost_basis="lambda_gb_s",
        latency_ms=12,
    )


def read_counter(services, tenant_id: str, limit_name: str, window_start: datetime, scope: str = TENANT_SCOPE) -> tuple[int, int]:
    """Return ``(used, reserved)`` of one counter row, or ``(0, 0)`` if it does not exist."""
    with services.db.connection() as conn:
        row = conn.execute(
            "SELECT used, reserved FROM quota_counters"
            " WHERE tenant_id = %s AND scope = %s AND limit_name = %s AND window_start = %s",
            (tenant_id, scope, limit_name, window_start),
        ).fetchone()
    return (row[0], row[1]) if row else (0, 0)


def reservation_status(services, request_id: str) -> str | None:
    with services.db.connection() as conn:
        row = conn.execute("SELECT status FROM quota_reservations WHERE request_id = %s", (request_id,)).fetchone()
    return row[0] if row else None


def ledger_total(services, tenant_id: str) -> tuple[int, int, int]:
    """Return ``(rows, tokens, micro-USD)`` recorded in the usage ledger for a tenant."""
    with services.db.connection() as conn:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(prompt_tokens + completion_tokens), 0), coalesce(sum(cost_micro_usd), 0)"
            " FROM usage_ledger WHERE tenant_id = %s",
            (tenant_id,),
        ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])
