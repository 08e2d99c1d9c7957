"""Scored prompt-injection detection."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from sluicegate.screening.injection import signals
from sluicegate.screening.normalize import normalize

# Weight multipliers for a signal inside text that discusses injection (a
# question, training material): quoted examples count least, and an
# imperative at the start of a sentence is not reduced at all.
_QUOTED_IN_DISCUSSION = 0.35
_MENTIONED_IN_DISCUSSION = 0.5
_MAX_BASE64_RUNS = 8
_MAX_DEPTH = 2


@dataclass(frozen=True)
class InjectionResult:
    """A score in [0, 1] and the names of the signals that fired, in a stable order."""

    score: float
    flags: list[str] = field(default_factory=list)


def _is_quoted(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    straight = before.count('"') % 2 == 1 or before.count("`") % 2 == 1
    curly = before.count("\u201c") > before.count("\u201d")
    return straight or curly


def _is_imperative(text: str, match: re.Match[str]) -> bool:
    """Return whether a match reads as an instruction: it starts a sentence and is not a question.

    A question about the model's own prompt ("what is your prompt") still counts.
    """
    if signals.SENTENCE_START.search(text, max(0, match.start() - 40), match.start()) is None:
        return False
    if signals.QUESTION_START.match(match.group()):
        return re.search(r"\byour\b", match.group(), re.IGNORECASE) is not None
    return True


def _decode_base64(run: str) -> str | None:
    padded = run + "=" * (-len(run) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_" if ("-" in run or "_" in run) else None, validate=True)
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    printable = sum(char.isprintable() or char.isspace() for char in decoded)
    if len(decoded) < 8 or printable / len(decoded) < 0.95 or not re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{2,}", decoded):
        return None
    return decoded


class InjectionDetector:
    """Scores user text for prompt-injection signals.

    The score combines the weights of the signals that fire as independent
    evidence: ``1 - prod(1 - weight)``. Base64 runs and text hidden in Unicode
    tag characters are decoded and scored again, two levels deep at most.
    """

    def score(self, text: str) -> InjectionResult:
        weights = self._weights(text, depth=0)
        remaining = 1.0
        for weight in weights.values():
            remaining *= 1.0 - weight
        return InjectionResult(round(1.0 - remaining, 4), sorted(weights))

    def _weights(self, text: str, depth: int) -> dict[str, float]:
        weights: dict[str, float] = {}

        def add(flag: str, weight: float) -> None:
            weights[flag] = max(weights.get(flag, 0.0), weight)

        visible = normalize(text).text
        discussion = signals.DISCUSSION.search(visible) is not None
        for signal in signals.SIGNALS:
            for match in signal.pattern.finditer(visible):
                weight = signal.weight
                if discussion and _is_quoted(visible, match.start()):
                    weight *= _QUOTED_IN_DISCUSSION
                elif discussion and not _is_imperative(visible, match):
                    weight *= _MENTIONED_IN_DISCUSSION
                add(signal.flag, weight)

        self._add_invisible(text, depth, add)
        self._add_markdown_images(visible, add)
        if depth < _MAX_DEPTH:
            self._add_base64(visible, depth, add)
        return weights

    def _add_invisible(self, text: str, depth: int, add) -> None:
        tags = signals.UNICODE_TAGS.findall(text)
        if tags:
            add("invisible_unicode_tags", 0.9)
            hidden = "".join(chr(ord(char) - 0xE0000) for char in tags)
            if depth < _MAX_DEPTH:
                for flag, weight in self._weights(hidden, depth + 1).items():
                    add(flag, weight)
        if signals.BIDI_OVERRIDES.search(text):
            add("invisible_characters", 0.45)
        elif len(signals.INVISIBLE_CONTROLS.findall(text)) >= 2:
            add("invisible_characters", 0.35)

    def _add_markdown_images(self, text: str, add) -> None:
        for match in signals.MARKDOWN_IMAGE.finditer(text):
            query = match.group(1).partition("?")[2]
            outside = text[: match.start()] + text[match.end() :]
            if signals.QUERY_EXFILTRATION_HINTS.search(query) or signals.TEXT_EXFILTRATION_HINTS.search(outside):
                add("markdown_image_exfiltration", 0.85)
            else:
                add("markdown_image_exfiltration", 0.4)

    def _add_base64(self, text: str, depth: int, add) -> None:
        for count, match in enumerate(signals.BASE64_RUN.finditer(text)):
            if count >= _MAX_BASE64_RUNS:
                break
            decoded = _decode_base64(match.group())
            if decoded is None:
                continue
            inner = self._weights(decoded, depth + 1)
            if not inner:
                continue
            remaining = 1.0
            for flag, weight in inner.items():
                add(flag, weight)
                remaining *= 1.0 - weight
            add("base64_payload", 0.9 * (1.0 - remaining))
