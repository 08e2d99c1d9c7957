"""The routing of one chat request: its plan, its attempts and their trace."""

from __future__ import annotations

import time
from typing import Callable

from ..backends.base import Backend, ChatMessage, GenerationRequest
from ..errors import ContextLengthExceededError, GatewayError
from ..observability.metrics import RequestMetrics
from ..pipeline.timing import StageTimer
from .dispatch import FALLBACK_ERRORS, Dispatcher, RouteTrace, Served
from .facts import RequestFacts
from .reporting import report_route
from .router import RoutePlan, Router, single_backend_router

ROUTE_HEADER = "x-sluicegate-route"


class RoutedRequest:
    def __init__(self, router: Router, plan: RoutePlan, clock: Callable[[], float] = time.monotonic) -> None:
        self.router = router
        self.plan = plan
        self.trace = RouteTrace()
        self.served: Served | None = None
        self._dispatcher = Dispatcher(router.pool, router.breakers, clock)

    @classmethod
    def start(
        cls,
        target: Router | Backend,
        model: str,
        messages: tuple[ChatMessage, ...],
        *,
        max_tokens: int | None,
        tier: str,
        tenant_id: str,
        retrieval: bool,
    ) -> "RoutedRequest":
        """Plan the request; ``target`` is the container's router, or one backend chosen by the caller."""
        router = target if isinstance(target, Router) else single_backend_router(target, model)
        facts = RequestFacts(
            messages,
            max_tokens=max_tokens,
            tier=tier,
            tenant_id=tenant_id,
            retrieval=retrieval,
            count_prompt_tokens=router.count_prompt_tokens,
        )
        return cls(router, router.plan(model, facts))

    def sizing_backend(self, messages: tuple[ChatMessage, ...], fit: Callable[[int, int], int]) -> Backend:
        """Return the first candidate the request fits, preferring ones whose breaker is not open.

        Retrieval and the quota reservation size the request for this backend;
        a fallback to another backend is sized again when it is tried.
        """
        fitting: list[Backend] = []
        too_long: tuple[int, ContextLengthExceededError] | None = None
        unusable: GatewayError | None = None
        for candidate in self.plan.candidates:
            backend = self.router.pool.get(candidate.backend)
            window = backend.context_window()
            try:
                fit(backend.count_prompt_tokens(messages), window)
            except ContextLengthExceededError as exc:
                if too_long is None or window > too_long[0]:
                    too_long = (window, exc)
                continue
            except FALLBACK_ERRORS as exc:
                # For example a missing tokenizer file; dispatch skips this backend too.
                unusable = exc
                continue
            if self.router.breakers.get(candidate.backend).state != "open":
                return backend
            fitting.append(backend)
        if fitting:
            return fitting[0]
        if too_long is not None:
            raise too_long[1]
        assert unusable is not None, "a plan has at least one candidate"
        raise unusable

    def dispatch(
        self,
        messages: tuple[ChatMessage, ...],
        *,
        fit: Callable[[int, int], int],
        build_request: Callable[[int], GenerationRequest],
        timer: StageTimer,
        deadline: float | None,
    ) -> Served:
        self.served = self._dispatcher.run(
            self.plan, messages, fit=fit, build_request=build_request, timer=timer, trace=self.trace, deadline=deadline
        )
        return self.served

    @property
    def route(self) -> str:
        """The label of the route that served the request, or of the first planned one."""
        return self.served.candidate.route if self.served else self.plan.candidates[0].route

    def report(self, metrics: RequestMetrics) -> None:
        report_route(metrics, self.trace, self.plan, self.served)
