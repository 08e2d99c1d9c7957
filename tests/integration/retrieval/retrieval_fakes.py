"""Stand-ins for the two models, so the retrieval tests exercise the SQL and HTTP paths quickly.

``BagOfWordsEmbedder`` maps each word to a hashed dimension, so texts that share
words are near each other; ``RecordingBackend`` answers with a fixed text and
keeps every prompt it was sent.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import zlib
from typing import Any, Sequence

import numpy as np

from sluicegate.backends.base import GenerationChunk, GenerationResult

_TOKEN = re.compile(r"\w+|[^\w\s]")


class BagOfWordsEmbedder:
    name = "test-bag-of-words"
    dimension = 384
    max_input_tokens = 256
    batch_size = 8

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


class RecordingBackend:
    name = "local"

    def __init__(self, window: int = 4096) -> None:
        self.window = window
        self.requests = []

    def count_prompt_tokens(self, messages) -> int:
        return sum(len(message.content.split()) + 4 for message in messages)

    def context_window(self) -> int:
        return self.window

    def stream(self, request):
        self.requests.append(request)
        prompt_tokens = self.count_prompt_tokens(request.messages)
        yield GenerationChunk("The answer [1].", result=GenerationResult("The answer [1].", "stop", prompt_tokens, 4, 0.001))

    def last_prompt(self) -> str:
        return self.requests[-1].messages[-1].content


def call(base_url: str, key: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], dict]:
    """Send one JSON request and return ``(status, headers, decoded body)``, errors included."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())
