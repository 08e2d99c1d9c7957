"""A request id is charged at most once, however often it is settled."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from quota_helpers import BASE_TIME, ledger_total, make_usage, new_request_id, read_counter

from sluicegate.quotas import Reservation
from sluicegate.quotas.errors import RequestIdReusedError
from sluicegate.quotas.limits import Window, current_windows, window_start

DAY = window_start(Window.DAY, BASE_TIME)


def test_second_settle_returns_first_charge(services, quotas, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=10, max_tokens=10, micro_usd=500)

    first = quotas.settle(reservation, make_usage(prompt_tokens=10, completion_tokens=4, cost_micro_usd=120))
    second = quotas.settle(reservation, make_usage(prompt_tokens=10, completion_tokens=9, cost_micro_usd=400))

    assert first.newly_recorded is True
    assert second.newly_recorded is False
    assert (second.cost_micro_usd, second.completion_tokens) == (120, 4)
    assert ledger_total(services, principal.tenant_id) == (1, 14, 120)
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", DAY) == (120, 0)
    assert read_counter(services, principal.tenant_id, "tokens_per_day", DAY) == (14, 0)


def test_concurrent_settles_charge_once(services, quotas, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=10, max_tokens=10, micro_usd=500)

    with ThreadPoolExecutor(max_workers=4) as pool:
        charges = list(pool.map(lambda _: quotas.settle(reservation, make_usage(cost_micro_usd=77)), range(8)))

    assert sum(charge.newly_recorded for charge in charges) == 1
    assert {charge.cost_micro_usd for charge in charges} == {77}
    assert ledger_total(services, principal.tenant_id)[0] == 1
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", DAY) == (77, 0)


def test_settle_without_reservation_charges_once(services, quotas, principal):
    # What the pipeline settles after the quota check failed open: no stored reservation.
    unenforced = Reservation(
        request_id=new_request_id("open"),
        tenant_id=principal.tenant_id,
        key_id=principal.key_id,
        tokens=20,
        micro_usd=500,
        windows=current_windows(BASE_TIME),
        created_at=BASE_TIME,
        expires_at=BASE_TIME,
        enforced=False,
    )

    quotas.settle(unenforced, make_usage(cost_micro_usd=60))
    again = quotas.settle(unenforced, make_usage(cost_micro_usd=60))

    assert again.newly_recorded is False
    assert ledger_total(services, principal.tenant_id) == (1, 15, 60)
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", DAY) == (60, 0)


def test_settle_after_release_is_still_charged_once(services, quotas, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=10, max_tokens=10, micro_usd=500)
    quotas.release(reservation)

    quotas.settle(reservation, make_usage(cost_micro_usd=50))
    quotas.settle(reservation, make_usage(cost_micro_usd=50))

    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", DAY) == (50, 0)
    assert ledger_total(services, principal.tenant_id) == (1, 15, 50)


def test_settled_request_id_cannot_reserve_again(services, quotas, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=10, max_tokens=10, micro_usd=500)
    quotas.settle(reservation, make_usage(cost_micro_usd=50))

    assert quotas.reservations.status(reservation.request_id) == "settled"
    with pytest.raises(RequestIdReusedError) as caught:
        quotas.reserve(principal, reservation.request_id, prompt_tokens=10, max_tokens=10, micro_usd=500)
    assert "status settled" in caught.value.message
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", DAY) == (50, 0)
