"""Release expired reservations and delete counter and reservation rows past their retention.

Run by the sweeper function once a minute. Each expired reservation is
released in its own transaction, so a crash part-way loses nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from .limits import LIMIT_SPECS, Window
from .service import QuotaService

# Counter rows are kept this long after their window starts, for GET /v1/usage and debugging.
COUNTER_RETENTION = {Window.MINUTE: timedelta(hours=1), Window.DAY: timedelta(days=3), Window.MONTH: timedelta(days=100)}
# Settled, released and expired reservations are kept this long; the usage ledger is permanent.
RESERVATION_RETENTION = timedelta(days=2)
# Bounds one run, so that a backlog is worked off over several runs within the Lambda timeout.
MAX_RELEASED_PER_RUN = 5000
MAX_DELETED_PER_STATEMENT = 10000

_DELETE_COUNTERS_SQL = """
DELETE FROM quota_counters WHERE ctid IN (
    SELECT ctid FROM quota_counters
    WHERE reserved = 0 AND limit_name = ANY(%s) AND window_start < %s
    LIMIT %s)
"""
_DELETE_RESERVATIONS_SQL = """
DELETE FROM quota_reservations WHERE ctid IN (
    SELECT ctid FROM quota_reservations
    WHERE status <> 'reserved' AND closed_at < %s
    LIMIT %s)
"""


@dataclass(frozen=True)
class SweepResult:
    released: int
    counters_deleted: int
    reservations_deleted: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Sweeper:
    def __init__(self, quotas: QuotaService) -> None:
        self.quotas = quotas

    def run(self) -> SweepResult:
        released = self.quotas.release_expired(tenant_id=None, limit=MAX_RELEASED_PER_RUN)
        counters_deleted, reservations_deleted = self.delete_old_rows()
        return SweepResult(released, counters_deleted, reservations_deleted)

    def delete_old_rows(self) -> tuple[int, int]:
        now = self.quotas.clock.now()
        counters_deleted = 0
        with self.quotas.database().connection() as conn:
            for window, retention in COUNTER_RETENTION.items():
                names = [name for name, spec in LIMIT_SPECS.items() if spec.window is window]
                cursor = conn.execute(_DELETE_COUNTERS_SQL, (names, now - retention, MAX_DELETED_PER_STATEMENT))
                counters_deleted += cursor.rowcount
            cursor = conn.execute(_DELETE_RESERVATIONS_SQL, (now - RESERVATION_RETENTION, MAX_DELETED_PER_STATEMENT))
        return counters_deleted, cursor.rowcount
