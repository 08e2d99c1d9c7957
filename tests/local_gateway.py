"""Serve template.yaml's routes over real HTTP on 127.0.0.1, inside the test process.

Tests that check the HTTP contract without the model use this with a scripted
backend; tests/e2e starts the real server as a separate process instead.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sluicegate.services as services_module
from sglocal.runtime import apply_template_environment
from sglocal.server import LocalApiGateway, make_http_server
from sglocal.sigv4 import AdminCredentials
from sglocal.template import load_template
from sluicegate.backends.base import Backend
from sluicegate.services import Services

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def serve_gateway(
    services: Services, backend: Backend | None = None, admin_credentials: AdminCredentials | None = None
) -> Iterator[str]:
    """Yield the base URL of a gateway whose handlers use ``services``.

    With ``backend``, it replaces the local model for the duration. The
    container's previous services and backend are restored afterwards. The
    admin routes accept requests signed with ``admin_credentials``.
    """
    entry = services.catalog.get(services.settings.local_model)
    previous_backend = entry._backend
    previous_services = services_module._services
    if backend is not None:
        entry._backend = backend
    services_module._services = services
    template = load_template(ROOT / "template.yaml")
    apply_template_environment(template.functions)
    server = make_http_server(LocalApiGateway(template, admin_credentials=admin_credentials), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        entry._backend = previous_backend
        services_module._services = previous_services
