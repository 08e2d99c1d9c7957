"""US SSN, ITIN, ABA routing number and bank account recognizers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum.us import rtn

from sluicegate.screening.context import is_reference_number, keyword_before, nearest_keyword_end
from sluicegate.screening.entities import Candidate, EntityType
from sluicegate.screening.recognizers.base import DetectionOptions

# Three groups with one separator style: dashes, spaces, or none at all.
_SSN_SHAPE = re.compile(r"(?<![\w\-.])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w]|[-.]\d)")
_SSN_WORDS = re.compile(
    r"\b(?:ssn|ssns|social security|social sec|ss#|ss no|itin|taxpayer|tin|tax id|tax identification)\b",
    re.IGNORECASE,
)


# Middle digits of an ITIN. python-stdnum 2.2 (stdnum.us.itin) accepts 70-88,
# 90-92 and 94-99 only, but ITINs with 50-65 are issued too.
_ITIN_GROUPS = frozenset([*range(50, 66), *range(70, 89), *range(90, 93), *range(94, 100)])


def _is_itin(area: str, group: str) -> bool:
    return area[0] == "9" and int(group) in _ITIN_GROUPS


def _is_ssn(area: str, group: str, serial: str) -> bool:
    # The Social Security Administration never issues area 000, 666 or
    # 900-999, group 00 or serial 0000.
    if area in ("000", "666") or area[0] == "9":
        return False
    return group != "00" and serial != "0000"


def find_us_tax_ids(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _SSN_SHAPE.finditer(text):
        area, separator, group, serial = match.groups()
        if is_reference_number(text, match.start()):
            continue
        has_context = keyword_before(text, match.start(), _SSN_WORDS)
        if not separator and not has_context:
            continue
        if _is_itin(area, group):
            yield Candidate(EntityType.US_ITIN, match.start(), match.end(), 0.95 if has_context else 0.85)
        elif _is_ssn(area, group, serial):
            yield Candidate(EntityType.US_SSN, match.start(), match.end(), 0.95 if has_context else 0.85)


_NINE_DIGITS = re.compile(r"(?<![\w\-.])\d{4}-?\d{4}-?\d(?![\w]|[-.]\d)|(?<![\w\-.])\d{9}(?![\w]|[-.]\d)")
_ROUTING_WORDS = re.compile(r"\b(?:routing|aba|rtn|transit|bank code|wire)\b", re.IGNORECASE)
_ACCOUNT_WORDS = re.compile(
    r"\b(?:account|acct|acc|a/c|checking|savings|deposit|bank)\b\W{0,3}(?:no\.?|num(?:ber)?|#)?",
    re.IGNORECASE,
)
# The first two digits of a routing number are 00-12, 21-32, 61-72 or 80.
_ROUTING_PREFIXES = frozenset(range(0, 13)) | frozenset(range(21, 33)) | frozenset(range(61, 73)) | {80}


def find_routing_numbers(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _NINE_DIGITS.finditer(text):
        digits = match.group().replace("-", "")
        if int(digits[:2]) not in _ROUTING_PREFIXES or not rtn.is_valid(digits):
            continue
        routing_end = nearest_keyword_end(text, match.start(), _ROUTING_WORDS)
        if routing_end < 0:
            continue
        if nearest_keyword_end(text, match.start(), _ACCOUNT_WORDS) > routing_end + 16:
            continue
        yield Candidate(EntityType.ABA_ROUTING_NUMBER, match.start(), match.end(), 0.95)


_ACCOUNT_NUMBER = re.compile(r"(?<![\w\-.])\d{8,17}(?![\w]|[-.]\d)")


def find_bank_accounts(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    """Find 8 to 17 digit account numbers after an account keyword.

    US account numbers have no checksum, so the account keyword must be closer
    before the number than any routing keyword.
    """
    for match in _ACCOUNT_NUMBER.finditer(text):
        account_end = nearest_keyword_end(text, match.start(), _ACCOUNT_WORDS)
        if account_end < 0:
            continue
        if nearest_keyword_end(text, match.start(), _ROUTING_WORDS) > account_end:
            continue
        if is_reference_number(text, match.start()):
            continue
        yield Candidate(EntityType.US_BANK_ACCOUNT, match.start(), match.end(), 0.8)
