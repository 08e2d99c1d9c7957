"""Entry points for the worker processes of the quota concurrency and crash tests.

They run in processes started with the ``spawn`` method, so each opens its
own connection pool to the test database.
"""

from __future__ import annotations

import time
from datetime import datetime

from quota_helpers import make_usage

from sluicegate.db.pool import Database
from sluicegate.errors import InsufficientQuotaError, RateLimitError
from sluicegate.quotas import FakeClock, QuotaConfig, QuotaService
from sluicegate.tenants.models import Principal


def _service(database_url: str, now: datetime, ttl_s: float = 60.0) -> tuple[Database, QuotaService]:
    database = Database(database_url, max_size=1)
    return database, QuotaService(lambda: database, QuotaConfig(reservation_ttl_s=ttl_s), FakeClock(now))


def reserve_and_settle(
    database_url: str,
    principal: Principal,
    now: datetime,
    worker: int,
    count: int,
    prompt_tokens: int,
    max_tokens: int,
    micro_usd: int,
    start_barrier,
    results,
) -> None:
    """Send ``count`` reserve+settle requests that each use exactly their worst case; report the outcome."""
    database, quotas = _service(database_url, now)
    admitted = rejected = 0
    errors: list[str] = []
    start_barrier.wait(timeout=60)
    for index in range(count):
        request_id = f"{principal.tenant_id}-w{worker}-{index}"
        try:
            reservation = quotas.reserve(principal, request_id, prompt_tokens=prompt_tokens, max_tokens=max_tokens, micro_usd=micro_usd)
        except (RateLimitError, InsufficientQuotaError):
            rejected += 1
            continue
        except Exception as exc:  # reported to the test, which fails on any
            errors.append(f"reserve {request_id}: {exc!r}")
            continue
        try:
            quotas.settle(reservation, make_usage(prompt_tokens, max_tokens, micro_usd))
            admitted += 1
        except Exception as exc:
            errors.append(f"settle {request_id}: {exc!r}")
    database.close()
    results.put((worker, admitted, rejected, errors))


def reserve_then_hang(database_url: str, principal: Principal, now: datetime, ttl_s: float, request_id: str, micro_usd: int, reserved) -> None:
    """Reserve, report it, and wait to be killed before settling."""
    _, quotas = _service(database_url, now, ttl_s)
    quotas.reserve(principal, request_id, prompt_tokens=1, max_tokens=1, micro_usd=micro_usd)
    reserved.set()
    time.sleep(600)
