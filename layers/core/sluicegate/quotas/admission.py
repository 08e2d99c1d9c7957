"""Pure admission arithmetic: which limits a reservation breaks, and when it would fit."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Mapping

from .limits import LIMIT_SPECS, TENANT_SCOPE, EffectiveLimits, seconds_until, window_end
from .models import CounterKey, CounterState, Reservation, Violation


def limits_by_counter(limits: EffectiveLimits, reservation: Reservation) -> dict[CounterKey, int | None]:
    """Map each counter the reservation touches to its limit (``None`` = counted but not limited)."""
    mapped: dict[CounterKey, int | None] = {}
    for key in reservation.held_amounts():
        if key.scope == TENANT_SCOPE:
            mapped[key] = limits.tenant.get(key.limit_name)
        else:
            mapped[key] = limits.key.get(key.limit_name)
    return mapped


def find_violations(
    hold_amounts: Mapping[CounterKey, int],
    limits: Mapping[CounterKey, int | None],
    states: Mapping[CounterKey, CounterState],
) -> list[Violation]:
    """Return every limited counter where used + reserved + this hold would pass the limit."""
    violations = []
    for key in sorted(hold_amounts):
        limit = limits.get(key)
        if limit is None:
            continue
        state = states[key]
        if state.used + state.reserved + hold_amounts[key] > limit:
            spec = LIMIT_SPECS[key.limit_name]
            violations.append(
                Violation(
                    scope=key.scope,
                    limit_name=key.limit_name,
                    limit=limit,
                    used=state.used,
                    reserved=state.reserved,
                    amount=hold_amounts[key],
                    window_start=key.window_start,
                    window_end=window_end(spec.window, key.window_start),
                )
            )
    return violations


def seconds_until_fits(violation: Violation, open_holds: Iterable[tuple[datetime, int]], now: datetime) -> int | None:
    """Seconds until enough of the limit is free, or None if the request can never fit.

    ``open_holds`` are the open reservations in the violated counter as
    ``(expires_at, amount)``, earliest first. Their expiry frees room before
    the window ends; settled usage is freed only by the window's end. Holds
    that are settled early free room sooner, so the result is an upper bound.
    """
    if not violation.can_ever_fit:
        return None
    freed = 0
    for expires_at, amount in open_holds:
        if expires_at >= violation.window_end:
            break
        freed += amount
        if freed >= violation.excess:
            return seconds_until(max(expires_at, now), now)
    return seconds_until(violation.window_end, now)
