"""Limit names, the windows they count in, and the limits that apply to one caller."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum

# Scope of the counters and overrides that cover a whole tenant. Any other
# scope value is an API key id, which is 12 hex characters and never "*".
TENANT_SCOPE = "*"


class Window(str, Enum):
    MINUTE = "minute"
    DAY = "day"
    MONTH = "month"


class Metric(str, Enum):
    REQUESTS = "requests"
    TOKENS = "tokens"
    MICRO_USD = "micro_usd"


@dataclass(frozen=True)
class LimitSpec:
    name: str
    metric: Metric
    window: Window
    # Rate limits reject with rate_limit_exceeded, budgets with insufficient_quota.
    is_budget: bool


LIMIT_SPECS: dict[str, LimitSpec] = {
    spec.name: spec
    for spec in (
        LimitSpec("requests_per_minute", Metric.REQUESTS, Window.MINUTE, is_budget=False),
        LimitSpec("tokens_per_minute", Metric.TOKENS, Window.MINUTE, is_budget=False),
        LimitSpec("tokens_per_day", Metric.TOKENS, Window.DAY, is_budget=True),
        LimitSpec("micro_usd_per_day", Metric.MICRO_USD, Window.DAY, is_budget=True),
        LimitSpec("micro_usd_per_month", Metric.MICRO_USD, Window.MONTH, is_budget=True),
    )
}
LIMIT_NAMES: tuple[str, ...] = tuple(LIMIT_SPECS)


def window_start(window: Window, moment: datetime) -> datetime:
    """Return the UTC start of the window that contains ``moment``."""
    utc = moment.astimezone(timezone.utc)
    if window is Window.MINUTE:
        return utc.replace(second=0, microsecond=0)
    if window is Window.DAY:
        return utc.replace(hour=0, minute=0, second=0, microsecond=0)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def window_end(window: Window, start: datetime) -> datetime:
    """Return the end (exclusive) of the window that begins at ``start``."""
    if window is Window.MINUTE:
        return start + timedelta(minutes=1)
    if window is Window.DAY:
        return start + timedelta(days=1)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def current_windows(moment: datetime) -> dict[Window, datetime]:
    return {window: window_start(window, moment) for window in Window}


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` until ``moment``, rounded up and at least 1."""
    return max(1, math.ceil((moment - now).total_seconds()))


@dataclass(frozen=True)
class EffectiveLimits:
    """The limits one request is checked against; ``None`` means no limit."""

    tenant_id: str
    tier: str
    # Every limit name, resolved from the tenant's override or else its tier.
    tenant: dict[str, int | None]
    # Only the limits set on the calling key; a key without overrides is bounded by the tenant alone.
    key: dict[str, int] = field(default_factory=dict)
