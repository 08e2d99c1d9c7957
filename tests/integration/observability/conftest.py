"""The local API Gateway stand-in with a scripted backend, for observability tests."""

from __future__ import annotations

import uuid

import pytest
from openai import OpenAI

from local_gateway import serve_gateway
from sluicegate.services import Services

from observability_support import ScriptedBackend


@pytest.fixture(scope="module")
def gateway_url(services: Services):
    """Serve the template's functions on 127.0.0.1 with the scripted backend; yields the base URL."""
    with serve_gateway(services, ScriptedBackend()) as base_url:
        yield base_url


@pytest.fixture()
def flagging_client(gateway_url: str, services: Services) -> OpenAI:
    """A client of a fresh tenant whose screening flags prompt injection instead of blocking it."""
    tenant_id = f"t-{uuid.uuid4().hex[:12]}"
    services.tenants.create_tenant(tenant_id, "Observability test", settings={"screening": {"injection_action": "flag"}})
    _, key = services.tenants.create_key(tenant_id)
    return OpenAI(base_url=gateway_url, api_key=key, max_retries=0)
