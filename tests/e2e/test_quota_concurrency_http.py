"""Quota limits hold under concurrent HTTP load spread over two gateway processes.

Each ``sglocal.serve`` process represents one warm Lambda container, which runs
one chat completion at a time and queues the rest, so with two processes at
most two reservations are held at once. Both processes share the test
database, which is the only place where their admissions meet.
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from datetime import datetime, timezone

import pytest
from e2e.conftest import start_gateway, stop_gateway
from quota_load import post_chat, send_chat_requests

from sluicegate.pricing.table import PriceTable
from sluicegate.quotas.costing import worst_case_cost

pytestmark = [pytest.mark.model, pytest.mark.slow]

PROCESSES = 4
REQUESTS_PER_PROCESS = 16  # 64 requests in all
MAX_TOKENS = 4
# K: the number of worst-case reservations that fit in the limit at once.
ADMITTED_BY_LIMIT = 6
# Passed to both gateways, so the worst case computed here is the one they reserve.
LOCAL_TOKENS_PER_SECOND = 10.0
LAMBDA_MEMORY_MB = 3008
# The per-minute phase starts only with at least this many seconds left in the minute.
MIN_SECONDS_LEFT_IN_MINUTE = 20


@pytest.fixture(scope="module")
def gateways(tmp_path_factory):
    extra_env = {
        "SLUICEGATE_QUOTA_LOCAL_TOKENS_PER_SECOND": str(LOCAL_TOKENS_PER_SECOND),
        "SLUICEGATE_LAMBDA_MEMORY_MB": str(LAMBDA_MEMORY_MB),
    }
    started = []
    try:
        for name in ("container-a", "container-b"):
            started.append(start_gateway(tmp_path_factory.mktemp(name), extra_env))
        yield started
    finally:
        for gateway in started:
            stop_gateway(gateway)


def new_tenant_key(services) -> tuple[str, str]:
    """Create a standard-tier tenant with one API key and return the tenant id and the key."""
    tenant_id = f"t-{uuid.uuid4().hex[:12]}"
    services.tenants.create_tenant(tenant_id, f"HTTP quota load {tenant_id}")
    return tenant_id, services.tenants.create_key(tenant_id, name="quota-load")[1]


def ledger_rows(services, tenant_id: str) -> list[tuple[str, int, int, int]]:
    """Return ``(backend, prompt_tokens, completion_tokens, cost_micro_usd)`` of each usage ledger row of a tenant."""
    with services.db.connection() as conn:
        return conn.execute(
            "SELECT backend, prompt_tokens, completion_tokens, cost_micro_usd FROM usage_ledger WHERE tenant_id = %s",
            (tenant_id,),
        ).fetchall()


def calibrate(services, base_url: str) -> tuple[str, int, int]:
    """Send one request on a tenant of its own; return the backend that served it, its held tokens and its cost.

    The held tokens (prompt tokens plus max_tokens) are read from the
    ``x-ratelimit-*-tokens`` headers, which count the request's own hold.
    """
    tenant_id, api_key = new_tenant_key(services)
    status, code, headers = post_chat(base_url, api_key, MAX_TOKENS)
    assert (status, code) == (200, None)
    held_tokens = int(headers["x-ratelimit-limit-tokens"]) - int(headers["x-ratelimit-remaining-tokens"])
    rows = ledger_rows(services, tenant_id)
    assert len(rows) == 1
    backend, prompt_tokens, _, cost_micro_usd = rows[0]
    assert held_tokens == prompt_tokens + MAX_TOKENS
    return backend, held_tokens, cost_micro_usd


def run_load(base_urls: list[str], api_key: str) -> list[tuple[int, str | None]]:
    """Send all requests from ``PROCESSES`` processes at once; return ``(status, error code)`` of each."""
    context = multiprocessing.get_context("spawn")
    arguments = [(base_urls, api_key, worker, REQUESTS_PER_PROCESS, MAX_TOKENS) for worker in range(PROCESSES)]
    with context.Pool(PROCESSES) as pool:
        per_worker = pool.starmap_async(send_chat_requests, arguments).get(timeout=600)
    return [outcome for outcomes in per_worker for outcome in outcomes]


def wait_for_minute_room() -> None:
    """Sleep into the next UTC minute unless ``MIN_SECONDS_LEFT_IN_MINUTE`` remain in this one."""
    now = datetime.now(timezone.utc)
    seconds_left = 60 - now.second - now.microsecond / 1e6
    if seconds_left < MIN_SECONDS_LEFT_IN_MINUTE:
        time.sleep(seconds_left + 0.5)


def test_usd_budget_across_two_gateways(services, gateways):
    """A USD/day budget is never overspent by concurrent requests on two gateways.

    With w the worst-case cost of one request, the budget is K*w + (w - 1),
    so K worst-case reservations fit at once and K + 1 do not. A request is
    admitted only if settled costs plus held reservations, its own included,
    stay within the budget. Settled requests usually cost less than w, so
    more than K may be admitted in the end. The properties checked are:
    - every admitted request costs at most w, so recorded spend <= budget;
    - admitted <= budget // (cheapest recorded cost), which follows from it;
    - a rejection means settled plus held costs were >= K*w at that moment,
      and each admitted request adds at most w, so admitted >= K;
    - the ledger has exactly one row per 200 response.
    """
    base_urls = [gateway.base_url for gateway in gateways]
    backend, held_tokens, unloaded_cost = calibrate(services, base_urls[0])
    prompt_tokens = held_tokens - MAX_TOKENS
    worst_case = worst_case_cost(
        PriceTable(), backend, prompt_tokens, MAX_TOKENS,
        local_tokens_per_second=LOCAL_TOKENS_PER_SECOND, lambda_memory_mb=LAMBDA_MEMORY_MB,
    ).micro_usd
    budget = ADMITTED_BY_LIMIT * worst_case + (worst_case - 1)
    tenant_id, api_key = new_tenant_key(services)
    services.quotas.limits.set_overrides(tenant_id, values={"micro_usd_per_day": budget})

    started = time.monotonic()
    outcomes = run_load(base_urls, api_key)
    elapsed_s = time.monotonic() - started

    statuses = [status for status, _ in outcomes]
    admitted = statuses.count(200)
    rows = ledger_rows(services, tenant_id)
    costs = [cost for _, _, _, cost in rows]
    print(
        f"\nUSD/day: K={ADMITTED_BY_LIMIT} worst_case={worst_case} unloaded_cost={unloaded_cost} micro-USD budget={budget} admitted={admitted}"
        f" rejected={statuses.count(429)} spent={sum(costs)} costs={sorted(costs)} load={elapsed_s:.1f}s"
    )
    assert len(outcomes) == PROCESSES * REQUESTS_PER_PROCESS
    assert set(statuses) <= {200, 429}, f"unexpected outcomes: {sorted(set(outcomes))}"
    assert {code for status, code in outcomes if status == 429} <= {"insufficient_quota"}
    assert admitted >= 1
    assert len(rows) == admitted
    # A request that ran slower than the worst case is billed at the held amount.
    assert max(costs) <= worst_case, f"a request cost more than its reservation of {worst_case} micro-USD: {sorted(costs)}"
    assert sum(costs) <= budget
    assert admitted <= budget // min(costs)
    if admitted < len(outcomes):
        assert admitted >= ADMITTED_BY_LIMIT


def test_tokens_per_minute_across_two_gateways(services, gateways):
    """A tokens/minute limit admits exactly K requests from concurrent load on two gateways.

    The limit is K*h, where h = prompt tokens + max_tokens is the hold of one
    request. Every completion uses all of max_tokens (the prompt requests a
    long answer), so settled usage equals the hold. A request is admitted only
    if used plus held tokens, its own included, stay within the limit, so
    exactly K of the 64 requests are admitted and recorded tokens <= limit.
    The phase runs inside one UTC minute, so all requests count in one window.
    """
    base_urls = [gateway.base_url for gateway in gateways]
    _, held_tokens, _ = calibrate(services, base_urls[1])
    limit = ADMITTED_BY_LIMIT * held_tokens
    tenant_id, api_key = new_tenant_key(services)
    services.quotas.limits.set_overrides(tenant_id, values={"micro_usd_per_day": None, "tokens_per_minute": limit})

    wait_for_minute_room()
    minute_before = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    started = time.monotonic()
    outcomes = run_load(base_urls, api_key)
    elapsed_s = time.monotonic() - started
    minute_after = datetime.now(timezone.utc).replace(second=0, microsecond=0)

    statuses = [status for status, _ in outcomes]
    admitted = statuses.count(200)
    rows = ledger_rows(services, tenant_id)
    used_tokens = [prompt + completion for _, prompt, completion, _ in rows]
    print(
        f"\ntokens/minute: K={ADMITTED_BY_LIMIT} hold={held_tokens} tokens limit={limit} admitted={admitted}"
        f" rejected={statuses.count(429)} used={sum(used_tokens)} load={elapsed_s:.1f}s"
    )
    assert minute_after == minute_before, "the load crossed a minute boundary, so two windows counted it"
    assert len(outcomes) == PROCESSES * REQUESTS_PER_PROCESS
    assert set(statuses) <= {200, 429}, f"unexpected outcomes: {sorted(set(outcomes))}"
    assert {code for status, code in outcomes if status == 429} <= {"rate_limit_exceeded"}
    assert len(rows) == admitted
    assert sum(used_tokens) <= limit
    assert used_tokens == [held_tokens] * admitted, "a completion stopped before max_tokens, so more than K may fit"
    assert admitted == ADMITTED_BY_LIMIT
