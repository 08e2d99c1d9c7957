"""Circuit breakers, one per backend, kept in process memory.

State lives in the container: each Lambda container (and each local server
process) learns about a failing endpoint on its own, and a cold start begins
closed. That is enough to stop one container from spending its requests'
time on an endpoint that keeps failing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Literal

logger = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerSettings:
    failure_threshold: int = 5
    cooldown_s: float = 30.0


class CircuitBreaker:
    """closed → open after ``failure_threshold`` consecutive failures → half-open after
    ``cooldown_s`` (one trial call at a time) → closed on success, open again on failure."""

    def __init__(self, name: str, settings: BreakerSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current_state()

    def _current_state(self) -> BreakerState:
        if self._state == "open" and self._clock() - self._opened_at >= self.settings.cooldown_s:
            self._state = "half_open"
            self._trial_running = False
            logger.info("circuit breaker of %s is half-open after %.1f s", self.name, self.settings.cooldown_s)
        return self._state

    def seconds_until_retry(self) -> float:
        with self._lock:
            if self._current_state() != "open":
                return 0.0
            return max(0.0, self.settings.cooldown_s - (self._clock() - self._opened_at))

    def allow_request(self) -> bool:
        """Return whether a call may go out now; in half-open state this claims the single trial call."""
        with self._lock:
            state = self._current_state()
            if state == "closed":
                return True
            if state == "half_open" and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            if self._state != "closed":
                logger.info("circuit breaker of %s is closed after a successful call", self.name)
            self._state = "closed"
            self._failures = 0
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            reopen = self._state == "half_open"
            if reopen or (self._state == "closed" and self._failures >= self.settings.failure_threshold):
                self._state = "open"
                self._opened_at = self._clock()
                self._trial_running = False
                logger.warning(
                    "circuit breaker of %s is open for %.1f s after %d consecutive failures",
                    self.name,
                    self.settings.cooldown_s,
                    self._failures,
                )


class BreakerRegistry:
    """The breakers of one container, created on first use with each backend's settings."""

    def __init__(self, settings: dict[str, BreakerSettings] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = dict(settings or {})
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        self._lock = threading.Lock()

    def get(self, backend: str) -> CircuitBreaker:
        with self._lock:
            if backend not in self._breakers:
                settings = self._settings.get(backend, BreakerSettings())
                self._breakers[backend] = CircuitBreaker(backend, settings, self._clock)
            return self._breakers[backend]
