"""The metric catalogue: every metric the gateway emits, with its unit and dimensions.

``docs/metrics.md`` documents the same entries; tests check every EMF record
written during a run against this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Sluicegate"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: MetricUnit
    dimensions: tuple[str, ...]
    description: str


_REQUEST_DIMENSIONS = ("Backend", "Model")

CATALOG: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("Requests", MetricUnit.Count, _REQUEST_DIMENSIONS, "completed chat requests"),
        MetricSpec("RequestLatency", MetricUnit.Milliseconds, _REQUEST_DIMENSIONS, "handler start to response"),
        MetricSpec("TimeToFirstToken", MetricUnit.Milliseconds, _REQUEST_DIMENSIONS, "handler start to first generated token"),
        MetricSpec("GatewayOverhead", MetricUnit.Milliseconds, _REQUEST_DIMENSIONS, "request latency minus backend generation time"),
        MetricSpec("InputTokens", MetricUnit.Count, _REQUEST_DIMENSIONS, "prompt tokens of the rendered prompt"),
        MetricSpec("OutputTokens", MetricUnit.Count, _REQUEST_DIMENSIONS, "generated tokens"),
        MetricSpec("CostMicroUSD", MetricUnit.Count, _REQUEST_DIMENSIONS, "request cost in micro-USD; the cost basis is in the record's CostBasis property"),
        MetricSpec("StageLatency", MetricUnit.Milliseconds, ("Stage",), "time spent in one pipeline stage"),
        MetricSpec("Errors", MetricUnit.Count, ("ErrorType",), "requests that ended in an error, by OpenAI error type/code"),
        MetricSpec("ColdStart", MetricUnit.Count, ("function_name",), "first invocation of a container (emitted by Powertools)"),
    )
}
