"""Phone number recognizer built on libphonenumber's matcher.

A cheap regex finds digit runs that could be phone numbers; only those short
windows go through ``phonenumbers.PhoneNumberMatcher``, once per configured
region for national formats and once for +CC or 00CC international formats.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers

from sluicegate.screening.context import is_reference_number, keyword_before
from sluicegate.screening.entities import Candidate, EntityType
from sluicegate.screening.recognizers.base import DetectionOptions

_CANDIDATE = re.compile(
    r"(?<![\w+\-/.@:])"
    r"(?:\+|\(\+?)?\d[\d \t\u00a0().\-/+]{5,80}\d\)?"
    r"(?:[ \t]*(?:ext\.?|extension|x|#)[ \t]*\d{1,6})?"
    r"(?![\w@]|[.\-/]\d)",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[ \t\u00a0().\-/]")
_PHONE_WORDS = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|call|fax|whatsapp|sms|text|dial|contact|reach)\b",
    re.IGNORECASE,
)
_LENIENCY = phonenumbers.Leniency.VALID
_LONG_DIGIT_RUN = re.compile(r"\d{16,}")


def _is_international(candidate: str) -> bool:
    return candidate.startswith("+") or candidate.startswith("(+") or candidate.startswith("00")


def _accept_national(raw: str, text: str, start: int) -> bool:
    """Apply the extra rules for numbers written without a country code.

    libphonenumber accepts many short national numbers, so a national match
    needs at least 10 digits or a leading trunk prefix 0, and a bare run of
    digits with no separators needs a phone keyword before it.
    """
    digits = re.sub(r"\D", "", raw.split("x")[0].split("X")[0])
    if len(digits) < 10 and not digits.startswith("0"):
        return False
    if not _SEPARATORS.search(raw.strip()):
        return keyword_before(text, start, _PHONE_WORDS)
    return True


def _uncovered_digits(window: str, found: list[tuple[int, int]]) -> int:
    count = 0
    for index, char in enumerate(window):
        if char.isdigit() and not any(start <= index < end for start, end in found):
            count += 1
    return count


def _pieces(candidate: re.Match[str]) -> Iterator[tuple[int, str]]:
    """Split a candidate at digit runs too long for a phone number (E.164 allows 15 digits).

    Yields each piece with its offset in the text, without surrounding whitespace.
    """
    raw = candidate.group()
    cuts = [(run.start(), run.end()) for run in _LONG_DIGIT_RUN.finditer(raw)]
    bounds = [0] + [edge for cut in cuts for edge in cut] + [len(raw)]
    for piece_start, piece_end in zip(bounds[::2], bounds[1::2]):
        piece = raw[piece_start:piece_end]
        stripped = piece.lstrip()
        offset = candidate.start() + piece_start + len(piece) - len(stripped)
        yield offset, stripped.rstrip()


def find_phone_numbers(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    regions = options.phone_regions or ("US",)
    for candidate in _CANDIDATE.finditer(text):
        for base, raw in _pieces(candidate):
            if sum(char.isdigit() for char in raw) >= 7 and not is_reference_number(text, base):
                yield from _find_in_window(text, base, raw, regions)


def _could_hold_national_number(raw: str, text: str, base: int) -> bool:
    """Apply the rules of ``_accept_national`` to a whole window, before the costly matcher runs."""
    digit_count = sum(char.isdigit() for char in raw)
    if digit_count < 10 and not re.search(r"(?:^|\D)0", raw):
        return False
    if not _SEPARATORS.search(raw):
        return keyword_before(text, base, _PHONE_WORDS)
    return True


def _find_in_window(text: str, base: int, raw: str, regions: tuple[str, ...]) -> Iterator[Candidate]:
    if "+" not in raw and not raw.startswith("00") and not _could_hold_national_number(raw, text, base):
        return
    window = raw
    if raw.startswith("00"):
        # libphonenumber reads 00 as an exit code only for some regions;
        # " +" keeps the window as long as the text it stands for.
        window = " +" + raw[2:]

    # One window can hold several numbers, in formats of different regions,
    # so regions are tried until every digit is accounted for.
    found: list[tuple[int, int]] = []
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(window, region, leniency=_LENIENCY):
            start, end = match.start, match.end
            if any(start < other_end and end > other_start for other_start, other_end in found):
                continue
            if start == 1 and raw.startswith("00"):
                start = 0
            international = _is_international(raw[start:end])
            if not international and not _accept_national(raw[start:end], text, base + start):
                continue
            found.append((start, end))
            yield Candidate(EntityType.PHONE_NUMBER, base + start, base + end, 0.9 if international else 0.8)
        if _uncovered_digits(window, found) < 7:
            break
