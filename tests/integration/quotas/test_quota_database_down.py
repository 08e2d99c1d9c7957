"""Behaviour when the quota database is unreachable: fail closed by default, or open when configured."""

from __future__ import annotations

import logging

import pytest
from quota_helpers import make_usage, new_request_id

from sluicegate.db.pool import Database
from sluicegate.quotas import QuotaConfig, QuotaService
from sluicegate.quotas.errors import QuotaUnavailableError
from sluicegate.quotas.hooks import settle_after_success
from sluicegate.settings import load_settings
from sluicegate.tenants.models import Principal

CALLER = Principal(tenant_id="t-unreachable", key_id="0123456789ab", tier="standard")


@pytest.fixture()
def unreachable_database():
    # A Unix socket folder that does not exist: every connection attempt fails at once.
    database = Database("postgresql://postgres@/postgres?host=/nonexistent-sluicegate-socket-dir", max_size=1, timeout_s=0.3)
    yield database
    database.close()


def test_reserve_fails_closed_with_503(unreachable_database):
    quotas = QuotaService(lambda: unreachable_database, QuotaConfig(fail_open=False))

    with pytest.raises(QuotaUnavailableError) as caught:
        quotas.reserve(CALLER, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)
    error = caught.value
    assert (error.status, error.code) == (503, "quota_unavailable")
    assert "could not reach the database" in error.message
    assert "retry later" in error.message


def test_reserve_fails_open_and_logs_error(unreachable_database, caplog):
    quotas = QuotaService(lambda: unreachable_database, QuotaConfig(fail_open=True))
    request_id = new_request_id()

    with caplog.at_level(logging.ERROR, logger="sluicegate.quotas.service"):
        reservation = quotas.reserve(CALLER, request_id, prompt_tokens=1, max_tokens=1, micro_usd=1)

    assert reservation.enforced is False
    assert reservation.headers == {}
    assert quotas.release(reservation) is False
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert request_id in errors[0].getMessage()
    assert "SLUICEGATE_QUOTA_FAIL_OPEN=true" in errors[0].getMessage()


def test_failed_settle_is_logged_not_raised(unreachable_database, caplog):
    quotas = QuotaService(lambda: unreachable_database, QuotaConfig(fail_open=True))
    reservation = quotas.reserve(CALLER, new_request_id(), prompt_tokens=1, max_tokens=1, micro_usd=1)

    with caplog.at_level(logging.ERROR, logger="sluicegate.quotas.hooks"):
        assert settle_after_success(quotas, reservation, make_usage()) is None
    assert any(reservation.request_id in record.getMessage() for record in caplog.records)


def test_fail_open_setting_is_read_from_environment():
    assert QuotaConfig.from_settings(load_settings({})).fail_open is False
    assert QuotaConfig.from_settings(load_settings({"SLUICEGATE_QUOTA_FAIL_OPEN": "true"})).fail_open is True
