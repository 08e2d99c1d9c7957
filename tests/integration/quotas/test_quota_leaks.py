"""Holds that are never settled or released expire, and the sweeper gives them back."""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import signal
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from quota_helpers import BASE_TIME, RESERVATION_TTL_S, new_request_id, read_counter, reservation_status
from quota_workers import reserve_then_hang

from sglocal.runtime import LocalLambdaContext
from sluicegate.errors import InsufficientQuotaError
from sluicegate.quotas import FakeClock, QuotaConfig, QuotaService, Sweeper
from sluicegate.quotas.limits import Window, window_start

ROOT = Path(__file__).resolve().parents[3]
BUDGET = 5_000


def count_counter_rows(services, tenant_id: str, start: datetime) -> int:
    with services.db.connection() as conn:
        return conn.execute(
            "SELECT count(*) FROM quota_counters WHERE tenant_id = %s AND window_start = %s", (tenant_id, start)
        ).fetchone()[0]


def load_sweeper_function(services, monkeypatch):
    spec = importlib.util.spec_from_file_location("sweeper_function_app", ROOT / "functions" / "sweeper" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "get_services", lambda: services)
    return module


def test_killed_process_hold_is_released_by_sweeper_function(services, principal, monkeypatch):
    services.quotas.limits.set_overrides(principal.tenant_id, values={"micro_usd_per_day": BUDGET})
    # The worker reserves at a time whose 60 s expiry is already past on the real clock,
    # which the sweeper function uses.
    reserved_at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10)
    request_id = new_request_id("killed")
    context = multiprocessing.get_context("spawn")
    reserved = context.Event()
    worker = context.Process(
        target=reserve_then_hang, args=(services.db.url, principal, reserved_at, 60.0, request_id, BUDGET, reserved)
    )
    worker.start()
    assert reserved.wait(timeout=60), "the worker process did not reserve in time"
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=30)
    assert worker.exitcode == -signal.SIGKILL

    day = window_start(Window.DAY, reserved_at)
    assert reservation_status(services, request_id) == "reserved"
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", day) == (0, BUDGET)
    before_expiry = QuotaService(lambda: services.db, QuotaConfig(), FakeClock(reserved_at + timedelta(seconds=1)))
    with pytest.raises(InsufficientQuotaError) as caught:
        before_expiry.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)
    assert caught.value.headers["retry-after"] == "59"

    function = load_sweeper_function(services, monkeypatch)
    result = function.handler({}, LocalLambdaContext("SweeperFunction", 256, 60, "sweep-1"))

    assert result["released"] >= 1
    assert reservation_status(services, request_id) == "expired"
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", day) == (0, 0)
    at_reserve_time = QuotaService(lambda: services.db, QuotaConfig(), FakeClock(reserved_at))
    at_reserve_time.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=BUDGET)


def test_sweeper_waits_for_expiry(services, quotas, clock, principal):
    hold = quotas.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=10)
    sweeper = Sweeper(quotas)

    clock.advance(RESERVATION_TTL_S - 1)
    sweeper.run()
    assert reservation_status(services, hold.request_id) == "reserved"

    clock.advance(1)
    assert sweeper.run().released >= 1
    assert reservation_status(services, hold.request_id) == "expired"
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", window_start(Window.DAY, BASE_TIME)) == (0, 0)


def test_sweeper_deletes_rows_past_retention(services, quotas, clock, principal):
    hold = quotas.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=10)
    quotas.release(hold)
    minute = window_start(Window.MINUTE, BASE_TIME)

    clock.advance(3 * 3600)
    Sweeper(quotas).run()
    assert reservation_status(services, hold.request_id) == "released"
    assert count_counter_rows(services, principal.tenant_id, minute) == 0
    assert count_counter_rows(services, principal.tenant_id, window_start(Window.DAY, BASE_TIME)) == 2

    clock.advance(3 * 86400)
    Sweeper(quotas).run()
    assert reservation_status(services, hold.request_id) is None
