"""Window resets and Retry-After values, driven by a fake clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from quota_helpers import BASE_TIME, RESERVATION_TTL_S, make_usage, new_request_id, reservation_status

from sluicegate.errors import InsufficientQuotaError, RateLimitError
from sluicegate.quotas.headers import format_reset
from sluicegate.quotas.limits import Window, window_end, window_start

# BASE_TIME is 2031-05-14 10:20:30 UTC.
SECONDS_TO_MINUTE_END = 30
SECONDS_TO_DAY_END = 13 * 3600 + 39 * 60 + 30


def reserve(quotas, principal, tokens=2, micro_usd=1):
    return quotas.reserve(principal, new_request_id(), prompt_tokens=1, max_tokens=tokens - 1, micro_usd=micro_usd)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (1, "1s"), (59, "59s"), (60, "1m0s"), (90, "1m30s"), (3605, "1h0m5s")]
)
def test_format_reset_matches_openai_style(seconds, text):
    assert format_reset(seconds) == text


@pytest.mark.parametrize(
    ("window", "moment", "start", "end"),
    [
        (Window.MINUTE, datetime(2031, 5, 14, 10, 20, 30), datetime(2031, 5, 14, 10, 20), datetime(2031, 5, 14, 10, 21)),
        (Window.DAY, datetime(2031, 5, 14, 23, 59, 59), datetime(2031, 5, 14), datetime(2031, 5, 15)),
        (Window.MONTH, datetime(2031, 2, 28, 12), datetime(2031, 2, 1), datetime(2031, 3, 1)),
        (Window.MONTH, datetime(2031, 12, 31, 23, 59), datetime(2031, 12, 1), datetime(2032, 1, 1)),
    ],
)
def test_windows_start_on_utc_boundaries(window, moment, start, end):
    utc = timezone.utc
    assert window_start(window, moment.replace(tzinfo=utc)) == start.replace(tzinfo=utc)
    assert window_end(window, start.replace(tzinfo=utc)) == end.replace(tzinfo=utc)


def test_minute_window_resets_at_boundary(quotas, clock, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"requests_per_minute": 2})
    for _ in range(2):
        quotas.settle(reserve(quotas, principal), make_usage())

    with pytest.raises(RateLimitError) as caught:
        reserve(quotas, principal)
    assert caught.value.headers["retry-after"] == str(SECONDS_TO_MINUTE_END)
    assert caught.value.headers["x-ratelimit-reset-requests"] == "30s"
    assert caught.value.headers["x-ratelimit-remaining-requests"] == "0"

    clock.advance(SECONDS_TO_MINUTE_END - 1)
    with pytest.raises(RateLimitError) as caught:
        reserve(quotas, principal)
    assert caught.value.headers["retry-after"] == "1"

    clock.advance(1)
    admitted = reserve(quotas, principal)
    assert admitted.headers["x-ratelimit-remaining-requests"] == "1"
    assert admitted.headers["x-ratelimit-reset-requests"] == "1m0s"


def test_day_budget_resets_at_utc_midnight(quotas, clock, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"tokens_per_day": 10})
    quotas.settle(reserve(quotas, principal, tokens=10), make_usage(prompt_tokens=4, completion_tokens=6))

    with pytest.raises(InsufficientQuotaError) as caught:
        reserve(quotas, principal, tokens=1)
    assert caught.value.headers["retry-after"] == str(SECONDS_TO_DAY_END)

    clock.set(datetime(2031, 5, 15, tzinfo=timezone.utc))
    reserve(quotas, principal, tokens=10)


def test_month_budget_resets_on_first_of_month(quotas, clock, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"micro_usd_per_month": 500})
    quotas.settle(reserve(quotas, principal, micro_usd=500), make_usage(cost_micro_usd=500))

    clock.set(datetime(2031, 5, 31, 23, 59, 59, tzinfo=timezone.utc))
    with pytest.raises(InsufficientQuotaError) as caught:
        reserve(quotas, principal, micro_usd=1)
    assert caught.value.headers["retry-after"] == "1"
    assert "monthly spending limit" in caught.value.message

    clock.set(datetime(2031, 6, 1, tzinfo=timezone.utc))
    reserve(quotas, principal, micro_usd=500)


def test_retry_after_is_expiry_of_blocking_hold(quotas, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"micro_usd_per_day": 1000})
    reserve(quotas, principal, micro_usd=600)

    with pytest.raises(InsufficientQuotaError) as caught:
        reserve(quotas, principal, micro_usd=600)
    assert caught.value.headers["retry-after"] == str(int(RESERVATION_TTL_S))


def test_retry_after_counts_holds_until_enough(quotas, clock, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"micro_usd_per_day": 1000})
    reserve(quotas, principal, micro_usd=300)
    clock.advance(10)
    reserve(quotas, principal, micro_usd=300)
    clock.advance(10)
    reserve(quotas, principal, micro_usd=300)

    # 900 held; 700 more needs the first two holds to expire, the second at 10 + TTL from the start.
    with pytest.raises(InsufficientQuotaError) as caught:
        reserve(quotas, principal, micro_usd=700)
    assert caught.value.headers["retry-after"] == str(int(RESERVATION_TTL_S) - 10)


def test_retry_after_falls_back_to_window_end(quotas, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"micro_usd_per_day": 1000})
    quotas.settle(reserve(quotas, principal, micro_usd=700), make_usage(cost_micro_usd=700))
    reserve(quotas, principal, micro_usd=200)

    with pytest.raises(InsufficientQuotaError) as caught:
        reserve(quotas, principal, micro_usd=400)
    assert caught.value.headers["retry-after"] == str(SECONDS_TO_DAY_END)


def test_rate_and_budget_together_report_budget(quotas, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"requests_per_minute": 1, "tokens_per_day": 5})
    quotas.settle(reserve(quotas, principal, tokens=5), make_usage(prompt_tokens=1, completion_tokens=4))

    with pytest.raises(InsufficientQuotaError) as caught:
        reserve(quotas, principal, tokens=2)
    assert caught.value.headers["retry-after"] == str(SECONDS_TO_DAY_END)
    assert "tokens-per-day limit" in caught.value.message
    assert "requests-per-minute limit" in caught.value.message


def test_expired_hold_released_by_next_reservation(services, quotas, clock, principal):
    quotas.limits.set_overrides(principal.tenant_id, values={"micro_usd_per_day": 1000})
    leaked = reserve(quotas, principal, micro_usd=1000)
    with pytest.raises(InsufficientQuotaError):
        reserve(quotas, principal, micro_usd=1000)

    clock.set(BASE_TIME + timedelta(seconds=RESERVATION_TTL_S))
    reserve(quotas, principal, micro_usd=1000)
    assert reservation_status(services, leaked.request_id) == "expired"
