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


# The maximum number of a metric's own dimensions. Powertools adds ``service`` to every dimension set.
MAX_DIMENSIONS = 3

_REQUEST_DIMENSIONS = ("Backend", "Model")
# Route is the routing rule that chose the backend, not the HTTP route.
_ROUTING_DIMENSIONS = ("Backend", "Model", "Route")

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
        MetricSpec("PiiEntities", MetricUnit.Count, ("EntityType",), "PII and secret values detected in a request or its answer, by entity type"),
        MetricSpec("InjectionFlags", MetricUnit.Count, ("Signal",), "prompt-injection signals that fired on a request's user messages"),
        MetricSpec("Retries", MetricUnit.Count, _ROUTING_DIMENSIONS, "backend calls repeated after a retryable failure; Backend is the backend that failed"),
        MetricSpec("Fallbacks", MetricUnit.Count, _ROUTING_DIMENSIONS, "requests moved to the next backend of their route; Backend is the backend given up on"),
        MetricSpec("BreakerOpen", MetricUnit.Count, _ROUTING_DIMENSIONS, "backends skipped because their circuit breaker was open; Backend is the backend skipped"),
        MetricSpec("ContextWindowSkips", MetricUnit.Count, _ROUTING_DIMENSIONS, "backends skipped because the prompt plus max_tokens exceeds their context window"),
        MetricSpec("QuotaRejections", MetricUnit.Count, ("Window",), "requests rejected by a tenant quota, by the quota window that was exhausted"),
        MetricSpec("RetrievalLatency", MetricUnit.Milliseconds, (), "time to embed the query and search the tenant's collection"),
        MetricSpec("RetrievalTopScore", MetricUnit.NoUnit, (), "cosine similarity of the best passage of a retrieval to the query, from -1 to 1"),
        MetricSpec("RetrievalPassages", MetricUnit.Count, (), "passages a retrieval added to the prompt"),
        MetricSpec("RetrievalFailures", MetricUnit.Count, (), "retrievals that failed (database, timeout or embedding model); the request was answered without context or rejected with 503, as its tenant chose"),
        MetricSpec("EmbeddingTokens", MetricUnit.Count, ("Model",), "tokens the embedding model read for POST /v1/embeddings and POST /v1/documents, [CLS] and [SEP] included"),
        MetricSpec("IngestedChunks", MetricUnit.Count, (), "chunks embedded and written by POST /v1/documents"),
        MetricSpec("BatchItems", MetricUnit.Count, ("Outcome",), "batch item messages the worker processed, by outcome: succeeded, failed, or retried (left on the queue for another delivery)"),
        MetricSpec("ColdStart", MetricUnit.Count, ("function_name",), "first invocation of a container (emitted by Powertools)"),
    )
}
