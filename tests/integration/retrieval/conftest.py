"""Fixtures of the retrieval tests: the gateway served in-process with its own services.

``rag_api`` uses the bag-of-words stand-in for the embedding model, so these
tests check SQL, isolation and the HTTP contract in seconds; ``model_rag_api``
uses the built all-MiniLM-L6-v2 model.
"""

from __future__ import annotations

import uuid

import pytest
from retrieval_fakes import BagOfWordsEmbedder, RecordingBackend
from retrieval_server import serve

from sluicegate.services import Services


def _own_services(services: Services) -> Services:
    return Services(services.settings.model_copy())


@pytest.fixture(scope="module")
def rag_api(services):
    own = _own_services(services)
    own.embedder = BagOfWordsEmbedder()
    yield from serve(own, RecordingBackend())
    own.db.close()


@pytest.fixture(scope="module")
def model_rag_api(services):
    own = _own_services(services)
    yield from serve(own, RecordingBackend())
    own.db.close()


@pytest.fixture()
def other_tenant_id(services) -> str:
    """A second fresh tenant, for isolation tests."""
    new_id = f"t-{uuid.uuid4().hex[:12]}"
    services.tenants.create_tenant(new_id, f"Test tenant {new_id}")
    return new_id
