"""The quota service: reserve before dispatch, settle or release after.

Every counter lives in Postgres; the service keeps no state between calls
except its configuration and clock.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Callable

from ..db.errors import DatabaseUnavailableError
from ..db.pool import Database
from ..tenants.models import Principal
from .admission import find_violations, limits_by_counter, seconds_until_fits
from .clock import Clock, SystemClock
from .config import QuotaConfig
from .errors import QuotaUnavailableError
from .headers import rate_limit_headers
from .limits import current_windows
from .limits_repository import LimitRepository
from .models import Charge, CounterKey, Reservation, Usage, Violation
from .queries import QuotaQueries
from .rejection import quota_exceeded_error
from .repository import ReservationRepository
from .usage_report import build_usage_report

logger = logging.getLogger(__name__)

# Expired holds of a tenant released when one of its reservations finds them; the sweeper releases the rest.
EXPIRED_RELEASED_PER_RESERVE = 20


class QuotaService:
    def __init__(self, database: Callable[[], Database], config: QuotaConfig | None = None, clock: Clock | None = None) -> None:
        self.database = database
        self.config = config or QuotaConfig()
        self.clock = clock or SystemClock()
        self.limits = LimitRepository(database, cache_ttl_s=self.config.limits_cache_s)
        self.reservations = ReservationRepository(database)
        self.queries = QuotaQueries(database)

    def reserve(self, principal: Principal, request_id: str, *, prompt_tokens: int, max_tokens: int, micro_usd: int) -> Reservation:
        """Hold the worst case of a request against every window that applies, or raise a 429.

        Raises ``QuotaUnavailableError`` (503) when the database is unreachable,
        unless the service is configured to fail open.
        """
        try:
            return self._reserve(principal, request_id, prompt_tokens, max_tokens, micro_usd)
        except DatabaseUnavailableError as exc:
            if not self.config.fail_open:
                raise QuotaUnavailableError(
                    "the quota check could not reach the database, so the request was not run; retry later"
                ) from exc
            logger.error(
                "quota NOT enforced for request %s of tenant %s key %s: the database is unreachable and "
                "SLUICEGATE_QUOTA_FAIL_OPEN=true lets the request through (%s)",
                request_id, principal.tenant_id, principal.key_id, exc.message,
            )
            now = self.clock.now()
            return Reservation(
                request_id=request_id, tenant_id=principal.tenant_id, key_id=principal.key_id,
                tokens=prompt_tokens + max_tokens, micro_usd=micro_usd, windows=current_windows(now),
                created_at=now, expires_at=now, enforced=False,
            )

    def _reserve(self, principal: Principal, request_id: str, prompt_tokens: int, max_tokens: int, micro_usd: int) -> Reservation:
        now = self.clock.now()
        limits = self.limits.cached_effective_limits(principal.tenant_id, principal.key_id)
        reservation = Reservation(
            request_id=request_id,
            tenant_id=principal.tenant_id,
            key_id=principal.key_id,
            tokens=prompt_tokens + max_tokens,
            micro_usd=micro_usd,
            windows=current_windows(now),
            created_at=now,
            expires_at=now + timedelta(seconds=self.config.reservation_ttl_s),
            key_limits=tuple(sorted(limits.key)),
        )
        limit_map = limits_by_counter(limits, reservation)
        result = self.reservations.reserve(reservation, limit_map)
        if result.expired_holds:
            # Release the tenant's expired holds now rather than at the next sweep, and
            # try once more if they were what blocked this request.
            released = self.release_expired(principal.tenant_id)
            if released and not result.admitted:
                result = self.reservations.reserve(reservation, limit_map)
        if result.admitted:
            headers = rate_limit_headers(limit_map, result.states, now, added=reservation.held_amounts())
            return replace(reservation, headers=headers)

        violations = find_violations(reservation.held_amounts(), limit_map, result.states)
        if not violations:
            raise RuntimeError(f"quota_reserve rejected {request_id!r}, but no limit is exceeded in the counters it returned")
        violations, retry_after = self._order_by_wait(principal.tenant_id, violations)
        summary = f"{prompt_tokens} prompt tokens + max_tokens {max_tokens}"
        headers = rate_limit_headers(limit_map, result.states, now)
        raise quota_exceeded_error(violations, retry_after, principal.tenant_id, summary, headers)

    def _order_by_wait(self, tenant_id: str, violations: list[Violation]) -> tuple[list[Violation], int | None]:
        """Sort violations so that the one that clears last comes first; return them and that wait.

        The wait is None when some violation can never clear, and that violation comes first.
        """
        now = self.clock.now()
        waits: list[tuple[float, Violation, int | None]] = []
        for violation in violations:
            key = CounterKey(violation.scope, violation.limit_name, violation.window_start)
            wait = seconds_until_fits(violation, self.queries.open_holds(tenant_id, key), now)
            waits.append((float("inf") if wait is None else wait, violation, wait))
        waits.sort(key=lambda entry: entry[0], reverse=True)
        return [violation for _, violation, _ in waits], waits[0][2]

    def settle(self, reservation: Reservation, usage: Usage) -> Charge:
        """Replace the hold with real usage and write the ledger row; repeated calls return the first charge."""
        return self.reservations.settle(reservation, usage, self.clock.now())

    def release(self, reservation: Reservation) -> bool:
        """Give the hold back after a failure; returns False if it was already settled, released or expired."""
        if not reservation.enforced:
            return False
        return self.reservations.close(reservation.request_id, self.clock.now(), expired_only=False)

    def release_expired(self, tenant_id: str | None = None, limit: int = EXPIRED_RELEASED_PER_RESERVE) -> int:
        """Release holds past their expiry, of one tenant or of all; returns how many were released."""
        now = self.clock.now()
        released = [
            request_id
            for request_id in self.queries.expired_request_ids(now, limit, tenant_id)
            if self.reservations.close(request_id, now, expired_only=True)
        ]
        if released:
            logger.warning(
                "released %d expired quota reservations that were never settled or released (first: %s)",
                len(released), ", ".join(released[:5]),
            )
        return len(released)

    def usage_report(self, principal: Principal) -> dict:
        now = self.clock.now()
        limits = self.limits.effective_limits(principal.tenant_id, principal.key_id)
        return build_usage_report(principal, limits, now, self.queries)
