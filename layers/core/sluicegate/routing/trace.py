"""The trace of one routed request (retries, fallbacks, skips) and the call that served it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..backends.base import Backend, GenerationResult
from ..backends.calls import RetryEvent
from .strategies import Candidate


@dataclass
class RouteTrace:
    """Counted routing events of one request, keyed by (metric, backend, route label)."""

    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    attempted: list[str] = field(default_factory=list)
    current: Candidate | None = None

    def count(self, metric: str, candidate: Candidate) -> None:
        self.counts[(metric, candidate.backend, candidate.route)] += 1

    def record_retry(self, event: RetryEvent) -> None:
        if self.current is not None:
            self.count("Retries", self.current)

    def total(self, metric: str) -> int:
        return sum(value for (name, _, _), value in self.counts.items() if name == metric)


@dataclass
class Served:
    candidate: Candidate
    backend: Backend
    result: GenerationResult
    deltas: list[str]
    # Wall time of the successful backend call, in seconds.
    call_s: float
