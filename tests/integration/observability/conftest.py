"""The local API Gateway stand-in with a scripted backend, for observability tests."""

from __future__ import annotations

import threading
import uuid

import pytest
from openai import OpenAI

from sglocal.runtime import apply_template_environment
from sglocal.server import LocalApiGateway, make_http_server
from sglocal.template import load_template
from sluicegate.services import Services

from observability_support import MODEL, ROOT, ScriptedBackend


@pytest.fixture(scope="module")
def gateway_url(services: Services):
    """Serve the template's functions on 127.0.0.1 with the scripted backend; yields the base URL."""
    import sluicegate.services as services_module

    entry = services.catalog.get(MODEL)
    previous_backend = entry._backend
    previous_services = services_module._services
    entry._backend = ScriptedBackend()
    services_module._services = services
    apply_template_environment(load_template(ROOT / "template.yaml").functions)
    server = make_http_server(LocalApiGateway(load_template(ROOT / "template.yaml")), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
    entry._backend = previous_backend
    services_module._services = previous_services


@pytest.fixture()
def flagging_client(gateway_url: str, services: Services) -> OpenAI:
    """A client of a fresh tenant whose screening flags prompt injection instead of blocking it."""
    tenant_id = f"t-{uuid.uuid4().hex[:12]}"
    services.tenants.create_tenant(tenant_id, "Observability test", settings={"screening": {"injection_action": "flag"}})
    _, key = services.tenants.create_key(tenant_id)
    return OpenAI(base_url=gateway_url, api_key=key, max_retries=0)
