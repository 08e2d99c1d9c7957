"""The recognizer interface and the options passed to every recognizer."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sluicegate.screening.entities import Candidate, EntityType

DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "IN", "BR", "CA", "AU")


@dataclass(frozen=True)
class DetectionOptions:
    """Settings that change what recognizers accept."""

    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    enabled: frozenset[EntityType] = field(default_factory=lambda: frozenset(EntityType))


FindFunction = Callable[[str, DetectionOptions], Iterator[Candidate]]


@dataclass(frozen=True)
class Recognizer:
    """A finder for one or more entity types.

    ``prefilter`` is a cheap test on the whole text; the finder runs only when
    it returns True, so texts without the needed characters skip the regexes
    and validators entirely.
    """

    name: str
    types: frozenset[EntityType]
    find: FindFunction
    prefilter: Callable[[str], bool] | None = None
    # Run after the other recognizers, on a copy of the text in which their
    # higher-priority matches are blanked out with spaces.
    runs_last: bool = False


_ASCII_DIGIT = re.compile(r"[0-9]")


def has_digit(text: str) -> bool:
    return _ASCII_DIGIT.search(text) is not None
