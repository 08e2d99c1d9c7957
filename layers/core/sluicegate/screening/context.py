"""Context-word checks shared by the recognizers.

Some entity types have no checksum, or look like ordinary numbers, so they
count only when a keyword appears shortly before them. Other keywords (order,
invoice, tracking) mark a number as a reference number and veto a match.
"""

from __future__ import annotations

import re

# How far before a match, in characters, a keyword may appear.
CONTEXT_WINDOW = 48

REFERENCE_NUMBER_WORDS = re.compile(
    r"\b(?:order|invoice|inv|tracking|track|shipment|parcel|ticket|case|ref|reference|"
    r"confirmation|booking|receipt|transaction|txn|sku|serial|part|model|build|"
    r"version|release|timestamp|epoch|unix|id)\b\W{0,3}(?:no\.?|num(?:ber)?|#|id)?\W{0,3}$",
    re.IGNORECASE,
)


def keyword_before(text: str, start: int, keywords: re.Pattern[str], window: int = CONTEXT_WINDOW) -> bool:
    """Return whether ``keywords`` matches in the ``window`` characters before ``start``."""
    return keywords.search(text, max(0, start - window), start) is not None


def nearest_keyword_end(text: str, start: int, keywords: re.Pattern[str], window: int = CONTEXT_WINDOW) -> int:
    """Return the end offset of the last ``keywords`` match before ``start``, or -1."""
    last = -1
    for match in keywords.finditer(text, max(0, start - window), start):
        last = match.end()
    return last


def is_reference_number(text: str, start: int) -> bool:
    """Return whether the words just before ``start`` label a reference number (order, invoice...)."""
    return REFERENCE_NUMBER_WORDS.search(text, max(0, start - 24), start) is not None
