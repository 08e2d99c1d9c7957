"""Incremental detokenisation for streamed generation."""

from __future__ import annotations

from tokenizers import Tokenizer

# The character a byte-level BPE decoder outputs for an incomplete UTF-8 sequence.
_REPLACEMENT_CHAR = "\ufffd"


class IncrementalDecoder:
    """A decoder from generated token ids to text deltas, one token at a time.

    A character whose UTF-8 bytes span several tokens is decoded to U+FFFD
    until its last byte arrives, so text ending in U+FFFD is held back. Each
    step decodes only the tokens since the last emitted text plus those
    before it in a short window, which keeps the cost per token small and
    keeps the spacing decisions of the tokenizer's decoder intact.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._prefix_offset = 0  # start of the context window that is decoded again
        self._read_offset = 0  # tokens before this index are already emitted

    def push(self, token_id: int) -> str:
        """Add one token and return the text it completes (possibly empty)."""
        self._ids.append(token_id)
        prefix_text = self._decode(self._prefix_offset, self._read_offset)
        full_text = self._decode(self._prefix_offset, len(self._ids))
        if len(full_text) <= len(prefix_text) or full_text.endswith(_REPLACEMENT_CHAR):
            return ""
        self._prefix_offset = self._read_offset
        self._read_offset = len(self._ids)
        return full_text[len(prefix_text):]

    def flush(self) -> str:
        """Return the text still held back. An incomplete character comes out as U+FFFD."""
        prefix_text = self._decode(self._prefix_offset, self._read_offset)
        full_text = self._decode(self._prefix_offset, len(self._ids))
        self._prefix_offset = self._read_offset = len(self._ids)
        return full_text[len(prefix_text):]

    def _decode(self, start: int, end: int) -> str:
        return self._tokenizer.decode(self._ids[start:end], skip_special_tokens=True)
