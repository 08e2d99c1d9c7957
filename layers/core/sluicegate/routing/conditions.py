"""Rule conditions: every condition that is set must hold (logical AND)."""

from __future__ import annotations

from typing import Annotated, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RouteFacts(Protocol):
    """The request facts that rules read; ``prompt_tokens`` and ``complexity`` are computed on first read."""

    @property
    def prompt_tokens(self) -> int: ...

    @property
    def max_tokens(self) -> int | None: ...

    @property
    def tier(self) -> str: ...

    @property
    def retrieval(self) -> bool: ...

    @property
    def complexity(self) -> float: ...


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt_tokens_min: Annotated[int, Field(ge=0)] | None = None
    prompt_tokens_max: Annotated[int, Field(ge=0)] | None = None
    # Compared with the request's max_tokens (or max_completion_tokens); a request without one never matches.
    max_tokens_min: Annotated[int, Field(ge=1)] | None = None
    tier: Annotated[list[str], Field(min_length=1)] | None = None
    retrieval: bool | None = None
    complexity_min: Annotated[float, Field(ge=0, le=1)] | None = None
    complexity_max: Annotated[float, Field(ge=0, le=1)] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> "Condition":
        if not self.model_fields_set:
            raise ValueError("a rule needs at least one condition; use the 'default' route for the rest")
        return self

    def matches(self, facts: RouteFacts) -> bool:
        if self.tier is not None and facts.tier not in self.tier:
            return False
        if self.retrieval is not None and facts.retrieval != self.retrieval:
            return False
        if self.max_tokens_min is not None and (facts.max_tokens is None or facts.max_tokens < self.max_tokens_min):
            return False
        if self.prompt_tokens_min is not None and facts.prompt_tokens < self.prompt_tokens_min:
            return False
        if self.prompt_tokens_max is not None and facts.prompt_tokens > self.prompt_tokens_max:
            return False
        if self.complexity_min is not None and facts.complexity < self.complexity_min:
            return False
        if self.complexity_max is not None and facts.complexity > self.complexity_max:
            return False
        return True
