"""Reserve, settle and release against the embedded PostgreSQL, with a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from quota_helpers import BASE_TIME, RESERVATION_TTL_S, make_usage, new_request_id, read_counter, reservation_status

from sluicegate.errors import InsufficientQuotaError, RateLimitError
from sluicegate.quotas.errors import QuotaNotConfiguredError, RequestIdReusedError
from sluicegate.quotas.limits import LIMIT_NAMES, Window, window_start
from sluicegate.tenants.models import Principal

MINUTE = window_start(Window.MINUTE, BASE_TIME)
DAY = window_start(Window.DAY, BASE_TIME)
MONTH = window_start(Window.MONTH, BASE_TIME)


def test_reserve_holds_worst_case_in_every_window(services, quotas, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=40, max_tokens=60, micro_usd=700)

    assert reservation.tokens == 100
    assert reservation.expires_at == BASE_TIME + timedelta(seconds=RESERVATION_TTL_S)
    assert read_counter(services, principal.tenant_id, "requests_per_minute", MINUTE) == (0, 1)
    assert read_counter(services, principal.tenant_id, "tokens_per_minute", MINUTE) == (0, 100)
    assert read_counter(services, principal.tenant_id, "tokens_per_day", DAY) == (0, 100)
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", DAY) == (0, 700)
    assert read_counter(services, principal.tenant_id, "micro_usd_per_month", MONTH) == (0, 700)


def test_reserve_returns_openai_rate_limit_headers(quotas, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=40, max_tokens=60, micro_usd=700)

    # Standard tier: 300 requests and 200,000 tokens per minute; the window ends in 30 s.
    assert reservation.headers == {
        "x-ratelimit-limit-requests": "300",
        "x-ratelimit-remaining-requests": "299",
        "x-ratelimit-reset-requests": "30s",
        "x-ratelimit-limit-tokens": "200000",
        "x-ratelimit-remaining-tokens": "199900",
        "x-ratelimit-reset-tokens": "30s",
    }


def test_settle_replaces_hold_with_usage(services, quotas, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=40, max_tokens=60, micro_usd=700)
    charge = quotas.settle(reservation, make_usage(prompt_tokens=40, completion_tokens=7, cost_micro_usd=90))

    assert charge.newly_recorded
    assert charge.cost_micro_usd == 90
    assert reservation_status(services, reservation.request_id) is None  # settling deletes the reservation
    assert read_counter(services, principal.tenant_id, "requests_per_minute", MINUTE) == (1, 0)
    assert read_counter(services, principal.tenant_id, "tokens_per_minute", MINUTE) == (47, 0)
    assert read_counter(services, principal.tenant_id, "tokens_per_day", DAY) == (47, 0)
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", DAY) == (90, 0)
    assert read_counter(services, principal.tenant_id, "micro_usd_per_month", MONTH) == (90, 0)


def test_settle_writes_ledger_row(services, quotas, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=4, max_tokens=6, micro_usd=70)
    quotas.settle(reservation, make_usage(prompt_tokens=4, completion_tokens=2, cost_micro_usd=33))

    with services.db.connection() as conn:
        row = conn.execute(
            "SELECT tenant_id, key_id, model, backend, route, prompt_tokens, completion_tokens, cost_micro_usd,"
            " cost_basis, latency_ms, prompt_template_version, created_at FROM usage_ledger WHERE request_id = %s",
            (reservation.request_id,),
        ).fetchone()
    assert row == (
        principal.tenant_id, principal.key_id, "test-model", "local", None, 4, 2, 33, "lambda_gb_s", 12, None, BASE_TIME,
    )


def test_release_returns_hold_once(services, quotas, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=40, max_tokens=60, micro_usd=700)

    assert quotas.release(reservation) is True
    assert quotas.release(reservation) is False
    assert reservation_status(services, reservation.request_id) == "released"
    for name, start in (("tokens_per_minute", MINUTE), ("micro_usd_per_day", DAY), ("requests_per_minute", MINUTE)):
        assert read_counter(services, principal.tenant_id, name, start) == (0, 0), name


def test_reused_request_id_is_rejected(quotas, principal):
    request_id = new_request_id()
    quotas.reserve(principal, request_id, prompt_tokens=1, max_tokens=1, micro_usd=1)

    with pytest.raises(RequestIdReusedError) as caught:
        quotas.reserve(principal, request_id, prompt_tokens=1, max_tokens=1, micro_usd=1)
    assert caught.value.status == 409
    assert "status reserved" in caught.value.message


def test_usd_budget_rejects_with_insufficient_quota(services, quotas, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"micro_usd_per_day": 1000})
    quotas.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=600)

    with pytest.raises(InsufficientQuotaError) as caught:
        quotas.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=600)
    error = caught.value
    assert (error.status, error.code, error.error_type) == (429, "insufficient_quota", "insufficient_quota")
    assert "daily spending limit" in error.message
    assert "$0.001000" in error.message
    assert error.headers["x-ratelimit-remaining-requests"] == "299"
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", DAY) == (0, 600)


def test_tokens_per_minute_rejects_with_rate_limit(quotas, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"tokens_per_minute": 150})
    quotas.reserve(principal, new_request_id(), prompt_tokens=50, max_tokens=50, micro_usd=1)

    with pytest.raises(RateLimitError) as caught:
        quotas.reserve(principal, new_request_id(), prompt_tokens=50, max_tokens=50, micro_usd=1)
    error = caught.value
    assert (error.status, error.code, error.error_type) == (429, "rate_limit_exceeded", "rate_limit_error")
    assert error.headers["x-ratelimit-limit-tokens"] == "150"
    assert error.headers["x-ratelimit-remaining-tokens"] == "50"
    assert "tokens-per-minute limit" in error.message


def test_request_larger_than_limit_never_fits(quotas, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"tokens_per_minute": 50})

    with pytest.raises(RateLimitError) as caught:
        quotas.reserve(principal, new_request_id(), prompt_tokens=20, max_tokens=40, micro_usd=1)
    assert "retry-after" not in caught.value.headers
    assert "can never fit (20 prompt tokens + max_tokens 40)" in caught.value.message


def test_key_limit_binds_only_that_key(services, quotas, principal):
    other_record, _ = services.tenants.create_key(principal.tenant_id, name="other")
    other = Principal(principal.tenant_id, other_record.key_id, "standard")
    quotas.limits.set_overrides(principal.tenant_id, principal.key_id, {"requests_per_minute": 1})

    first = quotas.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)
    with pytest.raises(RateLimitError) as caught:
        quotas.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)
    quotas.reserve(other, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)

    assert first.headers["x-ratelimit-limit-requests"] == "1"
    assert first.headers["x-ratelimit-remaining-requests"] == "0"
    assert f"API key {principal.key_id!r}" in caught.value.message
    assert read_counter(services, principal.tenant_id, "requests_per_minute", MINUTE, scope=principal.key_id) == (0, 1)
    assert read_counter(services, principal.tenant_id, "requests_per_minute", MINUTE) == (0, 2)


def test_tenant_limit_is_shared_by_keys(services, quotas, principal):
    other_record, _ = services.tenants.create_key(principal.tenant_id, name="other")
    other = Principal(principal.tenant_id, other_record.key_id, "standard")
    quotas.limits.set_overrides(principal.tenant_id, values={"requests_per_minute": 2})

    quotas.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)
    quotas.reserve(other, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)
    with pytest.raises(RateLimitError) as caught:
        quotas.reserve(other, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)
    assert f"tenant {principal.tenant_id!r}" in caught.value.message


def test_settle_after_expiry_charges_usage_once(services, quotas, clock, principal):
    reservation = quotas.reserve(principal, new_request_id(), prompt_tokens=5, max_tokens=5, micro_usd=50)
    clock.advance(RESERVATION_TTL_S + 1)
    assert quotas.release_expired(principal.tenant_id) == 1

    charge = quotas.settle(reservation, make_usage(prompt_tokens=5, completion_tokens=3, cost_micro_usd=20))

    assert charge.newly_recorded
    assert reservation_status(services, reservation.request_id) is None
    assert read_counter(services, principal.tenant_id, "tokens_per_day", DAY) == (8, 0)
    assert read_counter(services, principal.tenant_id, "micro_usd_per_day", DAY) == (20, 0)


def test_unknown_tier_rejects_requests(services, quotas, tenant_id):
    services.tenants.create_tenant(tenant_id + "-x", "unknown tier", tier="no-such-tier")
    caller = Principal(tenant_id + "-x", "", "no-such-tier")

    with pytest.raises(QuotaNotConfiguredError) as caught:
        quotas.reserve(caller, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)
    assert "set-tier-limits no-such-tier" in caught.value.message


def test_tier_defaults_and_overrides_resolve(services, quotas, tenant_id):
    services.tenants.create_tenant(tenant_id + "-f", "free tier", tier="free")
    free = tenant_id + "-f"

    assert quotas.limits.effective_limits(free, "").tenant["requests_per_minute"] == 20
    quotas.limits.set_overrides(free, values={"requests_per_minute": 5, "tokens_per_day": None})
    resolved = quotas.limits.effective_limits(free, "").tenant
    assert (resolved["requests_per_minute"], resolved["tokens_per_day"]) == (5, None)
    quotas.limits.set_overrides(free, clear=["requests_per_minute", "tokens_per_day"])
    resolved = quotas.limits.effective_limits(free, "").tenant
    assert (resolved["requests_per_minute"], resolved["tokens_per_day"]) == (20, 200000)
    assert set(resolved) == set(LIMIT_NAMES)
