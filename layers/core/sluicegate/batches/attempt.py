"""Run one claimed attempt at a batch item through the chat pipeline and store the result."""

from __future__ import annotations

import logging
from enum import Enum

from pydantic import ValidationError

from ..api.chat import ChatCompletionRequest
from ..errors import GatewayError, InvalidRequestError, RateLimitError
from ..http.responses import chat_completion_body
from ..pipeline.context import RequestContext
from ..pipeline.serve import complete_chat
from ..quotas.errors import RequestIdReusedError
from ..services import Services
from .errors import ItemResultLostError, ItemRetryError
from .item_repository import Claim, ItemRepository
from .models import ItemStatus

logger = logging.getLogger(__name__)


class ItemOutcome(str, Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # Left on the queue for another delivery.
    RETRIED = "retried"
    # Not run: the item was already finished, or its batch failed to queue.
    SKIPPED = "skipped"


def is_retryable(error: GatewayError) -> bool:
    """Tell whether another delivery of the item may succeed where this attempt failed.

    5xx errors (database, screening, quota check or backend unavailable,
    timeouts) and per-minute rate limits clear with time. Every other 4xx,
    ``insufficient_quota`` included, fails the same way again.
    """
    if error.status >= 500:
        return True
    if isinstance(error, RateLimitError):
        return True
    # Another delivery of the same attempt owns this request id's reservation, and the next delivery sees its result.
    return isinstance(error, RequestIdReusedError)


class AttemptRunner:
    def __init__(self, services: Services, items: ItemRepository, max_receive_count: int) -> None:
        self.services = services
        self.items = items
        self.max_receive_count = max_receive_count

    def run(self, claim: Claim, receive_count: int, remaining_time_s: float | None) -> ItemOutcome:
        """Run the attempt and store its result.

        Raises ``ItemRetryError`` after a retryable failure while receives are left.
        """
        lost = self._lost_result(claim)
        if lost is not None:
            return self._fail(claim, lost)
        try:
            request = ChatCompletionRequest.model_validate(claim.body)
        except ValidationError as exc:
            # Bodies are validated on submission, so this happens only if the request schema changed since.
            error = InvalidRequestError(f"the stored request of this item is no longer valid: {exc.errors()[0]['msg']}")
            return self._fail(claim, error)

        ctx = RequestContext(request_id=claim.request_id, principal=claim.batch.principal(), remaining_time_s=remaining_time_s)
        ctx.metrics.add_metadata(batch_id=claim.batch.id, custom_id=claim.custom_id)
        try:
            outcome = complete_chat(ctx, request, self.services)
        except GatewayError as exc:
            return self._after_error(claim, exc, receive_count)
        except Exception as exc:  # a defect or an unexpected library error: retried like a 500
            logger.exception("batch item %s of batch %s raised %s", claim.custom_id, claim.batch.id, type(exc).__name__)
            internal = GatewayError("the batch worker failed while running this item; submit it again if this persists")
            return self._after_error(claim, internal, receive_count)

        if not self.items.finish(claim, ItemStatus.SUCCEEDED, 200, chat_completion_body(outcome), None):
            logger.warning(
                "attempt %s lost its claim on item %s of batch %s before storing the chat completion",
                claim.request_id, claim.custom_id, claim.batch.id,
            )
        return ItemOutcome.SUCCEEDED

    def _after_error(self, claim: Claim, error: GatewayError, receive_count: int) -> ItemOutcome:
        if not is_retryable(error) or receive_count >= self.max_receive_count:
            return self._fail(claim, error)
        self.items.requeue(claim, error.status, error.to_body()["error"])
        raise ItemRetryError(
            f"item {claim.custom_id!r} of batch {claim.batch.id} failed with {error.code or error.error_type} "
            f"on receive {receive_count} of {self.max_receive_count}; SQS delivers it again after the visibility timeout",
            cause=error,
        )

    def _fail(self, claim: Claim, error: GatewayError) -> ItemOutcome:
        logger.info(
            "batch item %s of batch %s failed with %s: %s",
            claim.custom_id, claim.batch.id, error.code or error.error_type, error.message,
        )
        self.items.finish(claim, ItemStatus.FAILED, error.status, None, error.to_body()["error"])
        return ItemOutcome.FAILED

    def _lost_result(self, claim: Claim) -> GatewayError | None:
        """Return an error when the abandoned previous attempt was already charged.

        Running the item again would charge it twice, so the item fails instead.
        """
        if claim.abandoned_request_id is None:
            return None
        if self.services.quotas.reservations.status(claim.abandoned_request_id) != "settled":
            return None
        return ItemResultLostError(
            f"an earlier attempt at this item was charged (request id {claim.abandoned_request_id}) but stopped "
            "before its answer was stored; submit the item again if you need the answer"
        )
