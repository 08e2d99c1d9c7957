"""Batch and batch item records, and the queue message that names one item."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from ..tenants.models import Principal
from .errors import UnreadableMessageError


class BatchStatus(str, Enum):
    VALIDATING = "validating"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


class ItemStatus(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


FINAL_ITEM_STATUSES = frozenset({ItemStatus.SUCCEEDED, ItemStatus.FAILED})


@dataclass(frozen=True)
class NewItem:
    custom_id: str
    # The validated chat completion request, as JSON.
    body: dict[str, Any]


@dataclass(frozen=True)
class Batch:
    id: str
    tenant_id: str
    key_id: str
    tier: str
    endpoint: str
    status: BatchStatus
    metadata: dict[str, str] | None
    errors: list[dict[str, Any]] | None
    item_count: int
    created_at: datetime
    in_progress_at: datetime | None = None
    completed_at: datetime | None = None
    failed_at: datetime | None = None

    def principal(self) -> Principal:
        """Return the caller that submitted the batch, as whom its items run and are charged."""
        return Principal(tenant_id=self.tenant_id, key_id=self.key_id, tier=self.tier)


@dataclass(frozen=True)
class ItemCounts:
    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.running + self.succeeded + self.failed


@dataclass(frozen=True)
class ItemResult:
    """One item as GET /v1/batches/{batch_id} shows it."""

    custom_id: str
    status: ItemStatus
    attempts: int
    request_id: str | None
    status_code: int | None
    response: dict[str, Any] | None
    error: dict[str, Any] | None


def item_request_id(batch_id: str, custom_id: str, attempt: int) -> str:
    """Return the quota request id of one attempt at an item.

    The id depends only on its inputs, so a redelivered message of an attempt
    reuses the attempt's reservation and ledger row instead of charging again.
    """
    digest = hashlib.sha256(custom_id.encode("utf-8")).hexdigest()[:16]
    return f"{batch_id}:{digest}:{attempt}"


@dataclass(frozen=True)
class ItemMessage:
    """The body of one queue message: a reference to an item stored in Postgres."""

    batch_id: str
    custom_id: str

    def to_json(self) -> str:
        return json.dumps({"batch_id": self.batch_id, "custom_id": self.custom_id}, ensure_ascii=False)

    @classmethod
    def from_json(cls, body: str) -> "ItemMessage":
        """Parse a message body, or raise ``UnreadableMessageError`` when it names no item."""
        try:
            value = json.loads(body)
        except (TypeError, json.JSONDecodeError) as exc:
            raise UnreadableMessageError(f"the message body is not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise UnreadableMessageError(f"the message body must be a JSON object, not {type(value).__name__}")
        batch_id, custom_id = value.get("batch_id"), value.get("custom_id")
        if not isinstance(batch_id, str) or not batch_id or not isinstance(custom_id, str) or not custom_id:
            raise UnreadableMessageError("the message body must contain the strings 'batch_id' and 'custom_id'")
        return cls(batch_id=batch_id, custom_id=custom_id)
