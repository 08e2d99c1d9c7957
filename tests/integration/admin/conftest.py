"""The local API Gateway with its admin routes, and a signer with the local admin credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from admin_helpers import AdminApi

from local_gateway import serve_gateway
from sglocal.sigv4 import AdminCredentials, load_or_create_credentials
from sluicegate.services import Services


@pytest.fixture(scope="module")
def admin_credentials(tmp_path_factory: pytest.TempPathFactory) -> AdminCredentials:
    return load_or_create_credentials(Path(tmp_path_factory.mktemp("admin")) / "admin-credentials.json")


@pytest.fixture(scope="module")
def admin_api(services: Services, admin_credentials: AdminCredentials) -> AdminApi:
    with serve_gateway(services, admin_credentials=admin_credentials) as base_url:
        yield AdminApi(base_url.removesuffix("/v1") + "/admin", admin_credentials)
