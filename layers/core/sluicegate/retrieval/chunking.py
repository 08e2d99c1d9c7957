"""Split documents into chunks of at most N embedding-model tokens, with overlap.

The text is tokenized once. A chunk ends at the best cut in the second half
of its token budget. Paragraph breaks are preferred, then sentence ends and
line breaks, then spaces. Only a run of text without spaces that is longer
than half the budget is cut between two tokens. The next chunk starts up to
``overlap_tokens`` earlier, at a sentence or word start where one exists, so
text near a cut is in both chunks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

# Character (start, end) offsets of each token of a text, without special tokens.
TokenOffsets = Callable[[str], Sequence[tuple[int, int]]]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = {".", "!", "?"}
_CLOSERS = {'"', "'", ")", "]", "\u201d", "\u2019"}
# Cut strengths: the gap before a token is a paragraph break, a sentence end or line break, or a space.
PARAGRAPH, SENTENCE, WORD, INSIDE_WORD = 3, 2, 1, 0


@dataclass(frozen=True)
class ChunkingConfig:
    max_tokens: int = 200
    overlap_tokens: int = 40

    def __post_init__(self) -> None:
        if self.max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8, got {self.max_tokens}")
        if not 0 <= self.overlap_tokens < self.max_tokens // 2:
            raise ValueError(
                f"overlap_tokens must be between 0 and {self.max_tokens // 2 - 1} "
                f"(under half of max_tokens), got {self.overlap_tokens}"
            )

    @property
    def label(self) -> str:
        """Identifies the chunking rules and sizes; stored with each document."""
        return f"tokens-v1-{self.max_tokens}-{self.overlap_tokens}"


@dataclass(frozen=True)
class TextChunk:
    ordinal: int
    text: str
    token_count: int
    start_char: int
    end_char: int


class _Cuts:
    """Rates the gap before each token as a place to cut."""

    def __init__(self, text: str, offsets: Sequence[tuple[int, int]]) -> None:
        self.text = text
        self.offsets = offsets

    def strength(self, index: int) -> int:
        previous_end = self.offsets[index - 1][1]
        start = self.offsets[index][0]
        gap = self.text[previous_end:start]
        if not any(char.isspace() for char in gap):
            return INSIDE_WORD
        if _PARAGRAPH_BREAK.search(gap) or ("\n" in gap and self.text.startswith("#", start)):
            return PARAGRAPH
        if "\n" in gap or self._ends_sentence(index - 1):
            return SENTENCE
        return WORD

    def _ends_sentence(self, index: int) -> bool:
        token = self.text[self.offsets[index][0] : self.offsets[index][1]]
        if token in _SENTENCE_END:
            return True
        return token in _CLOSERS and index > 0 and self._token(index - 1) in _SENTENCE_END

    def _token(self, index: int) -> str:
        start, end = self.offsets[index]
        return self.text[start:end]

    def best_end(self, low: int, high: int) -> int:
        """Return the cut in ``[low, high]`` with the highest strength, the latest among equals."""
        for level in (PARAGRAPH, SENTENCE, WORD):
            for index in range(high, low - 1, -1):
                if self.strength(index) >= level:
                    return index
        return high

    def overlap_start(self, low: int, end: int) -> int:
        """Return the earliest sentence start in ``[low, end)``, else the earliest word start, else ``low``."""
        for level in (SENTENCE, WORD):
            for index in range(low, end):
                if self.strength(index) >= level:
                    return index
        return low


def chunk_text(text: str, token_offsets: TokenOffsets, config: ChunkingConfig) -> list[TextChunk]:
    """Return the chunks of ``text`` in order; an empty list when it has no tokens."""
    offsets = list(token_offsets(text))
    cuts = _Cuts(text, offsets)
    total = len(offsets)
    chunks: list[TextChunk] = []
    start = 0
    while start < total:
        if total - start <= config.max_tokens:
            end = total
        else:
            end = cuts.best_end(start + config.max_tokens // 2 + 1, start + config.max_tokens)
        start_char, end_char = offsets[start][0], offsets[end - 1][1]
        chunks.append(TextChunk(len(chunks), text[start_char:end_char], end - start, start_char, end_char))
        if end == total:
            break
        # Progress is guaranteed: end > start + max_tokens // 2 > start + overlap_tokens.
        start = cuts.overlap_start(end - config.overlap_tokens, end) if config.overlap_tokens else end
    return chunks
