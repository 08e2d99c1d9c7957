"""Fixtures for the quota tests: a fake clock, a quota service on the test database, an API key."""

from __future__ import annotations

import pytest
from quota_helpers import BASE_TIME, RESERVATION_TTL_S

from sluicegate.quotas import FakeClock, QuotaConfig, QuotaService
from sluicegate.tenants.models import Principal


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock(BASE_TIME)


@pytest.fixture()
def quotas(services, clock) -> QuotaService:
    return QuotaService(lambda: services.db, QuotaConfig(reservation_ttl_s=RESERVATION_TTL_S), clock)


@pytest.fixture()
def key_id(services, tenant_id) -> str:
    record, _ = services.tenants.create_key(tenant_id, name="quota-test")
    return record.key_id


@pytest.fixture()
def principal(tenant_id, key_id) -> Principal:
    return Principal(tenant_id=tenant_id, key_id=key_id, tier="standard")
