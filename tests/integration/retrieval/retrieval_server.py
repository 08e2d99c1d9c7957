"""Run the local API Gateway stand-in in-process, on services built for one test module."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from retrieval_fakes import RecordingBackend, call

import sluicegate.services as services_module
from sglocal.runtime import apply_template_environment
from sglocal.server import LocalApiGateway, make_http_server
from sglocal.template import load_template
from sluicegate.services import Services

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class RagApi:
    base_url: str
    services: Services
    backend: RecordingBackend
    keys: dict[str, str] = field(default_factory=dict)

    def key(self, tenant_id: str) -> str:
        """Return an API key of ``tenant_id``, created on first use."""
        if tenant_id not in self.keys:
            self.keys[tenant_id] = self.services.tenants.create_key(tenant_id)[1]
        return self.keys[tenant_id]

    def call(self, tenant_id: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], dict]:
        return call(self.base_url, self.key(tenant_id), method, path, body)

    def ingest(self, tenant_id: str, collection: str, documents: list[dict]) -> dict:
        status, _, body = self.call(tenant_id, "POST", "/documents", {"collection": collection, "documents": documents})
        assert status == 200, body
        return body

    def ask(self, tenant_id: str, question: str, retrieval: dict, **extra: Any) -> tuple[int, dict[str, str], dict]:
        body = {"model": self.services.settings.local_model, "messages": [{"role": "user", "content": question}],
                "retrieval": retrieval, **extra}
        return self.call(tenant_id, "POST", "/chat/completions", body)

    def count(self, sql: str, *params: Any) -> int:
        with self.services.db.connection() as conn:
            return conn.execute(sql, params).fetchone()[0]


def serve(services: Services, backend: RecordingBackend) -> Iterator[RagApi]:
    """Serve the gateway on 127.0.0.1 with ``services`` as the container's services until the generator closes."""
    services.catalog.get(services.settings.local_model)._backend = backend
    previous = services_module._services
    services_module._services = services
    template = load_template(ROOT / "template.yaml")
    apply_template_environment(template.functions)
    server = make_http_server(LocalApiGateway(template), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield RagApi(f"http://127.0.0.1:{server.server_address[1]}/v1", services, backend)
    finally:
        server.shutdown()
        services_module._services = previous
