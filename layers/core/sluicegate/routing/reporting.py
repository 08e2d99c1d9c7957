"""Routing metrics and the cost of the backend that served a request."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..backends.base import GenerationResult
from ..observability.metrics import RequestMetrics
from ..pricing.table import Cost, PriceTable, lambda_cost
from .dispatch import RouteTrace, Served
from .router import RoutePlan


@runtime_checkable
class PricedBackend(Protocol):
    """A backend with its own price, such as a SageMaker endpoint."""

    def cost(self, prices: PriceTable, result: GenerationResult) -> Cost: ...


def serving_cost(served: Served, prices: PriceTable, lambda_memory_mb: int) -> Cost:
    """Price the call that served the request; backends without a price run in the function and cost Lambda time."""
    if isinstance(served.backend, PricedBackend):
        return served.backend.cost(prices, served.result)
    return lambda_cost(prices, served.call_s, lambda_memory_mb)


def report_route(metrics: RequestMetrics, trace: RouteTrace, plan: RoutePlan, served: Served | None) -> None:
    """Write the routing counters and the serving backend, for successes and failures alike.

    The request's own record keeps the Backend and Model dimensions and gets
    the route as a property. Retries, fallbacks and skips are separate records
    whose Backend is the backend that failed or was skipped.
    """
    if served is not None:
        metrics.set_dimensions(Backend=served.backend.name)
        metrics.add_metadata(Route=served.candidate.route)
    elif trace.attempted:
        metrics.set_dimensions(Backend=trace.attempted[-1])
    metrics.add_metadata(RouteAttempts=list(trace.attempted))
    for (metric, backend, route), value in sorted(trace.counts.items()):
        metrics.add_single(metric, value, {"Backend": backend, "Model": plan.model, "Route": route})
