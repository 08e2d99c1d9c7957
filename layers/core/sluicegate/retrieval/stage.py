"""The retrieve stage of a chat request: fetch passages and rewrite the last user message."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Callable

from ..backends.base import ChatMessage
from ..errors import InvalidRequestError
from .errors import RetrievalFailedError
from .models import Passage, RetrievalReport
from .prompts import DEFAULT_TEMPLATE
from .retriever import Retriever

if TYPE_CHECKING:
    from ..pipeline.context import RequestContext

logger = logging.getLogger(__name__)

Messages = tuple[ChatMessage, ...]


def augment_messages(
    ctx: "RequestContext",
    collection: str,
    top_k: int,
    metadata_filter: dict[str, Any] | None,
    messages: Messages,
    retriever: Retriever | None,
    fits: Callable[[Messages], bool],
) -> tuple[Messages, RetrievalReport]:
    """Search with the last user message and replace it by the prompt template with the passages.

    Passages are dropped from the lowest score up until ``fits`` accepts the
    messages. When retrieval fails and the tenant's policy is ``"answer"``,
    the messages come back unchanged with a report whose status is ``"failed"``.
    """
    if retriever is None:
        raise InvalidRequestError("retrieval is not available on this gateway; remove 'retrieval'", param="retrieval")
    position = _last_user_message(messages)
    tenant_id = ctx.principal.tenant_id
    mode = retriever.policies.mode(tenant_id)
    started = time.perf_counter()
    try:
        passages = retriever.retrieve(tenant_id, messages[position].content, collection, top_k, metadata_filter)
    except RetrievalFailedError as exc:
        ctx.metrics.add_single("RetrievalFailures", 1, {})
        logger.warning(
            "retrieval failed; %s", "rejecting the request" if mode == "error" else "answering without context",
            extra={"request_id": ctx.request_id, "tenant_id": tenant_id, "error": exc.message},
        )
        if mode == "error":
            raise
        return messages, RetrievalReport(collection, "failed")
    finally:
        ctx.metrics.add_single("RetrievalLatency", (time.perf_counter() - started) * 1000, {})

    report = RetrievalReport(collection, "ok")
    if not passages:
        ctx.metrics.add_single("RetrievalPassages", 0, {})
        return messages, report
    ctx.metrics.add_single("RetrievalTopScore", passages[0].score, {})
    used: list[Passage] = list(passages)
    augmented = _with_passages(messages, position, used)
    while used and not fits(augmented):
        used.pop()
        augmented = _with_passages(messages, position, used) if used else messages
    report.passages = used
    report.dropped = len(passages) - len(used)
    report.template_version = DEFAULT_TEMPLATE.version if used else None
    ctx.metrics.add_single("RetrievalPassages", len(used), {})
    return augmented, report


def _last_user_message(messages: Messages) -> int:
    for position in range(len(messages) - 1, -1, -1):
        if messages[position].role == "user" and messages[position].content.strip():
            return position
    raise InvalidRequestError(
        "retrieval searches with the last user message, but the request has no non-empty user message; add one",
        param="messages",
    )


def _with_passages(messages: Messages, position: int, passages: list[Passage]) -> Messages:
    question = messages[position].content
    rewritten = ChatMessage(role="user", content=DEFAULT_TEMPLATE.render(question, passages))
    return messages[:position] + (rewritten,) + messages[position + 1 :]
