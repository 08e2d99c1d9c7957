"""Date of birth recognizer: a valid calendar date after a birth keyword."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from sluicegate.screening.context import keyword_before
from sluicegate.screening.entities import Candidate, EntityType
from sluicegate.screening.recognizers.base import DetectionOptions

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAME = r"(?P<{0}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATE = re.compile(
    r"(?<![\w/.\-])(?:"
    r"(?P<iso_y>(?:19|20)\d{2})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2})"
    r"|(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<num_y>(?:19|20)\d{2})"
    r"|" + _MONTH_NAME.format("mn1") + r"\s+(?P<mn1_d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<mn1_y>(?:19|20)\d{2})"
    r"|(?P<mn2_d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_NAME.format("mn2") + r",?\s+(?P<mn2_y>(?:19|20)\d{2})"
    r")(?![\w]|[/.\-]\d)",
    re.IGNORECASE,
)
_BIRTH_WORDS = re.compile(
    r"\b(?:born|birth|birthday|birthdate|dob|d\.o\.b|date of birth|geburtsdatum|né|née|fecha de nacimiento)\b",
    re.IGNORECASE,
)


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        value = datetime.date(year, month, day)
    except ValueError:
        return False
    return value <= datetime.date.today()


def _parse(match: re.Match[str]) -> bool:
    groups = match.groupdict()
    if groups["iso_y"]:
        return _valid_date(int(groups["iso_y"]), int(groups["iso_m"]), int(groups["iso_d"]))
    if groups["num_y"]:
        year, first, second = int(groups["num_y"]), int(groups["a"]), int(groups["b"])
        # Month-first (US) or day-first (most other countries): either order counts.
        return _valid_date(year, first, second) or _valid_date(year, second, first)
    for prefix in ("mn1", "mn2"):
        if groups[prefix]:
            month = _MONTHS[groups[prefix].lower().rstrip(".")]
            return _valid_date(int(groups[f"{prefix}_y"]), month, int(groups[f"{prefix}_d"]))
    return False


def find_dates_of_birth(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _DATE.finditer(text):
        if not keyword_before(text, match.start(), _BIRTH_WORDS):
            continue
        if _parse(match):
            yield Candidate(EntityType.DATE_OF_BIRTH, match.start(), match.end(), 0.85)
