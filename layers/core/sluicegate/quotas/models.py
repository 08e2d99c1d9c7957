"""Records the quota service passes between the pipeline and the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from .limits import LIMIT_NAMES, LIMIT_SPECS, TENANT_SCOPE, Metric, Window


@dataclass(frozen=True, order=True)
class CounterKey:
    """One counter row of a tenant; tuples of these sort into the row-lock order."""

    scope: str
    limit_name: str
    window_start: datetime


@dataclass
class CounterState:
    used: int
    reserved: int


@dataclass(frozen=True)
class Reservation:
    """The worst case held for one request, and the rate-limit headers for its response."""

    request_id: str
    tenant_id: str
    key_id: str
    tokens: int
    micro_usd: int
    windows: dict[Window, datetime]
    created_at: datetime
    expires_at: datetime
    # Limits of the key scope this reservation counts against.
    key_limits: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    # False when the database was unreachable and SLUICEGATE_QUOTA_FAIL_OPEN let the request through.
    enforced: bool = True

    @cached_property
    def sorted_counters(self) -> tuple[tuple[CounterKey, Metric], ...]:
        """The counters this reservation touches, with the metric each counts, in lock order."""
        scoped = [(TENANT_SCOPE, name) for name in LIMIT_NAMES]
        scoped += [(self.key_id, name) for name in self.key_limits]
        keyed = [(CounterKey(scope, name, self.windows[LIMIT_SPECS[name].window]), LIMIT_SPECS[name].metric) for scope, name in scoped]
        return tuple(sorted(keyed))

    def counter_amounts(self, requests: int, tokens: int, micro_usd: int) -> dict[CounterKey, int]:
        """Map every counter this reservation touches to the amount given for its metric."""
        by_metric = {Metric.REQUESTS: requests, Metric.TOKENS: tokens, Metric.MICRO_USD: micro_usd}
        return {key: by_metric[metric] for key, metric in self.sorted_counters}

    def held_amounts(self) -> dict[CounterKey, int]:
        return self.counter_amounts(requests=1, tokens=self.tokens, micro_usd=self.micro_usd)


@dataclass(frozen=True)
class Usage:
    """The real consumption of a finished request, as written to the usage ledger."""

    model: str
    backend: str
    prompt_tokens: int
    completion_tokens: int
    cost_micro_usd: int
    cost_basis: str
    latency_ms: int
    route: str | None = None
    prompt_template_version: str | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Charge:
    """The ledger row of one request. ``newly_recorded`` is False when an earlier settle wrote it."""

    request_id: str
    tenant_id: str
    key_id: str
    prompt_tokens: int
    completion_tokens: int
    cost_micro_usd: int
    cost_basis: str
    created_at: datetime
    newly_recorded: bool


@dataclass(frozen=True)
class Violation:
    """One limit that a reservation would exceed."""

    scope: str
    limit_name: str
    limit: int
    used: int
    reserved: int
    amount: int
    window_start: datetime
    window_end: datetime

    @property
    def excess(self) -> int:
        """How much must be freed before the request fits."""
        return self.used + self.reserved + self.amount - self.limit

    @property
    def can_ever_fit(self) -> bool:
        return self.amount <= self.limit
