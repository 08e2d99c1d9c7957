"""Request-scoped screening: redact the messages, then restore and scan the answer."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sluicegate.screening.detector import Detector
from sluicegate.screening.entities import Entity, EntityType
from sluicegate.screening.errors import InjectionBlockedError, ScreeningBlockedError
from sluicegate.screening.injection import InjectionDetector, InjectionResult
from sluicegate.screening.masking import mask_value
from sluicegate.screening.policy import Action, InjectionAction, ScreeningPolicy

# A placeholder as the model may echo it: any letter case, type name with
# underscores, a number. Matched case-insensitively so <email_address_1> restores.
PLACEHOLDER = re.compile(r"<([A-Za-z][A-Za-z_]*?)_(\d{1,9})>")


@dataclass(frozen=True)
class RedactionResult:
    """A screened text and the entities found in the input, with input offsets."""

    text: str
    entities: list[Entity]


class ScreeningSession:
    """Screening state for one request.

    Every message of the request goes through ``redact`` on the same session,
    so one value gets one placeholder across all messages. The model's answer
    goes through ``restore`` and ``scan_output``. A session is not thread-safe.
    """

    def __init__(self, policy: ScreeningPolicy, detector: Detector, injection: InjectionDetector) -> None:
        self._policy = policy
        self._detector = detector
        self._injection = injection
        self._placeholder_by_value: dict[tuple[EntityType, str], str] = {}
        self._restorable: dict[str, str] = {}  # upper-case placeholder -> original value
        self._known_values: set[str] = set()
        self._next_number: Counter[EntityType] = Counter()
        self._reserved: set[str] = set()
        self._counts: Counter[str] = Counter()

    def redact(self, text: str) -> str:
        """Return ``text`` with entities replaced according to the policy.

        Raises ``ScreeningBlockedError`` naming the blocked entity types.
        """
        return self.analyze(text).text

    def analyze(self, text: str) -> RedactionResult:
        """Screen one input text and return the result with the entities found."""
        self._reserve_literal_placeholders(text)
        entities = self._detector.detect(text)
        self._raise_if_blocked(entities, where="request")
        screened = self._replace(text, entities, restorable=True)
        return RedactionResult(screened, entities)

    def restore(self, answer: str) -> str:
        """Replace this session's placeholders in ``answer`` with the original values.

        Matching ignores letter case. Placeholders this session did not issue
        for the request (invented by the model, or issued by ``scan_output``)
        stay as they are. Values are inserted literally.
        """
        if "<" not in answer:
            return answer

        def original(match: re.Match[str]) -> str:
            return self._restorable.get(match.group(0).upper(), match.group(0))

        return PLACEHOLDER.sub(original, answer)

    def scan_output(self, answer: str) -> str:
        """Apply the policy to entities in ``answer`` that did not occur in the request.

        Values the request contained pass unchanged, so this works before or
        after ``restore``. New values get placeholders that ``restore`` never
        replaces, or raise ``ScreeningBlockedError`` when their type is blocked.
        """
        entities = [e for e in self._detector.detect(answer) if answer[e.start : e.end] not in self._known_values]
        self._raise_if_blocked(entities, where="output")
        return self._replace(answer, entities, restorable=False)

    def check_injection(self, text: str) -> InjectionResult:
        """Score ``text`` for prompt injection, and raise ``InjectionBlockedError`` when the policy blocks it."""
        if self._policy.injection_action is InjectionAction.OFF:
            return InjectionResult(0.0, [])
        result = self._injection.score(text)
        if result.score >= self._policy.injection_threshold:
            self._counts["PROMPT_INJECTION"] += 1
            if self._policy.injection_action is InjectionAction.BLOCK:
                raise InjectionBlockedError(result.score, result.flags, self._policy.injection_threshold)
        return result

    def entity_counts(self) -> dict[str, int]:
        """Return how many entities of each type this session detected, in inputs and outputs."""
        return dict(self._counts)

    def _raise_if_blocked(self, entities: list[Entity], *, where: str) -> None:
        blocked = {e.type.value for e in entities if self._policy.action_for(e.type) is Action.BLOCK}
        if blocked:
            self._counts.update(e.type.value for e in entities)
            raise ScreeningBlockedError(blocked, where=where)

    def _replace(self, text: str, entities: list[Entity], *, restorable: bool) -> str:
        pieces: list[str] = []
        position = 0
        for entity in entities:
            self._counts[entity.type.value] += 1
            value = text[entity.start : entity.end]
            if restorable:
                self._known_values.add(value)
            action = self._policy.action_for(entity.type)
            if action is Action.REDACT:
                replacement = self._placeholder(entity.type, value, restorable)
            elif action is Action.MASK:
                replacement = mask_value(entity.type, value)
            else:
                continue
            pieces.append(text[position : entity.start])
            pieces.append(replacement)
            position = entity.end
        pieces.append(text[position:])
        return "".join(pieces)

    def _placeholder(self, entity_type: EntityType, value: str, restorable: bool) -> str:
        key = (entity_type, value)
        existing = self._placeholder_by_value.get(key)
        if existing is not None and (restorable or existing.upper() not in self._restorable):
            return existing

        while True:
            self._next_number[entity_type] += 1
            placeholder = f"<{entity_type.value}_{self._next_number[entity_type]}>"
            if placeholder.upper() not in self._reserved:
                break
        self._placeholder_by_value[key] = placeholder
        if restorable:
            self._restorable[placeholder.upper()] = value
        return placeholder

    def _reserve_literal_placeholders(self, text: str) -> None:
        """Keep placeholder-shaped text that the user typed from being issued or restored."""
        if "<" in text:
            for match in PLACEHOLDER.finditer(text):
                self._reserved.add(match.group(0).upper())
