"""Prompt token counting with a Hugging Face ``tokenizer.json``."""

from __future__ import annotations

import threading
from pathlib import Path

from ..errors import BackendError


class TokenizerCounter:
    """Counts tokens of a text; the tokenizer file is read on first use.

    ``tokenizers`` is imported lazily because it ships in the inference layer,
    not in the core layer.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tokenizer = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._tokenizer is None:
                if not self.path.is_file():
                    raise BackendError(f"the tokenizer file {self.path} is missing; build or download the model that provides it")
                from tokenizers import Tokenizer

                self._tokenizer = Tokenizer.from_file(str(self.path))
        return self._tokenizer

    def count(self, text: str) -> int:
        """Return the number of tokens in ``text``, without special tokens added by a post-processor."""
        tokenizer = self._tokenizer or self._load()
        return len(tokenizer.encode(text, add_special_tokens=False).ids)
