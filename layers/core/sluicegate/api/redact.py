"""Request model of ``POST /v1/redact``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .chat import MAX_MESSAGES_CHARS

MAX_REDACT_INPUTS = 100
MAX_REDACT_INPUT_CHARS = 100_000
# The same screening budget as the messages of one chat request.
MAX_REDACT_TOTAL_CHARS = MAX_MESSAGES_CHARS


class RedactRequest(BaseModel):
    """Texts to analyse with the caller's screening policy.

    Each text gets its own numbering, unless ``shared_numbering`` is set, in
    which case the same value gets the same placeholder across all inputs (as
    in the messages of one chat request).
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    input: (
        Annotated[str, Field(max_length=MAX_REDACT_INPUT_CHARS)]
        | Annotated[list[Annotated[str, Field(max_length=MAX_REDACT_INPUT_CHARS)]], Field(min_length=1, max_length=MAX_REDACT_INPUTS)]
    )
    shared_numbering: bool = False
    detect_injection: bool = True

    @field_validator("input")
    @classmethod
    def _total_size(cls, value: str | list[str]) -> str | list[str]:
        size = len(value) if isinstance(value, str) else sum(len(text) for text in value)
        if size > MAX_REDACT_TOTAL_CHARS:
            raise ValueError(
                f"the inputs contain {size} characters together; the limit is {MAX_REDACT_TOTAL_CHARS} per request"
            )
        return value

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)
