"""Prompt-injection scoring for user messages."""

from sluicegate.screening.injection.detector import InjectionDetector, InjectionResult

__all__ = ["InjectionDetector", "InjectionResult"]
