"""Retry policies of backend calls, as named tenacity objects.

botocore's own retries are off (``total_max_attempts=1``) so that these
policies are the only place where a call is repeated. Each policy is copied
per call to add the request's deadline and retry observer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tenacity.stop import stop_base

from .calls import CallOptions, RetryEvent
from .sagemaker_errors import is_retryable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetrySettings:
    """Per-endpoint retry limits; backoff is ``backoff_s * 2**n`` plus up to ``jitter_s``, capped at ``max_backoff_s``."""

    max_attempts: int = 4
    backoff_s: float = 0.2
    max_backoff_s: float = 2.0
    jitter_s: float = 0.2


def _log_retry(retry_state: RetryCallState, target: str | None = None) -> None:
    error = retry_state.outcome.exception() if retry_state.outcome else None
    if target is None:
        target = getattr(retry_state.fn, "__qualname__", "a backend call")
    logger.warning(
        "attempt %d of %s failed with %s: %s; retrying in %.2f s",
        retry_state.attempt_number,
        target,
        type(error).__name__,
        error,
        retry_state.upcoming_sleep,
    )


# Invocations of a SageMaker endpoint: jittered exponential backoff on
# throttling, unavailability, 5xx and connection errors; never on 4xx.
SAGEMAKER_INVOKE = Retrying(
    retry=retry_if_exception(is_retryable),
    wait=wait_exponential_jitter(multiplier=0.2, max=2.0, jitter=0.2),
    stop=stop_after_attempt(4),
    before_sleep=_log_retry,
    reraise=True,
)


class stop_at_deadline(stop_base):
    """Stop when the next attempt would start after ``deadline`` (a ``clock()`` value)."""

    def __init__(self, deadline: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.deadline = deadline
        self.clock = clock

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.clock() + retry_state.upcoming_sleep >= self.deadline


def retrying_for_call(
    base: Retrying,
    settings: RetrySettings,
    options: CallOptions,
    backend: str,
    clock: Callable[[], float] = time.monotonic,
) -> Retrying:
    """Copy ``base`` with the endpoint's limits, the request's deadline and its retry observer.

    NOTE: the deadline only stops new attempts. An attempt already running
    ends when the botocore read timeout expires, which may be later.
    """
    stop = stop_after_attempt(settings.max_attempts)
    if options.deadline is not None:
        stop = stop | stop_at_deadline(options.deadline, clock)

    def before_sleep(retry_state: RetryCallState) -> None:
        _log_retry(retry_state, target=backend)
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if options.on_retry is not None and error is not None:
            options.on_retry(RetryEvent(backend, retry_state.attempt_number, error, retry_state.upcoming_sleep))

    return base.copy(
        stop=stop,
        wait=wait_exponential_jitter(multiplier=settings.backoff_s, max=settings.max_backoff_s, jitter=settings.jitter_s),
        before_sleep=before_sleep,
    )
