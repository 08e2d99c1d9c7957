"""Parallel reservations from several OS processes never overspend a limit."""

from __future__ import annotations

import multiprocessing

from quota_helpers import BASE_TIME, ledger_total, read_counter
from quota_workers import reserve_and_settle

from sluicegate.quotas.limits import Window, window_start
from sluicegate.tenants.models import Principal

PROCESSES = 4
REQUESTS_PER_PROCESS = 20  # 80 requests in all
ADMITTED_BY_LIMIT = 23  # K: the limit admits exactly this many requests



def run_workers(services, principal: Principal, prompt_tokens: int, max_tokens: int, micro_usd: int) -> tuple[int, int, list[str]]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(
            target=reserve_and_settle,
            args=(services.db.url, principal, BASE_TIME, worker, REQUESTS_PER_PROCESS, prompt_tokens, max_tokens, micro_usd, barrier, results),
        )
        for worker in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0, f"worker process {process.pid} exited with {process.exitcode}"

    admitted = sum(outcome[1] for outcome in outcomes)
    rejected = sum(outcome[2] for outcome in outcomes)
    errors = [error for outcome in outcomes for error in outcome[3]]
    assert admitted + rejected + len(errors) == PROCESSES * REQUESTS_PER_PROCESS
    return admitted, rejected, errors


def test_usd_budget_parallel_admission(services, principal):
    cost = 1_000
    budget = ADMITTED_BY_LIMIT * cost
    services.quotas.limits.set_overrides(principal.tenant_id, values={"micro_usd_per_day": budget})

    admitted, _, errors = run_workers(services, principal, prompt_tokens=10, max_tokens=20, micro_usd=cost)

    assert errors == []
    assert admitted <= ADMITTED_BY_LIMIT
    # Every request costs exactly its worst case, so the budget is used up exactly.
    assert admitted == ADMITTED_BY_LIMIT
    rows, _, spent = ledger_total(services, principal.tenant_id)
    assert rows == admitted
    assert spent <= budget
    day = window_start(Window.DAY, BASE_TIME)
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", day) == (spent, 0)


def test_tokens_per_minute_parallel_admission(services, principal):
    tokens = 10 + 90
    limit = ADMITTED_BY_LIMIT * tokens
    services.quotas.limits.set_overrides(principal.tenant_id, values={"tokens_per_minute": limit})

    admitted, _, errors = run_workers(services, principal, prompt_tokens=10, max_tokens=90, micro_usd=1)

    assert errors == []
    assert admitted <= ADMITTED_BY_LIMIT
    assert admitted == ADMITTED_BY_LIMIT
    rows, used_tokens, _ = ledger_total(services, principal.tenant_id)
    assert rows == admitted
    assert used_tokens <= limit
    minute = window_start(Window.MINUTE, BASE_TIME)
    assert read_counter(services, principal.tenant_id, "tokens_per_minute", minute) == (used_tokens, 0)
