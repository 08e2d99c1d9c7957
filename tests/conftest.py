"""Shared fixtures: a real embedded PostgreSQL and services built on it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from sluicegate.services import Services
from sluicegate.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
# Tests use their own data folder so they never touch the `make run` database.
TEST_LOCAL_DIR = ROOT / ".local" / "test"


def make_test_settings(**overrides) -> Settings:
    base = load_settings({})
    values = base.model_dump()
    values.update(local_dir=TEST_LOCAL_DIR, model_dir=ROOT / "models")
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def services() -> Services:
    built = Services(make_test_settings())
    built.db.migrate()
    yield built
    built.db.close()


@pytest.fixture()
def tenant_id(services: Services) -> str:
    """A fresh tenant per test, so tests never see each other's rows."""
    new_id = f"t-{uuid.uuid4().hex[:12]}"
    services.tenants.create_tenant(new_id, f"Test tenant {new_id}")
    return new_id
