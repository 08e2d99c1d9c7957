"""First-run set-up shared by the local runner and the tests: database and demo tenant."""

from __future__ import annotations

import logging
from pathlib import Path

from sluicegate.auth.service import authenticate
from sluicegate.errors import AuthenticationError
from sluicegate.services import Services
from sluicegate.tenants.errors import TenantExistsError, TenantNotFoundError

logger = logging.getLogger("sglocal")

DEMO_TENANT = "demo"


def ensure_demo_tenant_exists(services: Services) -> None:
    """Create the demo tenant, which the sample events in events/ act as, if it is missing."""
    try:
        services.tenants.get_tenant(DEMO_TENANT)
    except TenantNotFoundError:
        try:
            services.tenants.create_tenant(DEMO_TENANT, "Demo tenant", tier="standard")
        except TenantExistsError:
            pass  # another process created it in the meantime


def ensure_demo_tenant(services: Services, key_file: Path) -> str:
    """Create the demo tenant and a key on first use; reuse the saved key afterwards."""
    tenants = services.tenants
    if key_file.exists():
        saved = key_file.read_text(encoding="utf-8").strip()
        try:
            authenticate(f"Bearer {saved}", tenants)
            return saved
        except AuthenticationError:
            logger.info("saved demo key is no longer valid; creating a new one")
    ensure_demo_tenant_exists(services)
    _, full_key = tenants.create_key(DEMO_TENANT, name="local demo key")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(full_key + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    return full_key
