"""The per-tenant entry point of the screening stage."""

from __future__ import annotations

from sluicegate.screening.detector import Detector
from sluicegate.screening.entities import Entity
from sluicegate.screening.injection import InjectionDetector, InjectionResult
from sluicegate.screening.policy import ScreeningPolicy
from sluicegate.screening.session import ScreeningSession


class Screener:
    """Screening configured by one tenant policy.

    Build it once per policy and reuse it: it holds no request state.
    ``start()`` returns the session for one request.
    """

    def __init__(self, policy: ScreeningPolicy | None = None) -> None:
        self.policy = policy or ScreeningPolicy()
        self._detector = Detector(self.policy.detection_options())
        self._injection = InjectionDetector()

    def start(self) -> ScreeningSession:
        return ScreeningSession(self.policy, self._detector, self._injection)

    def detect(self, text: str) -> list[Entity]:
        """Return the entities in ``text`` of every type the policy does not turn off."""
        return self._detector.detect(text)

    def score_injection(self, text: str) -> InjectionResult:
        """Score ``text`` for prompt injection without applying the policy's action."""
        return self._injection.score(text)
