"""The per-container cache of effective limits: how soon a limit change applies."""

from __future__ import annotations

import uuid

import pytest

from sluicegate.errors import RateLimitError
from sluicegate.quotas.limits_repository import LimitRepository

CACHE_TTL_S = 5.0


class Ticker:
    """A settable monotonic clock for the cache."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_change_by_another_container_applies_after_ttl(services, tenant_id, key_id) -> None:
    ticker = Ticker()
    container = LimitRepository(lambda: services.db, cache_ttl_s=CACHE_TTL_S, clock=ticker)
    other_container = LimitRepository(lambda: services.db)
    before = container.cached_effective_limits(tenant_id, key_id).tenant["requests_per_minute"]

    other_container.set_overrides(tenant_id, None, {"requests_per_minute": before + 1})
    ticker.now += CACHE_TTL_S - 0.1
    assert container.cached_effective_limits(tenant_id, key_id).tenant["requests_per_minute"] == before
    ticker.now += 0.2
    assert container.cached_effective_limits(tenant_id, key_id).tenant["requests_per_minute"] == before + 1


def test_change_in_same_container_applies_at_once(services, tenant_id, key_id) -> None:
    container = LimitRepository(lambda: services.db, cache_ttl_s=CACHE_TTL_S, clock=Ticker())
    container.cached_effective_limits(tenant_id, key_id)
    container.set_overrides(tenant_id, key_id, {"tokens_per_minute": 77})
    assert container.cached_effective_limits(tenant_id, key_id).key == {"tokens_per_minute": 77}
    container.set_tier_limits("standard", {})
    assert container.cached_effective_limits(tenant_id, key_id).key == {"tokens_per_minute": 77}


def test_reservation_uses_new_limit_after_change(quotas, principal) -> None:
    quotas.reserve(principal, f"cache-{uuid.uuid4().hex}", prompt_tokens=1, max_tokens=1, micro_usd=1)
    quotas.limits.set_overrides(principal.tenant_id, None, {"requests_per_minute": 1})
    with pytest.raises(RateLimitError):
        quotas.reserve(principal, f"cache-{uuid.uuid4().hex}", prompt_tokens=1, max_tokens=1, micro_usd=1)
