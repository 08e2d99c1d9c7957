"""The circuit breaker state machine on a settable clock."""

from __future__ import annotations

from routing_support import SettableClock

from sluicegate.backends.breaker import BreakerRegistry, BreakerSettings, CircuitBreaker


def test_opens_after_consecutive_failures_only():
    breaker = CircuitBreaker("gpu", BreakerSettings(failure_threshold=3, cooldown_s=10), SettableClock())

    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed"

    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow_request()


def test_half_open_allows_one_trial_then_closes():
    clock = SettableClock()
    breaker = CircuitBreaker("gpu", BreakerSettings(failure_threshold=1, cooldown_s=10), clock)
    breaker.record_failure()

    clock.advance(9.9)
    assert not breaker.allow_request()
    assert breaker.seconds_until_retry() == 0.1 or abs(breaker.seconds_until_retry() - 0.1) < 1e-9

    clock.advance(0.1)
    assert breaker.state == "half_open"
    assert breaker.allow_request()
    assert not breaker.allow_request(), "a second trial ran while the first was pending"

    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow_request()


def test_failed_trial_reopens_for_full_cooldown():
    clock = SettableClock()
    breaker = CircuitBreaker("gpu", BreakerSettings(failure_threshold=2, cooldown_s=5), clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.advance(5)
    assert breaker.allow_request()

    breaker.record_failure()

    assert breaker.state == "open"
    clock.advance(4.9)
    assert not breaker.allow_request()
    clock.advance(0.1)
    assert breaker.allow_request()


def test_registry_reuses_breaker_per_backend():
    registry = BreakerRegistry({"gpu": BreakerSettings(failure_threshold=7)}, clock=SettableClock())

    assert registry.get("gpu") is registry.get("gpu")
    assert registry.get("gpu").settings.failure_threshold == 7
    assert registry.get("other").settings == BreakerSettings()
