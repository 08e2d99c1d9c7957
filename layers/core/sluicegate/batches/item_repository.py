"""SQL the batch worker runs: claim an item, then store its result or queue it again."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from psycopg.types.json import Jsonb

from ..db.pool import Database
from .models import FINAL_ITEM_STATUSES, Batch, BatchStatus, ItemStatus, item_request_id
from .repository import BATCH_COLUMNS, batch_from_row

_BATCH_COLUMNS_OF_B = ", ".join(f"b.{column.strip()}" for column in BATCH_COLUMNS.split(","))

_LOCK_ITEM_SQL = f"""
SELECT i.status, i.attempts, i.request_id, i.body,
       coalesce(i.lease_expires_at > now(), false) AS leased,
       {_BATCH_COLUMNS_OF_B}
FROM batch_items i JOIN batches b ON b.id = i.batch_id
WHERE i.batch_id = %s AND i.custom_id = %s
FOR UPDATE OF i
"""

# A batch is complete when none of its items is queued or running. The batch
# row is locked first, so two workers that finish the last two items one
# after the other cannot both miss the completion.
_COMPLETE_BATCH_SQL = """
UPDATE batches SET status = 'completed', completed_at = now()
WHERE id = %s AND status = 'in_progress'
  AND NOT EXISTS (SELECT 1 FROM batch_items WHERE batch_id = %s AND status IN ('queued', 'running'))
"""


class ClaimKind(str, Enum):
    CLAIMED = "claimed"  # the caller runs a new attempt
    FINISHED = "finished"  # the item already succeeded or failed
    BUSY = "busy"  # another worker holds an unexpired lease on the item
    NOT_READY = "not_ready"  # the batch is still being queued
    BATCH_FAILED = "batch_failed"  # the batch could not be queued, so its items never run
    MISSING = "missing"  # no such batch item


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    batch: Batch | None = None
    custom_id: str = ""
    body: dict[str, Any] | None = None
    attempt: int = 0
    request_id: str | None = None
    # Request id of an earlier attempt that was still running when its lease expired.
    abandoned_request_id: str | None = None


class ItemRepository:
    def __init__(self, database: Callable[[], Database]) -> None:
        self._database = database

    def claim(self, batch_id: str, custom_id: str, lease_s: float) -> Claim:
        """Start the next attempt at an item, unless it is finished, leased, or its batch is not running."""
        with self._database().connection() as conn, conn.transaction():
            row = conn.execute(_LOCK_ITEM_SQL, (batch_id, custom_id)).fetchone()
            if row is None:
                return Claim(ClaimKind.MISSING)
            status, attempts, previous_request_id, body, leased = row[:5]
            batch = batch_from_row(row[5:])
            status = ItemStatus(status)
            if batch.status is BatchStatus.FAILED:
                return Claim(ClaimKind.BATCH_FAILED, batch, custom_id)
            if batch.status is BatchStatus.VALIDATING:
                return Claim(ClaimKind.NOT_READY, batch, custom_id)
            if status in FINAL_ITEM_STATUSES:
                return Claim(ClaimKind.FINISHED, batch, custom_id)
            if status is ItemStatus.RUNNING and leased:
                return Claim(ClaimKind.BUSY, batch, custom_id)

            attempt = attempts + 1
            request_id = item_request_id(batch_id, custom_id, attempt)
            conn.execute(
                "UPDATE batch_items SET status = 'running', attempts = %s, request_id = %s,"
                " lease_expires_at = now() + make_interval(secs => %s), updated_at = now()"
                " WHERE batch_id = %s AND custom_id = %s",
                (attempt, request_id, lease_s, batch_id, custom_id),
            )
        abandoned = previous_request_id if status is ItemStatus.RUNNING else None
        return Claim(ClaimKind.CLAIMED, batch, custom_id, body, attempt, request_id, abandoned)

    def finish(
        self,
        claim: Claim,
        status: ItemStatus,
        status_code: int,
        response: dict[str, Any] | None,
        error: dict[str, Any] | None,
    ) -> bool:
        """Store the final result of the claimed attempt and complete the batch if it was the last open item.

        Returns False when the attempt no longer holds the item (another worker took it over).
        """
        batch_id = claim.batch.id
        with self._database().connection() as conn, conn.transaction():
            conn.execute("SELECT 1 FROM batches WHERE id = %s FOR UPDATE", (batch_id,))
            updated = conn.execute(
                "UPDATE batch_items SET status = %s, status_code = %s, response = %s, error = %s,"
                " lease_expires_at = NULL, updated_at = now(), completed_at = now()"
                " WHERE batch_id = %s AND custom_id = %s AND request_id = %s AND status = 'running'"
                " RETURNING 1",
                (status.value, status_code, _json(response), _json(error), batch_id, claim.custom_id, claim.request_id),
            ).fetchone()
            if updated is None:
                return False
            conn.execute(_COMPLETE_BATCH_SQL, (batch_id, batch_id))
        return True

    def requeue(self, claim: Claim, status_code: int, error: dict[str, Any]) -> bool:
        """Put the claimed item back to ``queued`` with the error of the attempt, for SQS to deliver again."""
        with self._database().connection() as conn:
            updated = conn.execute(
                "UPDATE batch_items SET status = 'queued', status_code = %s, error = %s,"
                " lease_expires_at = NULL, updated_at = now()"
                " WHERE batch_id = %s AND custom_id = %s AND request_id = %s AND status = 'running'"
                " RETURNING 1",
                (status_code, Jsonb(error), claim.batch.id, claim.custom_id, claim.request_id),
            ).fetchone()
        return updated is not None

    def fail_if_stale(self, batch_id: str, older_than_s: float, errors: list[dict[str, Any]]) -> bool:
        """Mark a batch failed that is still ``validating`` after ``older_than_s`` seconds."""
        with self._database().connection() as conn:
            updated = conn.execute(
                "UPDATE batches SET status = 'failed', failed_at = now(), errors = %s"
                " WHERE id = %s AND status = 'validating' AND created_at < now() - make_interval(secs => %s)"
                " RETURNING 1",
                (Jsonb(errors), batch_id, older_than_s),
            ).fetchone()
        return updated is not None


def _json(value: dict[str, Any] | None) -> Jsonb | None:
    return Jsonb(value) if value is not None else None
