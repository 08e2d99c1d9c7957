"""SQL for creating batches and reading them back. Every statement is parameterised."""

from __future__ import annotations

import uuid
from typing import Any, Callable

from psycopg.types.json import Jsonb

from ..db.pool import Database
from ..tenants.models import Principal
from .models import Batch, BatchStatus, ItemCounts, ItemResult, ItemStatus, NewItem

BATCH_COLUMNS = (
    "id, tenant_id, key_id, tier, endpoint, status, metadata, errors, item_count,"
    " created_at, in_progress_at, completed_at, failed_at"
)

_INSERT_ITEM_SQL = "INSERT INTO batch_items (batch_id, custom_id, item_index, body) VALUES (%s, %s, %s, %s)"


def batch_from_row(row: tuple) -> Batch:
    values = list(row)
    values[5] = BatchStatus(values[5])
    return Batch(*values)


class BatchRepository:
    def __init__(self, database: Callable[[], Database]) -> None:
        self._database = database

    def create(self, principal: Principal, items: list[NewItem], metadata: dict[str, str] | None) -> Batch:
        """Insert a batch in status ``validating`` and all its items, in one transaction."""
        batch_id = f"batch_{uuid.uuid4().hex}"
        with self._database().connection() as conn, conn.transaction():
            row = conn.execute(
                "INSERT INTO batches (id, tenant_id, key_id, tier, metadata, item_count)"
                f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {BATCH_COLUMNS}",
                (batch_id, principal.tenant_id, principal.key_id, principal.tier,
                 Jsonb(metadata) if metadata is not None else None, len(items)),
            ).fetchone()
            with conn.cursor() as cursor:
                cursor.executemany(
                    _INSERT_ITEM_SQL,
                    [(batch_id, item.custom_id, index, Jsonb(item.body)) for index, item in enumerate(items)],
                )
        return batch_from_row(row)

    def mark_in_progress(self, batch_id: str) -> Batch:
        with self._database().connection() as conn:
            row = conn.execute(
                "UPDATE batches SET status = 'in_progress', in_progress_at = now()"
                f" WHERE id = %s AND status = 'validating' RETURNING {BATCH_COLUMNS}",
                (batch_id,),
            ).fetchone()
        return batch_from_row(row)

    def mark_failed(self, batch_id: str, errors: list[dict[str, Any]]) -> None:
        """Mark a batch that is still ``validating`` failed, so the worker ignores its queued messages."""
        with self._database().connection() as conn:
            conn.execute(
                "UPDATE batches SET status = 'failed', failed_at = now(), errors = %s"
                " WHERE id = %s AND status = 'validating'",
                (Jsonb(errors), batch_id),
            )

    def get(self, tenant_id: str, batch_id: str) -> Batch | None:
        """Return the batch if it belongs to ``tenant_id``, and None for a missing or another tenant's batch."""
        with self._database().connection() as conn:
            row = conn.execute(
                f"SELECT {BATCH_COLUMNS} FROM batches WHERE id = %s AND tenant_id = %s",
                (batch_id, tenant_id),
            ).fetchone()
        return batch_from_row(row) if row else None

    def counts(self, batch_id: str) -> ItemCounts:
        with self._database().connection() as conn:
            rows = conn.execute(
                "SELECT status, count(*) FROM batch_items WHERE batch_id = %s GROUP BY status", (batch_id,)
            ).fetchall()
        return ItemCounts(**{status: int(count) for status, count in rows})

    def results(self, batch_id: str, after: str | None, limit: int) -> tuple[list[ItemResult], bool]:
        """Return up to ``limit`` items in submission order after the item ``after``, and whether more follow."""
        with self._database().connection() as conn:
            rows = conn.execute(
                "SELECT custom_id, status, attempts, request_id, status_code, response, error"
                " FROM batch_items WHERE batch_id = %s AND item_index > coalesce("
                "  (SELECT item_index FROM batch_items WHERE batch_id = %s AND custom_id = %s), -1)"
                " ORDER BY item_index LIMIT %s",
                (batch_id, batch_id, after, limit + 1),
            ).fetchall()
        results = [
            ItemResult(custom_id, ItemStatus(status), attempts, request_id, status_code, response, error)
            for custom_id, status, attempts, request_id, status_code, response, error in rows[:limit]
        ]
        return results, len(rows) > limit

    def has_item(self, batch_id: str, custom_id: str) -> bool:
        with self._database().connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM batch_items WHERE batch_id = %s AND custom_id = %s", (batch_id, custom_id)
            ).fetchone()
        return row is not None
