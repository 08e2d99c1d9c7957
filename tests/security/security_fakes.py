"""Stand-ins for the two models, so the security tests run the real HTTP, SQL and
screening paths in seconds.

``EchoBackend`` returns the last message it received, which is the screened
(redacted) text, so the gateway restores the caller's values in the
completion. ``HashedEmbedder`` puts each word on a hashed dimension, so texts that
share words are near each other.
"""

from __future__ import annotations

import re
import zlib
from typing import Sequence

import numpy as np

from sluicegate.backends.base import GenerationChunk, GenerationResult

_TOKEN = re.compile(r"\w+|[^\w\s]")


class EchoBackend:
    name = "local"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def count_prompt_tokens(self, messages) -> int:
        return sum(len(_TOKEN.findall(message.content)) + 4 for message in messages)

    def context_window(self) -> int:
        return 4096

    def stream(self, request):
        text = request.messages[-1].content
        self.prompts.extend(message.content for message in request.messages)
        prompt_tokens = self.count_prompt_tokens(request.messages)
        yield GenerationChunk(text, result=GenerationResult(text, "stop", prompt_tokens, 1, 0.001))


class HashedEmbedder:
    dimension = 384
    max_input_tokens = 256
    batch_size = 8

    def __init__(self, name: str) -> None:
        self.name = name

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return [match.span() for match in _TOKEN.finditer(text)]

    def input_lengths(self, texts: Sequence[str]) -> list[int]:
        return [len(self.token_offsets(text)) + 2 for text in texts]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [min(length, self.max_input_tokens) for length in self.input_lengths(texts)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
            vectors[row, 0] += 1e-3  # keeps a text without words off the zero vector
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
