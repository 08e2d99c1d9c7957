"""Per-call options a backend may honour: a deadline and a retry observer.

The ``Backend`` protocol carries no request context, so backends that retry
(SageMaker) also implement ``DeadlineAwareBackend``. The router passes the
Lambda's remaining time through it and counts retries for the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Protocol, runtime_checkable

from .base import GenerationChunk, GenerationRequest


@dataclass(frozen=True)
class RetryEvent:
    """One failed attempt that is about to be retried."""

    backend: str
    attempt: int
    error: BaseException
    sleep_s: float


@dataclass(frozen=True)
class CallOptions:
    # ``time.monotonic()`` value after which no new attempt may start; None means no limit.
    deadline: float | None = None
    on_retry: Callable[[RetryEvent], None] | None = None


@runtime_checkable
class DeadlineAwareBackend(Protocol):
    def stream_with(self, request: GenerationRequest, options: CallOptions) -> Iterator[GenerationChunk]: ...
