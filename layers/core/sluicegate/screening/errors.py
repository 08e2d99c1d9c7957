"""Errors raised by the screening stage.

Each class subclasses a gateway error, so the HTTP layer maps it to a status
and an OpenAI-style body. Messages name entity types and signals, never the
detected values.
"""

from __future__ import annotations

from collections.abc import Iterable

from sluicegate.errors import InvalidRequestError, ServiceUnavailableError


class ScreeningBlockedError(InvalidRequestError):
    """The text contains entity types that the tenant's policy blocks."""

    code = "pii_blocked"

    def __init__(self, entity_types: Iterable[str], *, where: str = "request") -> None:
        self.entity_types = sorted(set(entity_types))
        names = ", ".join(self.entity_types)
        if where == "request":
            message = (
                f"The request contains data that the screening policy blocks: {names}. "
                "Remove these values from the messages, or ask an administrator to change "
                "the policy action for these entity types."
            )
        else:
            message = (
                f"The model output contains data that the screening policy blocks: {names}. "
                "Rephrase the request so the answer does not need these values, or ask an "
                "administrator to change the policy action for these entity types."
            )
        super().__init__(message)


class InjectionBlockedError(InvalidRequestError):
    """A message scored at or above the tenant's prompt-injection threshold."""

    code = "prompt_injection_detected"

    def __init__(self, score: float, flags: Iterable[str], threshold: float) -> None:
        self.score = score
        self.flags = list(flags)
        self.threshold = threshold
        signals = ", ".join(self.flags) or "none"
        super().__init__(
            f"The request was rejected as a likely prompt injection "
            f"(score {score:.2f}, threshold {threshold:.2f}, signals: {signals}). "
            "Remove instructions aimed at the model's configuration, or ask an "
            "administrator to raise the tenant's injection threshold."
        )


class ScreeningFailedError(ServiceUnavailableError):
    """Screening could not complete, so the request is rejected (fail closed)."""

    code = "screening_failed"

    def __init__(self, stage: str) -> None:
        self.stage = stage
        super().__init__(
            f"Content screening failed during {stage}, so the request was not sent to "
            "the model. Retry the request; if the failure persists, contact the operator."
        )
