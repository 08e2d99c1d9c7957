"""The interface every generation backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Literal, Protocol

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant", "tool"]
    content: str


@dataclass(frozen=True)
class SamplingParams:
    """Decoding settings; ``temperature == 0`` means greedy decoding."""

    max_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0  # 0 disables top-k filtering
    seed: int | None = None
    stop: tuple[str, ...] = ()
    repetition_penalty: float = 1.0


@dataclass(frozen=True)
class GenerationRequest:
    messages: tuple[ChatMessage, ...]
    params: SamplingParams


@dataclass
class GenerationResult:
    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int
    # Seconds from the start of generation to the first generated token.
    time_to_first_token_s: float
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class GenerationChunk:
    """A piece of streamed output; the last chunk carries the whole ``result``."""

    text: str
    result: GenerationResult | None = None


class Backend(Protocol):
    """A model backend; ``stream`` ends with a chunk whose ``result`` is set."""

    name: str

    def count_prompt_tokens(self, messages: tuple[ChatMessage, ...]) -> int: ...

    def context_window(self) -> int: ...

    def generate(self, request: GenerationRequest) -> GenerationResult: ...

    def stream(self, request: GenerationRequest) -> Iterator[GenerationChunk]: ...
