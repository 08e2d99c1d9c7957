"""The facts about one request that routing rules read."""

from __future__ import annotations

from functools import cached_property
from typing import Callable

from ..backends.base import ChatMessage
from .complexity import complexity_score


class RequestFacts:
    """Facts of one chat request; the prompt token count and complexity are computed only if a rule reads them."""

    def __init__(
        self,
        messages: tuple[ChatMessage, ...],
        *,
        max_tokens: int | None,
        tier: str,
        tenant_id: str,
        retrieval: bool = False,
        count_prompt_tokens: Callable[[tuple[ChatMessage, ...]], int] | None = None,
    ) -> None:
        self.messages = messages
        self.max_tokens = max_tokens
        self.tier = tier
        self.tenant_id = tenant_id
        self.retrieval = retrieval
        self._count_prompt_tokens = count_prompt_tokens

    @cached_property
    def prompt_tokens(self) -> int:
        if self._count_prompt_tokens is None:
            raise RuntimeError("these request facts have no token counter, so rules on prompt tokens cannot run")
        return self._count_prompt_tokens(self.messages)

    @cached_property
    def complexity(self) -> float:
        return complexity_score(self.messages)
