"""A fast stand-in for the MiniLM embedding service, for tests of the SQL and HTTP paths."""

from __future__ import annotations

import re
import zlib
from typing import Sequence

import numpy as np

_TOKEN = re.compile(r"\w+|[^\w\s]")


class BagOfWordsEmbedder:
    """Maps each word to a hashed dimension, so texts that share words are near each other."""

    dimension = 384
    max_input_tokens = 256
    batch_size = 8

    def __init__(self, name: str = "test-bag-of-words") -> None:
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
