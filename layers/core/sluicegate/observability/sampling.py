"""Sampled request logging: the redacted prompt and answer of 1 in N chat requests.

The sample is chosen by a hash of the request id, so the same request id is
always in or out of the sample, in every process and on every replay. This
module never redacts anything itself: callers pass text that the screening
stage has already redacted, or ``None`` when the request was not screened, and
then no text is logged at all.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Mapping, Sequence, Union

from aws_lambda_powertools import Logger

from ..backends.base import ChatMessage

if TYPE_CHECKING:
    from ..pipeline.context import RequestContext

# A message as the pipeline stores it, or as a ``{"role": ..., "content": ...}`` mapping.
SampledMessage = Union[ChatMessage, Mapping[str, Any]]

logger = Logger(service="sluicegate", child=True)

SAMPLE_LOG_MESSAGE = "sampled request"
# Bounds that keep one sample below CloudWatch Logs' 256 KB event limit: 13
# texts of 2,000 characters stay under 160 KB even if every character is
# written as a 6-byte JSON escape.
MAX_SAMPLED_TEXT_CHARS = 2_000
MAX_SAMPLED_MESSAGES = 12


def is_sampled(request_id: str, sample_rate: int) -> bool:
    """Return whether ``request_id`` is in the 1-in-``sample_rate`` sample. A rate of 0 samples nothing."""
    if sample_rate <= 0:
        return False
    if sample_rate == 1:
        return True
    digest = hashlib.sha256(request_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % sample_rate == 0


def _clip(text: str) -> tuple[str, bool]:
    if len(text) <= MAX_SAMPLED_TEXT_CHARS:
        return text, False
    return text[:MAX_SAMPLED_TEXT_CHARS], True


def _role_and_content(message: SampledMessage) -> tuple[str, str]:
    if isinstance(message, Mapping):
        return str(message.get("role", "")), str(message.get("content", ""))
    return message.role, message.content


def _text_fields(redacted_messages: Sequence[SampledMessage] | None, redacted_answer: str | None) -> dict[str, Any]:
    """Build the text part of a sample, or only a reason when no redacted text exists."""
    if redacted_messages is None or redacted_answer is None:
        return {"text_logged": False, "text_withheld_reason": "request was not screened"}

    # The last messages carry the question being answered, so older ones are dropped first.
    recent_messages = list(redacted_messages)[-MAX_SAMPLED_MESSAGES:]
    truncated = False
    messages = []
    for message in recent_messages:
        role, content = _role_and_content(message)
        content, clipped = _clip(content)
        truncated = truncated or clipped
        messages.append({"role": role, "content": content})
    answer, clipped = _clip(redacted_answer)
    return {
        "text_logged": True,
        "messages": messages,
        "messages_omitted": len(redacted_messages) - len(recent_messages),
        "answer": answer,
        "text_truncated": truncated or clipped,
    }


def log_sample(
    ctx: RequestContext,
    redacted_messages: Sequence[SampledMessage] | None,
    redacted_answer: str | None,
    model: str,
    route: str | None,
    template_version: str | None,
    *,
    sample_rate: int,
    backend: str | None = None,
) -> bool:
    """Log one request's redacted exchange at INFO if its request id is in the sample.

    ``redacted_messages`` and ``redacted_answer`` must come from the screening
    stage. Pass ``None`` for either when the request was not screened: the
    sample then records the model, backend, route and template version only.
    Returns whether a sample was written.
    """
    if not is_sampled(ctx.request_id, sample_rate):
        return False
    logger.info(
        SAMPLE_LOG_MESSAGE,
        request_id=ctx.request_id,
        tenant_id=ctx.principal.tenant_id,
        key_id=ctx.principal.key_id,
        model=model,
        backend=backend,
        route=route,
        prompt_template_version=template_version,
        sample_rate=sample_rate,
        **_text_fields(redacted_messages, redacted_answer),
    )
    return True
