"""Request model of ``POST /v1/redact``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_REDACT_INPUTS = 100
MAX_REDACT_INPUT_CHARS = 100_000


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

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)
