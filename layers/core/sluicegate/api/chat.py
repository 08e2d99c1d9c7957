"""Chat completion request model, validated the way the OpenAI API documents it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .documents import CollectionName, check_json_size

MAX_STOP_SEQUENCES = 4
MAX_RETRIEVAL_TOP_K = 20
MAX_FILTER_BYTES = 4 * 1024
MAX_MESSAGES = 256
# Characters of all messages together. Screening is linear in the text, but
# digit-dense text costs the phone recognizer about 27 µs per character, so
# this bounds the screening of one request to about 5 s (docs/security.md).
# It is far above what the configured context windows (8,192 tokens) hold.
MAX_MESSAGES_CHARS = 200_000
MAX_MODEL_NAME_CHARS = 256
# An explicit bound far above every configured context window, which rejects
# smaller values with context_length_exceeded.
MAX_COMPLETION_TOKENS = 131_072
# onnxruntime-genai 0.18 takes top_k and the seed as signed 32-bit integers
# and raised RuntimeError for larger values. Every vocabulary is smaller than
# this top_k bound, so no useful value is rejected.
MAX_TOP_K = 1_000_000
MAX_SEED = 2**31 - 1


# The schema states the rule that _stop_not_empty enforces with its own message: no empty stop sequence.
StopSequence = Annotated[str, Field(json_schema_extra={"minLength": 1})]


class TextPart(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class RetrievalOptions(BaseModel):
    """Search ``collection`` with the last user message and answer from the passages found."""

    model_config = ConfigDict(extra="forbid", strict=True)

    collection: CollectionName
    top_k: Annotated[int, Field(ge=1, le=MAX_RETRIEVAL_TOP_K)] = 4
    # Only documents whose metadata contains this object (jsonb @>) are searched.
    filter: dict[str, Any] | None = None

    @field_validator("filter")
    @classmethod
    def _filter_size(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return check_json_size(value, MAX_FILTER_BYTES, "filter")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The body of ``POST /v1/chat/completions``.

    Unknown fields are rejected rather than ignored, so a caller never believes
    a parameter took effect when the gateway does not support it.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    model: Annotated[str, Field(min_length=1, max_length=MAX_MODEL_NAME_CHARS)]
    messages: Annotated[list[Message], Field(min_length=1, max_length=MAX_MESSAGES)]
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    top_k: Annotated[int, Field(ge=0, le=MAX_TOP_K)] | None = None
    # NOTE: negative seeds are rejected because their meaning differs between backends and is not tested.
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] | None = None
    stop: StopSequence | Annotated[list[StopSequence], Field(max_length=MAX_STOP_SEQUENCES)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=MAX_COMPLETION_TOKENS)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1, le=MAX_COMPLETION_TOKENS)] | None = None
    repetition_penalty: Annotated[float, Field(gt=0.0, le=2.0)] | None = None
    n: Annotated[int, Field(ge=1, le=1)] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = None
    # A sluicegate extension (OpenAI SDKs send it with extra_body).
    retrieval: RetrievalOptions | None = None

    @field_validator("messages")
    @classmethod
    def _messages_size(cls, value: list[Message]) -> list[Message]:
        size = sum(len(message.text()) for message in value)
        if size > MAX_MESSAGES_CHARS:
            raise ValueError(
                f"the messages contain {size} characters together; the limit is {MAX_MESSAGES_CHARS} per request"
            )
        return value

    @field_validator("stop")
    @classmethod
    def _stop_not_empty(cls, value: str | list[str] | None) -> str | list[str] | None:
        values = [value] if isinstance(value, str) else value or []
        if any(item == "" for item in values):
            raise ValueError("stop sequences must be non-empty strings")
        return value

    def stop_sequences(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)

    def requested_max_tokens(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens
