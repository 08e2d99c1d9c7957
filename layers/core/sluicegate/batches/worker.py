"""Process one SQS message of the batch queue: claim the item it names, run it, store the result.

Processing is idempotent per (batch id, custom id): a message for an item
that already succeeded or failed runs nothing and charges nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from ..observability.metrics import RequestMetrics
from ..services import Services
from .attempt import AttemptRunner, ItemOutcome
from .errors import ItemRetryError, UnreadableMessageError
from .item_repository import Claim, ClaimKind
from .models import ItemMessage

logger = logging.getLogger(__name__)

# A message that arrives while its batch is still being queued waits this long
# for the submit request to finish, polling every NOT_READY_POLL_S.
NOT_READY_WAIT_S = 10.0
NOT_READY_POLL_S = 0.25
# A batch still "validating" after this long lost its submit request, which
# API Gateway ends after 29 s, so the worker marks it failed.
STALE_VALIDATING_S = 120.0
# A claim's lease outlives the invocation's remaining time by this margin, so
# that only a dead attempt loses its item to a redelivery.
LEASE_MARGIN_S = 30.0
# Lease when the remaining time is unknown (a handler called without a Lambda context).
DEFAULT_LEASE_S = 900.0
# An item is not started with less time left, and its message is retried instead.
MIN_REMAINING_S = 30.0

_STALE_ERROR = {
    "code": "batch_not_queued",
    "message": "the request that submitted this batch stopped before every item was queued; submit the batch again",
    "param": None,
    "line": None,
}


class BatchWorker:
    def __init__(
        self,
        services: Services,
        max_receive_count: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.items = services.batches.items
        limit = max_receive_count or services.settings.batch_max_receive_count
        self.runner = AttemptRunner(services, self.items, limit)
        self._sleep = sleep
        self._monotonic = monotonic

    def process(self, body: str, receive_count: int, remaining_time_s: float | None = None) -> ItemOutcome:
        """Process one message body.

        Raises ``ItemRetryError`` for SQS to deliver the message again, and
        ``UnreadableMessageError`` for a message that names no batch item.
        """
        message = ItemMessage.from_json(body)
        if remaining_time_s is not None and remaining_time_s < MIN_REMAINING_S:
            raise ItemRetryError(f"only {remaining_time_s:.0f} s of the invocation are left; item {message.custom_id!r} is not started")
        claim = self._claim_when_ready(message, remaining_time_s)

        if claim.kind is ClaimKind.MISSING:
            raise UnreadableMessageError(f"the message names item {message.custom_id!r} of batch {message.batch_id!r}, which does not exist")
        if claim.kind in (ClaimKind.FINISHED, ClaimKind.BATCH_FAILED):
            logger.info("skipped item %s of batch %s: %s", message.custom_id, message.batch_id, claim.kind.value)
            return ItemOutcome.SKIPPED
        if claim.kind is ClaimKind.BUSY:
            raise ItemRetryError(f"another delivery is running item {message.custom_id!r} of batch {message.batch_id}")
        if claim.kind is ClaimKind.NOT_READY:
            raise ItemRetryError(f"batch {message.batch_id} is still being queued")

        try:
            outcome = self.runner.run(claim, receive_count, remaining_time_s)
        except ItemRetryError:
            record_item_metric(claim, ItemOutcome.RETRIED)
            raise
        record_item_metric(claim, outcome)
        return outcome

    def _claim_when_ready(self, message: ItemMessage, remaining_time_s: float | None) -> Claim:
        if remaining_time_s is None:
            lease_s, wait_s = DEFAULT_LEASE_S, NOT_READY_WAIT_S
        else:
            lease_s = remaining_time_s + LEASE_MARGIN_S
            wait_s = min(NOT_READY_WAIT_S, max(0.0, remaining_time_s - MIN_REMAINING_S))
        deadline = self._monotonic() + wait_s
        while True:
            claim = self.items.claim(message.batch_id, message.custom_id, lease_s)
            if claim.kind is not ClaimKind.NOT_READY:
                return claim
            if self.items.fail_if_stale(message.batch_id, STALE_VALIDATING_S, [_STALE_ERROR]):
                logger.error("batch %s was never fully queued; marked it failed", message.batch_id)
                return Claim(ClaimKind.BATCH_FAILED, claim.batch, message.custom_id)
            if self._monotonic() >= deadline:
                return claim
            self._sleep(NOT_READY_POLL_S)


def record_item_metric(claim: Claim, outcome: ItemOutcome) -> None:
    """Emit ``BatchItems`` for one processed item, with the tenant in metadata rather than a dimension."""
    metrics = RequestMetrics(claim.request_id or "")
    metrics.add_metadata(tenant_id=claim.batch.tenant_id, batch_id=claim.batch.id, custom_id=claim.custom_id)
    metrics.add_single("BatchItems", 1, {"Outcome": outcome.value})
    metrics.flush()
