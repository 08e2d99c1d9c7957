"""Fault injection: which invocations fail, hang or wait, and with what error."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

# The error type SageMaker Runtime returns with each status code.
ERROR_TYPES = {
    400: "ValidationError",
    424: "ModelError",
    429: "ThrottlingException",
    500: "InternalFailure",
    503: "ServiceUnavailable",
    530: "InternalDependencyException",
}
# Maximum hang in seconds that the control API accepts, so that a test cannot block a server thread forever.
MAX_HANG_S = 300.0


@dataclass(frozen=True)
class FaultSettings:
    fail_rate: float = 0.0
    fail_status: int = 429
    # Defaults to the error type of ``fail_status`` (ERROR_TYPES).
    fail_type: str | None = None
    # The next N invocations fail, before ``fail_rate`` is consulted.
    fail_next: int = 0
    latency_ms: float = 0.0
    hang_rate: float = 0.0
    hang_s: float = 30.0
    # Endpoints the faults apply to; empty means all.
    endpoints: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("fail_rate", "hang_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.fail_status not in ERROR_TYPES and self.fail_type is None:
            known = ", ".join(str(status) for status in ERROR_TYPES)
            raise ValueError(f"fail_status {self.fail_status} has no default error type ({known}); set fail_type")
        if not 0.0 <= self.hang_s <= MAX_HANG_S:
            raise ValueError(f"hang_s must be between 0 and {MAX_HANG_S}, got {self.hang_s}")
        if self.latency_ms < 0 or self.fail_next < 0:
            raise ValueError("latency_ms and fail_next must not be negative")

    @property
    def error_type(self) -> str:
        return self.fail_type or ERROR_TYPES[self.fail_status]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["endpoints"] = list(self.endpoints)
        return data


@dataclass(frozen=True)
class FaultDecision:
    latency_s: float = 0.0
    hang_s: float = 0.0
    status: int | None = None
    error_type: str | None = None


@dataclass
class FaultInjector:
    """Draws the fault of each invocation; thread-safe, and reproducible with a seed."""

    settings: FaultSettings = field(default_factory=FaultSettings)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.settings.seed)
        self._remaining_failures = self.settings.fail_next

    def update(self, **changes: Any) -> FaultSettings:
        """Change some settings; unknown names raise ``ValueError``. A new seed restarts the random sequence."""
        known = {item.name for item in fields(FaultSettings)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if "endpoints" in changes:
            changes["endpoints"] = tuple(changes["endpoints"] or ())
        with self._lock:
            self.settings = replace(self.settings, **changes)
            if "seed" in changes:
                self._rng = random.Random(self.settings.seed)
            if "fail_next" in changes:
                self._remaining_failures = self.settings.fail_next
            return self.settings

    def reset(self) -> FaultSettings:
        with self._lock:
            self.settings = FaultSettings()
            self._rng = random.Random()
            self._remaining_failures = 0
            return self.settings

    def decide(self, endpoint: str) -> FaultDecision:
        with self._lock:
            settings = self.settings
            if settings.endpoints and endpoint not in settings.endpoints:
                return FaultDecision()
            latency_s = settings.latency_ms / 1000
            if self._remaining_failures > 0:
                self._remaining_failures -= 1
                return FaultDecision(latency_s, 0.0, settings.fail_status, settings.error_type)
            if settings.fail_rate and self._rng.random() < settings.fail_rate:
                return FaultDecision(latency_s, 0.0, settings.fail_status, settings.error_type)
            if settings.hang_rate and self._rng.random() < settings.hang_rate:
                return FaultDecision(latency_s, settings.hang_s)
            return FaultDecision(latency_s)
