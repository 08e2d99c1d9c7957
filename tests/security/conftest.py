"""Fixtures of the security tests: the gateway over real HTTP on 127.0.0.1, with the
real database, a local SQS (moto) for batches and fast stand-ins for the models."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fake_embedder import BagOfWordsEmbedder
from security_fakes import EchoBackend

import sluicegate.services as services_module
from sglocal.runtime import apply_template_environment
from sglocal.server import LocalApiGateway, make_http_server
from sglocal.sqs import LocalQueues, start_local_sqs
from sglocal.sqs_events import load_sqs_template
from sglocal.template import load_template
from sluicegate.services import Services
from sluicegate.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MODEL = "smollm2-135m-instruct"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class SecurityApi:
    """The served gateway, its services and one API key per tenant."""

    root_url: str
    services: Services
    backend: EchoBackend
    gateway: LocalApiGateway
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.root_url + "/v1"

    def new_tenant(self, tier: str = "standard", settings: dict | None = None) -> str:
        tenant_id = f"t-{uuid.uuid4().hex[:12]}"
        self.services.tenants.create_tenant(tenant_id, f"Security test tenant {tenant_id}", tier=tier, settings=settings)
        return tenant_id

    def key(self, tenant_id: str) -> str:
        """Return an API key of ``tenant_id``, created on first use."""
        if tenant_id not in self.keys:
            self.keys[tenant_id] = self.services.tenants.create_key(tenant_id)[1]
        return self.keys[tenant_id]

    def call(self, method: str, path: str, key: str | None = None, body: Any = None, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        """Send one request to ``root_url + path`` and return the reply, error statuses included."""
        data = raw
        if data is None and body is not None:
            data = json.dumps(body).encode()
        request = urllib.request.Request(self.root_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if key is not None:
            request.add_header("Authorization", f"Bearer {key}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode())

    def chat(self, key: str, content: str, **extra: Any) -> Reply:
        body = {"model": MODEL, "messages": [{"role": "user", "content": content}], **extra}
        return self.call("POST", "/v1/chat/completions", key, body)


@pytest.fixture(scope="session")
def security_queues() -> LocalQueues:
    queues = start_local_sqs(load_sqs_template(ROOT / "template.yaml"))
    yield queues
    queues.stop()


@pytest.fixture(scope="session")
def security_services(services: Services, security_queues: LocalQueues) -> Services:
    """Services on the test database with the local batch queue, stand-in models and
    sampled logging of every chat request, so the log tests see the sampled text too."""
    settings = Settings(
        **{
            **services.settings.model_dump(),
            "batch_queue_url": security_queues.urls["BatchQueue"],
            "sqs_endpoint_url": security_queues.endpoint_url,
            "log_sample_rate": 1,
        }
    )
    built = Services(settings)
    built.db.migrate()
    built.embedder = BagOfWordsEmbedder(settings.embedding_model)
    built.catalog.get(MODEL)._backend = EchoBackend()
    yield built
    built.db.close()


@pytest.fixture(scope="module")
def security_api(security_services: Services) -> SecurityApi:
    """The local API Gateway with every function of template.yaml, serving ``security_services``.

    Unlike tests/local_gateway.py, it keeps the LocalApiGateway, whose batch worker runner the tests invoke.
    """
    previous = services_module._services
    services_module._services = security_services
    template = load_template(ROOT / "template.yaml")
    apply_template_environment(template.functions)
    gateway = LocalApiGateway(template)
    server = make_http_server(gateway, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield SecurityApi(
            f"http://127.0.0.1:{server.server_address[1]}",
            security_services,
            security_services.catalog.get(MODEL)._backend,
            gateway,
        )
    finally:
        server.shutdown()
        server.server_close()
        services_module._services = previous
