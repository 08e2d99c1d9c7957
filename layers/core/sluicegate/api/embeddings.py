"""Request model of ``POST /v1/embeddings``, following the OpenAI API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .chat import MAX_MODEL_NAME_CHARS

NonEmptyText = Annotated[str, Field(min_length=1)]


class EmbeddingsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    model: Annotated[str, Field(min_length=1, max_length=MAX_MODEL_NAME_CHARS)]
    input: NonEmptyText | Annotated[list[NonEmptyText], Field(min_length=1)]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, Field(ge=1)] | None = None
    user: str | None = None

    @field_validator("input", mode="before")
    @classmethod
    def _reject_token_arrays(cls, value: object) -> object:
        if isinstance(value, list) and value and all(isinstance(item, (int, list)) for item in value):
            raise ValueError("token arrays are not supported; send the input as a string or a list of strings")
        return value

    def texts(self) -> list[str]:
        return [self.input] if isinstance(self.input, str) else list(self.input)
