"""Normalisation for detection, with a map back to original offsets.

Detection runs on an NFKC-normalised copy of the text with invisible
characters removed, so full-width digits, ligatures and zero-width spaces do
not hide an entity. Offsets found in the copy are mapped back to code-point
offsets in the original text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Characters removed before detection: zero-width and joiner characters, the
# soft hyphen, bidirectional controls, the byte-order mark, variation
# selectors and Unicode tag characters (U+E0000 to U+E007F).
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE007F),
    (0xE0100, 0xE01EF),
)


def is_invisible(char: str) -> bool:
    code = ord(char)
    for low, high in _INVISIBLE_RANGES:
        if low <= code <= high:
            return True
    return False


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """The detection copy of a text, where ``index_map[i]`` is the original offset of ``text[i]``."""

    original: str
    text: str
    index_map: tuple[int, ...] | None  # None when the copy equals the original

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the copy to the span of the original that produced it."""
        if self.index_map is None:
            return start, end
        original_start = self.index_map[start]
        original_end = self.index_map[end - 1] + 1
        return original_start, original_end


def normalize(original: str) -> NormalizedText:
    """Build the detection copy of ``original``.

    Each character is normalised on its own, so a character that NFKC expands
    (a ligature, for example) maps every output character to its source.
    Combining sequences are not composed across characters; this does not
    affect the ASCII-based patterns that detection uses.
    """
    if original.isascii():
        return NormalizedText(original, original, None)

    pieces: list[str] = []
    index_map: list[int] = []
    for position, char in enumerate(original):
        if char < "\x80":
            pieces.append(char)
            index_map.append(position)
            continue
        if is_invisible(char):
            continue
        replacement = unicodedata.normalize("NFKC", char)
        for piece in replacement:
            pieces.append(piece)
            index_map.append(position)
    return NormalizedText(original, "".join(pieces), tuple(index_map))
