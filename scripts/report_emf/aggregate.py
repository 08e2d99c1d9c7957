"""Join the EMF records of one chat request into one ``ChatRequest``.

The gateway writes several records per chat request, all with the same
``request_id`` property. A success has one record with the request metrics
(``Requests``, ``RequestLatency``, tokens, cost), and a handled error has one
``Errors`` record. Every request also has one record per stage latency, PII
entity type, injection signal, retry or fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .records import EmfRecord

# A request is a chat request when one of its records has one of these metrics.
CHAT_METRICS = frozenset({"Requests", "Errors", "StageLatency"})
# These records name a backend that failed or was skipped, not the one that served the request.
_ROUTING_METRICS = frozenset({"Retries", "Fallbacks", "BreakerOpen", "ContextWindowSkips"})
# The error kind of a request whose records show neither success nor a handled error,
# such as an exception that the route did not catch.
UNRECORDED_ERROR = "unrecorded"


@dataclass
class ChatRequest:
    request_id: str
    # The earliest record timestamp of the request, in ms since the epoch.
    timestamp_ms: int
    backend: str | None
    model: str | None
    completed: bool
    error_type: str | None
    latency_ms: float | None
    input_tokens: float
    output_tokens: float
    cost_micro_usd: float
    fallbacks: float
    retries: float
    pii_entities: float
    injection_flags: float

    @property
    def failed(self) -> bool:
        return not self.completed


def _backend_and_model(records: list[EmfRecord]) -> tuple[str | None, str | None]:
    """Pick the serving backend and model: the success record first, then the error record, then any other."""

    def rank(record: EmfRecord) -> int:
        if "Requests" in record.values:
            return 0
        if "Errors" in record.values:
            return 1
        if _ROUTING_METRICS & record.values.keys():
            return 3
        return 2

    for record in sorted(records, key=rank):
        backend, model = record.text("Backend"), record.text("Model")
        if backend is not None and model is not None and rank(record) < 3:
            return backend, model
    return None, None


def build_request(request_id: str, records: list[EmfRecord]) -> ChatRequest:
    """Join the records of one request id."""
    completed = any(record.total("Requests") > 0 for record in records)
    error_type = None
    for record in records:
        if record.total("Errors") > 0:
            error_type = record.text("ErrorType") or "unknown"
    if not completed and error_type is None:
        error_type = UNRECORDED_ERROR

    latencies = [value for record in records for value in record.values.get("RequestLatency", ())]
    backend, model = _backend_and_model(records)
    return ChatRequest(
        request_id=request_id,
        timestamp_ms=min(record.timestamp_ms for record in records),
        backend=backend,
        model=model,
        completed=completed,
        error_type=None if completed else error_type,
        latency_ms=max(latencies) if latencies else None,
        input_tokens=sum(record.total("InputTokens") for record in records),
        output_tokens=sum(record.total("OutputTokens") for record in records),
        cost_micro_usd=sum(record.total("CostMicroUSD") for record in records),
        fallbacks=sum(record.total("Fallbacks") for record in records),
        retries=sum(record.total("Retries") for record in records),
        pii_entities=sum(record.total("PiiEntities") for record in records),
        injection_flags=sum(record.total("InjectionFlags") for record in records),
    )


def group_requests(records: Iterable[EmfRecord]) -> list[ChatRequest]:
    """Return the chat requests found in ``records``, ordered by time.

    Records without a ``request_id`` property (such as Powertools' cold-start
    record) and request ids without any chat metric are left out.
    """
    by_request: dict[str, list[EmfRecord]] = {}
    for record in records:
        request_id = record.text("request_id")
        if request_id:
            by_request.setdefault(request_id, []).append(record)

    requests = [
        build_request(request_id, group)
        for request_id, group in by_request.items()
        if any(CHAT_METRICS & record.values.keys() for record in group)
    ]
    requests.sort(key=lambda request: (request.timestamp_ms, request.request_id))
    return requests
