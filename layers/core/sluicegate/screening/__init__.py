"""Screening: PII and secret detection, redaction and restore, prompt-injection scoring.

Typical use in the chat pipeline::

    screener = Screener(policy)          # once per tenant policy
    session = screener.start()           # once per request
    for message in user_messages:
        session.check_injection(message)
    prompts = [session.redact(m) for m in messages]
    answer = session.scan_output(session.restore(model_answer))
    metrics = session.entity_counts()
"""

from sluicegate.screening.detector import Detector, detect
from sluicegate.screening.entities import Entity, EntityType
from sluicegate.screening.errors import InjectionBlockedError, ScreeningBlockedError, ScreeningFailedError
from sluicegate.screening.injection import InjectionDetector, InjectionResult
from sluicegate.screening.masking import mask_value
from sluicegate.screening.policy import Action, InjectionAction, ScreeningPolicy
from sluicegate.screening.screener import Screener
from sluicegate.screening.session import RedactionResult, ScreeningSession

__all__ = [
    "Action",
    "Detector",
    "Entity",
    "EntityType",
    "InjectionAction",
    "InjectionBlockedError",
    "InjectionDetector",
    "InjectionResult",
    "RedactionResult",
    "Screener",
    "ScreeningBlockedError",
    "ScreeningFailedError",
    "ScreeningPolicy",
    "ScreeningSession",
    "detect",
    "mask_value",
]
