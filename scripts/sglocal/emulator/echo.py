"""A deterministic backend for the emulator: it replies with the last user message."""

from __future__ import annotations

from typing import Callable, Iterator

from sluicegate.backends.base import ChatMessage, GenerationChunk, GenerationRequest, GenerationResult


class EchoBackend:
    """Replies ``"You said: <last user message>"``, one word per generation step, cut at max_tokens or a stop sequence.

    ``count_tokens`` (a tokenizer) returns the token count of the reply, which
    stands for a real model's generated token count. Without it, each word is one token.
    """

    name = "echo"

    def __init__(self, context_window: int = 32768, count_tokens: Callable[[str], int] | None = None) -> None:
        self._window = context_window
        self._count_tokens = count_tokens

    def count_prompt_tokens(self, messages: tuple[ChatMessage, ...]) -> int:
        return sum(len(message.content.split()) + 2 for message in messages)

    def context_window(self) -> int:
        return self._window

    def generate(self, request: GenerationRequest) -> GenerationResult:
        users = [message.content for message in request.messages if message.role == "user"]
        words = ("You said: " + (users[-1] if users else "")).split()
        params = request.params
        kept = words[: params.max_tokens]
        text = " ".join(kept)
        extra: dict[str, object] = {}
        for stop in params.stop:
            if stop in text:
                text = text[: text.index(stop)]
                kept = text.split()
                extra["stop_sequence"] = stop
                break
        finish = "length" if len(words) > params.max_tokens and "stop_sequence" not in extra else "stop"
        completion_tokens = self._count_tokens(text) if self._count_tokens else len(kept)
        return GenerationResult(text, finish, self.count_prompt_tokens(request.messages), completion_tokens, 0.0, extra)

    def stream(self, request: GenerationRequest) -> Iterator[GenerationChunk]:
        result = self.generate(request)
        yield GenerationChunk(result.text, result=result)
