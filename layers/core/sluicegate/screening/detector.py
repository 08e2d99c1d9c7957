"""Entity detection: normalise, run the recognizers, resolve overlaps, map offsets back."""

from __future__ import annotations

import logging

from sluicegate.screening.entities import PRIORITY, Candidate, Entity, EntityType
from sluicegate.screening.errors import ScreeningFailedError
from sluicegate.screening.normalize import normalize
from sluicegate.screening.recognizers import RECOGNIZERS, DetectionOptions, Recognizer

logger = logging.getLogger(__name__)


def resolve_overlaps(candidates: list[Candidate]) -> list[Candidate]:
    """Keep a set of non-overlapping candidates, sorted by start.

    Candidates are taken by type priority, then score, then length, so a
    checksum-validated type wins over a generic digit pattern on the same
    characters. Touching spans (one ends where the next starts) both stay.
    """
    ranked = sorted(candidates, key=lambda c: (-PRIORITY[c.type], -c.score, c.start - c.end, c.start))
    kept: list[Candidate] = []
    for candidate in ranked:
        if all(candidate.end <= other.start or candidate.start >= other.end for other in kept):
            kept.append(candidate)
    kept.sort(key=lambda c: c.start)
    return kept


class Detector:
    """Finds entities of the enabled types in a text."""

    def __init__(self, options: DetectionOptions | None = None) -> None:
        self.options = options or DetectionOptions()
        self._recognizers = tuple(r for r in RECOGNIZERS if r.types & self.options.enabled)
        self._first = tuple(r for r in self._recognizers if not r.runs_last)
        self._last = tuple(r for r in self._recognizers if r.runs_last)

    def detect(self, text: str) -> list[Entity]:
        """Return the entities in ``text`` with code-point offsets into ``text`` itself.

        Raises ``ScreeningFailedError`` when a recognizer fails, so callers
        reject the request rather than pass unscreened text on.
        """
        normalized = normalize(text)
        candidates: list[Candidate] = []
        for recognizer in self._first:
            candidates.extend(self._run(recognizer, normalized.text))
        if self._last:
            # A phone-number window that runs into a card or an IBAN confuses
            # libphonenumber, so those spans are blanked first.
            blanked = _blank(normalized.text, candidates)
            for recognizer in self._last:
                candidates.extend(self._run(recognizer, blanked))

        entities = []
        for candidate in resolve_overlaps(candidates):
            start, end = normalized.to_original(candidate.start, candidate.end)
            entities.append(Entity(candidate.type, start, end, candidate.score))
        return entities

    def _run(self, recognizer: Recognizer, text: str) -> list[Candidate]:
        if recognizer.prefilter is not None and not recognizer.prefilter(text):
            return []
        try:
            found = list(recognizer.find(text, self.options))
        except Exception as error:  # noqa: BLE001 - any failure must fail closed
            logger.error(
                "Recognizer %s failed with %s on a text of %d characters",
                recognizer.name,
                type(error).__name__,
                len(text),
            )
            raise ScreeningFailedError("entity detection") from error
        return [c for c in found if c.type in self.options.enabled]


def _blank(text: str, candidates: list[Candidate]) -> str:
    if not candidates:
        return text
    characters = list(text)
    for candidate in candidates:
        if PRIORITY[candidate.type] > PRIORITY[EntityType.PHONE_NUMBER]:
            characters[candidate.start : candidate.end] = " " * (candidate.end - candidate.start)
    return "".join(characters)


_DEFAULT_DETECTOR: Detector | None = None


def detect(text: str, options: DetectionOptions | None = None) -> list[Entity]:
    """Detect entities of every supported type (or of ``options``) in ``text``."""
    global _DEFAULT_DETECTOR
    if options is not None:
        return Detector(options).detect(text)
    if _DEFAULT_DETECTOR is None:
        _DEFAULT_DETECTOR = Detector()
    return _DEFAULT_DETECTOR.detect(text)


def enabled_types(disabled: set[EntityType]) -> frozenset[EntityType]:
    return frozenset(t for t in EntityType if t not in disabled)
