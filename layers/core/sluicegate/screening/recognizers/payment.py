"""Payment card and IBAN recognizers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import iban as stdnum_iban
from stdnum import luhn

from sluicegate.screening.context import is_reference_number
from sluicegate.screening.entities import Candidate, EntityType
from sluicegate.screening.recognizers.base import DetectionOptions

# Digit groups joined by one separator style: all spaces, all dashes, or none.
_CARD = re.compile(r"(?<![\w\-.])\d{2,19}(?:( |-)\d{1,7}(?:\1\d{1,7})*)?(?![\w]|[-.]\d)")

# (lowest prefix, highest prefix, allowed lengths). Prefixes are compared on
# the same number of leading digits as the bounds have.
_ISSUERS: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),  # Visa
    (51, 55, frozenset({16})),  # Mastercard
    (2221, 2720, frozenset({16})),  # Mastercard 2-series
    (34, 34, frozenset({15})),  # American Express
    (37, 37, frozenset({15})),
    (300, 305, frozenset({14, 16, 17, 18, 19})),  # Diners Club
    (36, 36, frozenset({14, 16, 17, 18, 19})),
    (38, 39, frozenset({14, 16, 17, 18, 19})),
    (6011, 6011, frozenset({16, 17, 18, 19})),  # Discover
    (644, 649, frozenset({16, 17, 18, 19})),
    (65, 65, frozenset({16, 17, 18, 19})),
    (3528, 3589, frozenset({16, 17, 18, 19})),  # JCB
    (62, 62, frozenset({16, 17, 18, 19})),  # UnionPay
    (50, 50, frozenset({13, 14, 15, 16, 17, 18, 19})),  # Maestro
    (56, 58, frozenset({13, 14, 15, 16, 17, 18, 19})),
    (6304, 6304, frozenset({13, 14, 15, 16, 17, 18, 19})),
    (6759, 6759, frozenset({13, 14, 15, 16, 17, 18, 19})),
    (676770, 676774, frozenset({13, 14, 15, 16, 17, 18, 19})),
    (6761, 6763, frozenset({13, 14, 15, 16, 17, 18, 19})),
    (2200, 2204, frozenset({16, 17, 18, 19})),  # Mir
)


def is_card_number(digits: str) -> bool:
    """Check the length, the issuer prefix and the Luhn checksum of a digit string."""
    if not 13 <= len(digits) <= 19:
        return False
    for low, high, lengths in _ISSUERS:
        width = len(str(low))
        if low <= int(digits[:width]) <= high and len(digits) in lengths:
            return luhn.is_valid(digits)
    return False


def _digit_groups(value: str, separator: str) -> list[tuple[int, int]]:
    if not separator:
        return [(0, len(value))]
    groups = []
    position = 0
    for part in value.split(separator):
        groups.append((position, position + len(part)))
        position += len(part) + 1
    return groups


def find_credit_cards(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _CARD.finditer(text):
        value = match.group()
        if sum(char.isdigit() for char in value) < 13:
            continue
        if is_reference_number(text, match.start()):
            continue
        separator = match.group(1) or ""
        groups = _digit_groups(value, separator)
        # A run of groups can hold a card plus a phone number, an expiry or a
        # CVV, so every run of whole groups is tried, longest first. A match
        # always starts and ends at group boundaries, so it is never cut inside
        # a group of digits.
        first = 0
        while first < len(groups):
            for last in range(len(groups) - 1, first - 1, -1):
                start, end = groups[first][0], groups[last][1]
                digits = value[start:end].replace(separator, "") if separator else value[start:end]
                if is_card_number(digits):
                    yield Candidate(EntityType.CREDIT_CARD, match.start() + start, match.start() + end, 1.0)
                    first = last
                    break
            first += 1


_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,8}(?: ?[A-Z0-9]{1,3})?(?![\w])", re.IGNORECASE)


def find_ibans(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _IBAN.finditer(text):
        value = match.group()
        if not value[:2].isupper() and not value[:2].islower():
            continue
        ends = [len(value)] + [index for index in range(len(value) - 1, 14, -1) if value[index] == " "]
        for end in ends:
            compact = value[:end].replace(" ", "").upper()
            # stdnum checks the mod-97 checksum and the country's length and
            # BBAN structure. National check digits are not required.
            if stdnum_iban.is_valid(compact, check_country=False):
                yield Candidate(EntityType.IBAN, match.start(), match.start() + end, 1.0)
                break
