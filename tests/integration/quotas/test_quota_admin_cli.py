"""The quota subcommands of scripts/admin, run in-process against the test database."""

from __future__ import annotations

import json
import uuid

import pytest

from sglocal import admin


@pytest.fixture()
def run_admin(services, monkeypatch, capsys):
    monkeypatch.setattr(admin, "get_services", lambda: services)

    def run(*argv: str) -> tuple[int, object, str]:
        code = admin.main(list(argv))
        captured = capsys.readouterr()
        return code, json.loads(captured.out) if captured.out else None, captured.err

    return run


def test_set_limits_converts_usd_and_keywords(run_admin, tenant_id):
    code, view, _ = run_admin(
        "set-limits", tenant_id, "--requests-per-minute", "12", "--usd-per-day", "2.5", "--tokens-per-day", "unlimited"
    )

    assert code == 0
    assert view["tenant_overrides"] == {"requests_per_minute": 12, "micro_usd_per_day": 2_500_000, "tokens_per_day": None}
    assert view["effective_tenant_limits"]["requests_per_minute"] == 12
    assert view["effective_tenant_limits"]["tokens_per_day"] is None
    assert view["effective_tenant_limits"]["tokens_per_minute"] == view["tier_defaults"]["tokens_per_minute"]


def test_inherit_removes_override(run_admin, tenant_id):
    run_admin("set-limits", tenant_id, "--requests-per-minute", "12")
    code, view, _ = run_admin("set-limits", tenant_id, "--requests-per-minute", "inherit")

    assert code == 0
    assert view["tenant_overrides"] == {}
    assert view["effective_tenant_limits"]["requests_per_minute"] == 300


def test_key_limits_and_get_limits(run_admin, services, tenant_id):
    record, _ = services.tenants.create_key(tenant_id)
    run_admin("set-limits", tenant_id, "--key", record.key_id, "--tokens-per-minute", "500")

    code, view, _ = run_admin("get-limits", tenant_id, "--key", record.key_id)

    assert code == 0
    assert view["key_limits"] == {"tokens_per_minute": 500}
    assert view["tenant_overrides"] == {}


def test_unknown_key_is_reported(run_admin, tenant_id):
    code, _, err = run_admin("set-limits", tenant_id, "--key", "000000000000", "--tokens-per-minute", "5")
    assert code == 1
    assert f"tenant {tenant_id!r} has no API key '000000000000'" in err


def test_invalid_value_is_rejected(run_admin, tenant_id, capsys):
    with pytest.raises(SystemExit):
        admin.main(["set-limits", tenant_id, "--usd-per-day", "0.0000001"])
    assert "use USD with at most 6 decimals >= 0" in capsys.readouterr().err


def test_tier_limits_create_a_tier(run_admin, tenant_id):
    code, view, _ = run_admin("set-tier-limits", f"tier-{tenant_id}", "--requests-per-minute", "7")

    assert code == 0
    assert view["limits"]["requests_per_minute"] == 7
    assert view["limits"]["micro_usd_per_month"] is None
    assert run_admin("get-tier-limits", f"tier-{tenant_id}")[1] == view


def test_usage_command_prints_report(run_admin, tenant_id):
    code, report, _ = run_admin("usage", tenant_id)

    assert code == 0
    assert report["tenant_id"] == tenant_id
    assert [entry["name"] for entry in report["limits"]][:2] == ["requests_per_minute", "tokens_per_minute"]


def test_create_tenant_unknown_tier_rejected(run_admin):
    tenant_id = f"cli-{uuid.uuid4().hex[:10]}"
    code, output, error = run_admin("create-tenant", tenant_id, "--tier", "standrad")
    assert code == 1
    assert output is None
    assert "set-tier-limits standrad" in error

    code, tenant, _ = run_admin("create-tenant", tenant_id, "--tier", "free")
    assert code == 0
    assert tenant["tier"] == "free"
