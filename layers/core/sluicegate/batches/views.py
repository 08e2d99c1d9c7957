"""JSON bodies of the batch object and its results, shaped after the OpenAI Batch API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .models import FINAL_ITEM_STATUSES, Batch, ItemCounts, ItemResult, ItemStatus


def _epoch(moment: datetime | None) -> int | None:
    return int(moment.timestamp()) if moment is not None else None


def batch_body(batch: Batch, counts: ItemCounts) -> dict[str, Any]:
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": batch.endpoint,
        "status": batch.status.value,
        "created_at": _epoch(batch.created_at),
        "in_progress_at": _epoch(batch.in_progress_at),
        "completed_at": _epoch(batch.completed_at),
        "failed_at": _epoch(batch.failed_at),
        "errors": {"object": "list", "data": batch.errors} if batch.errors else None,
        "metadata": batch.metadata,
        "request_counts": {
            "total": batch.item_count,
            "queued": counts.queued,
            "running": counts.running,
            "succeeded": counts.succeeded,
            "failed": counts.failed,
        },
    }


def result_body(item: ItemResult) -> dict[str, Any]:
    """Render one item: the answer of a succeeded item, the error of a failed one.

    An item still queued or running shows the error of its last attempt, if any, as ``last_error``.
    """
    succeeded = item.status is ItemStatus.SUCCEEDED
    failed = item.status is ItemStatus.FAILED
    return {
        "custom_id": item.custom_id,
        "status": item.status.value,
        "attempts": item.attempts,
        "request_id": item.request_id,
        "status_code": item.status_code if item.status in FINAL_ITEM_STATUSES else None,
        "response": item.response if succeeded else None,
        "error": item.error if failed else None,
        "last_error": item.error if not succeeded and not failed else None,
    }


def results_page_body(results: list[ItemResult], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [result_body(item) for item in results],
        "first_id": results[0].custom_id if results else None,
        "last_id": results[-1].custom_id if results else None,
        "has_more": has_more,
    }
