"""Submit batches and report their progress."""

from __future__ import annotations

import logging
from typing import Any, Callable

from ..api.batches import BatchCreateRequest
from ..api.chat import ChatCompletionRequest
from ..errors import ModelNotFoundError
from ..tenants.models import Principal
from .errors import BatchNotFoundError, QueueUnavailableError
from .item_repository import ItemRepository
from .models import ItemMessage, NewItem
from .queue import BatchQueue
from .repository import BatchRepository
from .views import batch_body, results_page_body

logger = logging.getLogger(__name__)


class BatchService:
    def __init__(
        self, repository: BatchRepository, items: ItemRepository, queue: BatchQueue, check_model: Callable[[str], object]
    ) -> None:
        self.repository = repository
        self.items = items
        self.queue = queue
        # Raises ModelNotFoundError for a model (or alias) the router does not serve.
        self.check_model = check_model

    def submit(self, principal: Principal, batch: BatchCreateRequest, requests: list[ChatCompletionRequest]) -> dict[str, Any]:
        """Store the batch and its items, then queue one message per item.

        When the queue does not take every message, the batch is marked
        failed, so the worker skips the messages already sent, and the caller
        gets a 503.
        """
        self._check_models(requests)
        self.queue.ensure_configured()
        items = [NewItem(custom_id=item.custom_id, body=item.body) for item in batch.items]
        created = self.repository.create(principal, items, batch.metadata)
        try:
            self.queue.send([ItemMessage(created.id, item.custom_id) for item in items])
        except QueueUnavailableError as exc:
            logger.error("batch %s of tenant %s failed while queueing: %s", created.id, principal.tenant_id, exc.message)
            error = {"code": exc.code, "message": exc.message, "param": None, "line": None}
            self.repository.mark_failed(created.id, [error])
            raise QueueUnavailableError(
                f"batch {created.id} was not queued and none of its items will run ({exc.message}); submit it again later"
            ) from exc
        started = self.repository.mark_in_progress(created.id)
        logger.info("batch %s of tenant %s queued with %d items", started.id, principal.tenant_id, len(items))
        return batch_body(started, self.repository.counts(started.id))

    def _check_models(self, requests: list[ChatCompletionRequest]) -> None:
        for index, request in enumerate(requests):
            try:
                self.check_model(request.model)
            except ModelNotFoundError as exc:
                raise ModelNotFoundError(f"items[{index}]: {exc.message}", param=f"items[{index}].body.model") from exc

    def status(self, principal: Principal, batch_id: str, after: str | None, limit: int) -> dict[str, Any]:
        """Return the batch with its counts and one page of results, or raise a 404 for another tenant's batch."""
        batch = self.repository.get(principal.tenant_id, batch_id)
        if batch is None:
            raise BatchNotFoundError(f"no batch with id {batch_id!r} exists for this API key's tenant", param="batch_id")
        if after is not None and not self.repository.has_item(batch_id, after):
            raise BatchNotFoundError(f"batch {batch_id!r} has no item with custom_id {after!r}", param="after")
        body = batch_body(batch, self.repository.counts(batch_id))
        results, has_more = self.repository.results(batch_id, after, limit)
        body["results"] = results_page_body(results, has_more)
        return body
