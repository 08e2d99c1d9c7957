"""The ``x-ratelimit-*`` response headers, as OpenAI's API sends them."""

from __future__ import annotations

from datetime import datetime
from typing import Mapping

from .limits import Window, seconds_until, window_end
from .models import CounterKey, CounterState

# Header suffix and the per-minute limit it reports.
_REPORTED_LIMITS = (("requests", "requests_per_minute"), ("tokens", "tokens_per_minute"))


def format_reset(seconds: int) -> str:
    """Format a duration like OpenAI's reset headers: ``12s``, ``1m30s``, ``2h0m5s``."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def rate_limit_headers(
    limits: Mapping[CounterKey, int | None],
    states: Mapping[CounterKey, CounterState],
    now: datetime,
    added: Mapping[CounterKey, int] | None = None,
) -> dict[str, str]:
    """Build the headers for the tightest limited scope of each per-minute limit.

    ``states`` are counter values before ``added`` (this request's hold, or
    nothing when it was rejected). A limit that no scope sets sends no headers.
    """
    added = added or {}
    headers: dict[str, str] = {}
    for suffix, limit_name in _REPORTED_LIMITS:
        candidates = []
        for key, limit in limits.items():
            if key.limit_name != limit_name or limit is None:
                continue
            state = states[key]
            remaining = limit - state.used - state.reserved - added.get(key, 0)
            candidates.append((remaining, limit, key))
        if not candidates:
            continue
        remaining, limit, key = min(candidates)
        reset = seconds_until(window_end(Window.MINUTE, key.window_start), now)
        headers[f"x-ratelimit-limit-{suffix}"] = str(limit)
        headers[f"x-ratelimit-remaining-{suffix}"] = str(max(0, remaining))
        headers[f"x-ratelimit-reset-{suffix}"] = format_reset(reset)
    return headers
