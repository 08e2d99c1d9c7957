"""Per backend and model statistics of chat requests, in total and over time."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Sequence

from .aggregate import ChatRequest

# The row of requests that failed before a backend and model were known, or
# whose records do not name them.
UNATTRIBUTED = "-"
MICRO_USD_PER_USD = 1_000_000
# Candidate chart buckets, in seconds; the smallest that gives at most MAX_BUCKETS wins.
BUCKET_CHOICES_S = (60, 300, 900, 3600, 6 * 3600, 86400)
MAX_BUCKETS = 60


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the ``q``-th percentile (0-100) with linear interpolation between ranks.

    This is the "inclusive" definition (numpy's default ``linear`` method):
    the 0th percentile is the minimum and the 100th the maximum. Returns None
    for no values.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass
class RowSummary:
    backend: str
    model: str
    requests: int
    errors: int
    error_rate: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    input_tokens: float
    output_tokens: float
    cost_usd: float
    # Total cost divided by all requests of the row, failed ones included, times 1,000.
    cost_per_1000_requests_usd: float
    fallback_rate: float
    pii_rate: float
    injection_rate: float
    errors_by_type: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise_row(backend: str, model: str, requests: Sequence[ChatRequest]) -> RowSummary:
    """Summarise ``requests``, which all belong to one row (or to the total)."""
    count = len(requests)
    failed = [request for request in requests if request.failed]
    latencies = [request.latency_ms for request in requests if request.completed and request.latency_ms is not None]
    cost_usd = sum(request.cost_micro_usd for request in requests) / MICRO_USD_PER_USD
    return RowSummary(
        backend=backend,
        model=model,
        requests=count,
        errors=len(failed),
        error_rate=_rate(len(failed), count),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        latency_p99_ms=percentile(latencies, 99),
        input_tokens=sum(request.input_tokens for request in requests),
        output_tokens=sum(request.output_tokens for request in requests),
        cost_usd=cost_usd,
        cost_per_1000_requests_usd=cost_usd / count * 1000 if count else 0.0,
        fallback_rate=_rate(sum(1 for request in requests if request.fallbacks > 0), count),
        pii_rate=_rate(sum(1 for request in requests if request.pii_entities > 0), count),
        injection_rate=_rate(sum(1 for request in requests if request.injection_flags > 0), count),
        errors_by_type=dict(sorted(Counter(request.error_type or "unknown" for request in failed).items())),
    )


def row_key(request: ChatRequest) -> tuple[str, str]:
    return (request.backend or UNATTRIBUTED, request.model or UNATTRIBUTED)


def summarise(requests: Iterable[ChatRequest]) -> tuple[list[RowSummary], RowSummary]:
    """Return one summary per (backend, model), sorted by name, and the total over all rows."""
    requests = list(requests)
    rows: dict[tuple[str, str], list[ChatRequest]] = {}
    for request in requests:
        rows.setdefault(row_key(request), []).append(request)
    summaries = [summarise_row(backend, model, group) for (backend, model), group in sorted(rows.items())]
    return summaries, summarise_row("all", "all", requests)


def choose_bucket_seconds(requests: Sequence[ChatRequest]) -> int:
    """Pick the smallest bucket from BUCKET_CHOICES_S that spans the requests in at most MAX_BUCKETS."""
    if not requests:
        return BUCKET_CHOICES_S[0]
    span_s = (max(r.timestamp_ms for r in requests) - min(r.timestamp_ms for r in requests)) / 1000
    for bucket in BUCKET_CHOICES_S:
        if span_s / bucket < MAX_BUCKETS:
            return bucket
    return BUCKET_CHOICES_S[-1]


@dataclass
class TimePoint:
    # Start of the bucket, in seconds since the epoch.
    bucket_start_s: int
    backend: str
    model: str
    requests: int
    latency_p95_ms: float | None
    cost_usd: float


def time_series(requests: Iterable[ChatRequest], bucket_s: int) -> list[TimePoint]:
    """Return per bucket and row: request count, p95 latency of completed requests and cost."""
    buckets: dict[tuple[int, str, str], list[ChatRequest]] = {}
    for request in requests:
        start = (request.timestamp_ms // 1000) // bucket_s * bucket_s
        buckets.setdefault((start, *row_key(request)), []).append(request)
    points = []
    for (start, backend, model), group in sorted(buckets.items()):
        latencies = [r.latency_ms for r in group if r.completed and r.latency_ms is not None]
        points.append(
            TimePoint(
                bucket_start_s=start,
                backend=backend,
                model=model,
                requests=len(group),
                latency_p95_ms=percentile(latencies, 95),
                cost_usd=sum(r.cost_micro_usd for r in group) / MICRO_USD_PER_USD,
            )
        )
    return points
