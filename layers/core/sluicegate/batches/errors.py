"""Errors of the batch API and the batch worker."""

from __future__ import annotations

from ..errors import GatewayError, InvalidRequestError, NotFoundError, ServiceUnavailableError


class BatchNotFoundError(NotFoundError):
    code = "batch_not_found"


class QueueUnavailableError(ServiceUnavailableError):
    """The batch queue did not accept every item, so the batch was marked failed."""

    code = "queue_unavailable"


class UnreadableMessageError(InvalidRequestError):
    """A queue message that does not name a batch item.

    The worker reports such a message as a failure, so that it ends up in the
    dead-letter queue where an operator can inspect it.
    """

    code = "invalid_batch_message"


class ItemRetryError(ServiceUnavailableError):
    """Raised by the worker so that SQS delivers the item's message again.

    ``cause`` is the error of the attempt, or None when the item was not run
    (its batch is still being queued, or another worker has claimed it).
    """

    code = "batch_item_retry"

    def __init__(self, message: str, cause: GatewayError | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class ItemResultLostError(GatewayError):
    """An earlier attempt was charged for a chat completion that was never stored."""

    code = "result_not_stored"
