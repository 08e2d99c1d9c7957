"""The tenant setting ``retrieval_failure``: read from tenants.settings, cached, kept through a database outage."""

from __future__ import annotations

import uuid

import pytest

from sluicegate.db.pool import Database
from sluicegate.retrieval.policy import FailurePolicies


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def unreachable():
    database = Database("postgresql://postgres@127.0.0.1:1/postgres", max_size=1, timeout_s=1.0)
    yield database
    database.close()


@pytest.mark.parametrize(
    ("settings", "mode"),
    [({}, "answer"), ({"retrieval_failure": "answer"}, "answer"), ({"retrieval_failure": "error"}, "error"),
     ({"retrieval_failure": "sometimes"}, "answer")],
)
def test_mode_follows_tenant_setting(services, settings, mode):
    tenant = services.tenants.create_tenant(f"t-{uuid.uuid4().hex[:12]}", "policy", settings=settings)
    assert FailurePolicies(lambda: services.db).mode(tenant.id) == mode


def test_cached_mode_survives_outage(services, unreachable):
    tenant = services.tenants.create_tenant(f"t-{uuid.uuid4().hex[:12]}", "outage", settings={"retrieval_failure": "error"})
    clock = Clock()
    current = {"db": services.db}
    policies = FailurePolicies(lambda: current["db"], ttl_s=10, clock=clock)
    assert policies.mode(tenant.id) == "error"
    current["db"] = unreachable
    clock.now = 60.0  # past the cache lifetime, so the policy tries the database again
    assert policies.mode(tenant.id) == "error"


def test_unknown_tenant_in_outage_gets_default(unreachable):
    assert FailurePolicies(lambda: unreachable).mode("t-never-seen") == "answer"
