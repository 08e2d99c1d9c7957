"""Try a plan's candidates in order until one backend serves the request.

A candidate is skipped when its circuit breaker is open, or when the prompt
plus the completion budget does not fit its context window. When it fails
with a backend error after its own retries, the next candidate (a fallback)
runs. Client errors such as an endpoint's context length error end the
request at once.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from ..backends.base import Backend, ChatMessage, GenerationRequest, GenerationResult
from ..backends.breaker import BreakerRegistry
from ..backends.calls import CallOptions, DeadlineAwareBackend
from ..errors import BackendError, BackendTimeoutError, ContextLengthExceededError, GatewayError, ServiceUnavailableError
from ..pipeline.timing import StageTimer
from .pool import BackendPool
from .router import RoutePlan
from .strategies import Candidate
from .trace import RouteTrace, Served

logger = logging.getLogger(__name__)

# Failures that move the request on to the next candidate.
FALLBACK_ERRORS = (BackendError, ServiceUnavailableError, BackendTimeoutError)


class Dispatcher:
    def __init__(self, pool: BackendPool, breakers: BreakerRegistry, clock: Callable[[], float] = time.monotonic) -> None:
        self.pool = pool
        self.breakers = breakers
        self.clock = clock

    def run(
        self,
        plan: RoutePlan,
        messages: tuple[ChatMessage, ...],
        *,
        fit: Callable[[int, int], int],
        build_request: Callable[[int], GenerationRequest],
        timer: StageTimer,
        trace: RouteTrace,
        deadline: float | None = None,
    ) -> Served:
        """Serve the request on the first candidate that can; ``fit(prompt_tokens, window)`` returns max_tokens or raises 400."""
        too_long: tuple[int, ContextLengthExceededError] | None = None
        last_failure: GatewayError | None = None
        options = CallOptions(deadline=deadline, on_retry=trace.record_retry)
        for position, candidate in enumerate(plan.candidates):
            if deadline is not None and self.clock() >= deadline:
                last_failure = BackendTimeoutError(f"no time was left to try the backend {candidate.backend!r}")
                break
            with timer.stage("validate"):
                backend = self.pool.get(candidate.backend)
                window = backend.context_window()
                try:
                    max_tokens = fit(backend.count_prompt_tokens(messages), window)
                except ContextLengthExceededError as exc:
                    trace.count("ContextWindowSkips", candidate)
                    logger.info("skipping backend %s of route %s: %s", candidate.backend, candidate.route, exc.message)
                    if too_long is None or window > too_long[0]:
                        too_long = (window, exc)
                    continue
                except FALLBACK_ERRORS as exc:
                    last_failure = exc
                    logger.warning("cannot count prompt tokens for backend %s: %s", candidate.backend, exc.message)
                    continue
            breaker = self.breakers.get(candidate.backend)
            if not breaker.allow_request():
                trace.count("BreakerOpen", candidate)
                logger.info("skipping backend %s of route %s: its circuit breaker is open", candidate.backend, candidate.route)
                last_failure = last_failure or ServiceUnavailableError(
                    f"the backend {candidate.backend!r} is failing and paused for {breaker.seconds_until_retry():.0f} s; retry later"
                )
                continue
            trace.attempted.append(candidate.backend)
            trace.current = candidate
            try:
                served = self._call(candidate, backend, build_request(max_tokens), options, timer)
            except ContextLengthExceededError:
                breaker.record_success()
                raise
            except FALLBACK_ERRORS as exc:
                breaker.record_failure()
                last_failure = exc
                if position < len(plan.candidates) - 1:
                    trace.count("Fallbacks", candidate)
                logger.warning("backend %s of route %s failed: %s", candidate.backend, candidate.route, exc.message)
                continue
            except GatewayError:
                breaker.record_success()
                raise
            breaker.record_success()
            return served
        if last_failure is not None:
            raise last_failure
        if too_long is not None:
            raise too_long[1]
        raise ServiceUnavailableError(f"the model {plan.model!r} has no backend that can serve this request")

    def _call(self, candidate: Candidate, backend: Backend, request: GenerationRequest, options: CallOptions, timer: StageTimer) -> Served:
        deltas: list[str] = []
        result: GenerationResult | None = None
        with timer.stage("dispatch"):
            started = time.perf_counter()
            try:
                chunks = backend.stream_with(request, options) if isinstance(backend, DeadlineAwareBackend) else backend.stream(request)
                for chunk in chunks:
                    if chunk.text:
                        deltas.append(chunk.text)
                    if chunk.result is not None:
                        result = chunk.result
            except GatewayError:
                raise
            except Exception as exc:
                # A crash of one backend is logged and treated as a backend failure, so fallbacks still run.
                logger.exception("backend %s raised %s", candidate.backend, type(exc).__name__)
                raise BackendError(f"the {candidate.backend} backend failed while generating") from exc
            call_s = time.perf_counter() - started
        if result is None:
            raise BackendError(f"the {backend.name} backend ended its stream without a result")
        return Served(candidate, backend, result, deltas, call_s)
