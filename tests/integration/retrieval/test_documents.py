"""POST /v1/documents and DELETE /v1/documents/{id}: storage, replacement, limits and isolation."""

from __future__ import annotations

import pytest

CHUNKS_OF_TENANT = "SELECT count(*) FROM chunks WHERE tenant_id = %s"
CHUNKS_OF_DOCUMENT = (
    "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id"
    " WHERE d.tenant_id = %s AND d.external_id = %s"
)
ORPHAN_CHUNKS = "SELECT count(*) FROM chunks c LEFT JOIN documents d ON d.id = c.document_id WHERE d.id IS NULL"
STORED_CHUNK_COUNT = "SELECT coalesce(sum(chunk_count), 0) FROM collections WHERE tenant_id = %s"

LONG_TEXT = "\n\n".join(f"Paragraph {number} talks about topic {number} in some detail. " * 12 for number in range(6))


def test_ingest_creates_documents_and_chunks(rag_api, tenant_id):
    body = rag_api.ingest(tenant_id, "manuals", [
        {"id": "short", "text": "The pump starts at 40 psi.", "metadata": {"lang": "en"}},
        {"id": "long", "text": LONG_TEXT},
    ])
    statuses = {item["id"]: (item["status"], item["chunks"]) for item in body["data"]}
    assert statuses["short"] == ("created", 1)
    assert statuses["long"][0] == "created"
    assert statuses["long"][1] > 1
    assert body["usage"]["prompt_tokens"] > 0
    assert rag_api.count(CHUNKS_OF_TENANT, tenant_id) == 1 + statuses["long"][1]
    assert rag_api.count(STORED_CHUNK_COUNT, tenant_id) == 1 + statuses["long"][1]


def test_reingest_replaces_chunks_without_orphans(rag_api, tenant_id):
    rag_api.ingest(tenant_id, "manuals", [{"id": "doc", "text": LONG_TEXT}])
    body = rag_api.ingest(tenant_id, "manuals", [{"id": "doc", "text": "Now only one short sentence."}])
    assert body["data"][0]["status"] == "replaced"
    assert body["data"][0]["chunks"] == 1
    assert rag_api.count(CHUNKS_OF_DOCUMENT, tenant_id, "doc") == 1
    assert rag_api.count(CHUNKS_OF_TENANT, tenant_id) == 1
    assert rag_api.count(STORED_CHUNK_COUNT, tenant_id) == 1
    assert rag_api.count(ORPHAN_CHUNKS) == 0


def test_reingest_same_text_keeps_chunks_updates_metadata(rag_api, tenant_id):
    rag_api.ingest(tenant_id, "manuals", [{"id": "doc", "text": LONG_TEXT, "metadata": {"v": 1}}])
    chunk_ids_before = rag_api.count("SELECT sum(id) FROM chunks WHERE tenant_id = %s", tenant_id)
    body = rag_api.ingest(tenant_id, "manuals", [{"id": "doc", "text": LONG_TEXT, "metadata": {"v": 2}}])
    assert body["data"][0]["status"] == "unchanged"
    assert body["usage"]["prompt_tokens"] == 0
    assert rag_api.count("SELECT sum(id) FROM chunks WHERE tenant_id = %s", tenant_id) == chunk_ids_before
    assert rag_api.count("SELECT (metadata->>'v')::int FROM documents WHERE tenant_id = %s", tenant_id) == 2


def test_delete_removes_document_and_chunks(rag_api, tenant_id):
    rag_api.ingest(tenant_id, "manuals", [{"id": "keep", "text": "Keep me."}, {"id": "drop", "text": LONG_TEXT}])
    status, _, body = rag_api.call(tenant_id, "DELETE", "/documents/drop?collection=manuals")
    assert status == 200, body
    assert body["deleted"] is True
    assert body["chunks"] > 1
    assert rag_api.count(CHUNKS_OF_DOCUMENT, tenant_id, "drop") == 0
    assert rag_api.count("SELECT count(*) FROM documents WHERE tenant_id = %s", tenant_id) == 1
    assert rag_api.count(STORED_CHUNK_COUNT, tenant_id) == rag_api.count(CHUNKS_OF_TENANT, tenant_id) == 1
    assert rag_api.count(ORPHAN_CHUNKS) == 0


def test_delete_missing_document_is_404(rag_api, tenant_id):
    rag_api.ingest(tenant_id, "manuals", [{"id": "keep", "text": "Keep me."}])
    status, _, body = rag_api.call(tenant_id, "DELETE", "/documents/nothing?collection=manuals")
    assert status == 404
    assert body["error"]["code"] == "document_not_found"
    status, _, body = rag_api.call(tenant_id, "DELETE", "/documents/keep?collection=elsewhere")
    assert status == 404
    assert body["error"]["code"] == "collection_not_found"


def test_delete_without_collection_is_400(rag_api, tenant_id):
    status, _, body = rag_api.call(tenant_id, "DELETE", "/documents/keep")
    assert status == 400
    assert body["error"]["param"] == "collection"


@pytest.mark.parametrize(
    ("payload", "param"),
    [
        ({"collection": "bad name", "documents": [{"id": "a", "text": "x"}]}, "collection"),
        ({"collection": "ok", "documents": [{"id": "a/b", "text": "x"}]}, "documents[0].id"),
        ({"collection": "ok", "documents": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}, "documents"),
        ({"collection": "ok", "documents": []}, "documents"),
        ({"collection": "ok", "documents": [{"id": "a", "text": "x", "metadata": ["not", "an", "object"]}]}, "documents[0].metadata"),
        ({"collection": "ok", "documents": [{"id": "a", "text": "x", "extra": 1}]}, "documents[0].extra"),
    ],
)
def test_invalid_documents_are_400(rag_api, tenant_id, payload, param):
    status, _, body = rag_api.call(tenant_id, "POST", "/documents", payload)
    assert status == 400, body
    assert body["error"]["param"] == param


def test_whitespace_document_is_400(rag_api, tenant_id):
    status, _, body = rag_api.call(tenant_id, "POST", "/documents", {"collection": "ok", "documents": [{"id": "a", "text": " \n "}]})
    assert status == 400
    assert body["error"]["code"] == "empty_document"
    assert rag_api.count("SELECT count(*) FROM documents WHERE tenant_id = %s", tenant_id) == 0


def test_limits_reject_count_and_size(rag_api, tenant_id, monkeypatch):
    settings = rag_api.services.settings
    monkeypatch.setattr(settings, "documents_max_per_request", 2)
    monkeypatch.setattr(settings, "document_max_bytes", 100)
    monkeypatch.setattr(settings, "documents_max_total_bytes", 150)
    many = [{"id": f"d{number}", "text": "x"} for number in range(3)]
    status, _, body = rag_api.call(tenant_id, "POST", "/documents", {"collection": "ok", "documents": many})
    assert (status, body["error"]["code"]) == (400, "too_many_documents")
    status, _, body = rag_api.call(tenant_id, "POST", "/documents", {"collection": "ok", "documents": [{"id": "big", "text": "é" * 51}]})
    assert (status, body["error"]["param"]) == (413, "documents[0].text")
    assert "102 bytes" in body["error"]["message"]
    pair = [{"id": "a", "text": "y" * 80}, {"id": "b", "text": "z" * 80}]
    status, _, body = rag_api.call(tenant_id, "POST", "/documents", {"collection": "ok", "documents": pair})
    assert (status, body["error"]["param"]) == (413, "documents")
    assert rag_api.count("SELECT count(*) FROM documents WHERE tenant_id = %s", tenant_id) == 0


def test_tenants_with_same_names_stay_apart(rag_api, tenant_id, other_tenant_id):
    rag_api.ingest(tenant_id, "shared", [{"id": "doc", "text": "Tenant one owns this text."}])
    rag_api.ingest(other_tenant_id, "shared", [{"id": "doc", "text": LONG_TEXT}])
    one = rag_api.count(CHUNKS_OF_TENANT, tenant_id)
    two = rag_api.count(CHUNKS_OF_TENANT, other_tenant_id)
    assert one == 1
    assert two > 1
    body = rag_api.ingest(other_tenant_id, "shared", [{"id": "doc", "text": "Replaced by tenant two."}])
    assert body["data"][0]["status"] == "replaced"
    assert rag_api.count(CHUNKS_OF_DOCUMENT, tenant_id, "doc") == 1
    status, _, _ = rag_api.call(other_tenant_id, "DELETE", "/documents/doc?collection=shared")
    assert status == 200
    assert rag_api.count(CHUNKS_OF_TENANT, other_tenant_id) == 0
    assert rag_api.count(CHUNKS_OF_DOCUMENT, tenant_id, "doc") == 1


def test_delete_cannot_reach_other_tenant(rag_api, tenant_id, other_tenant_id):
    rag_api.ingest(tenant_id, "private", [{"id": "secret", "text": "Only tenant one may delete this."}])
    status, _, body = rag_api.call(other_tenant_id, "DELETE", "/documents/secret?collection=private")
    assert status == 404
    assert body["error"]["code"] == "collection_not_found"
    assert rag_api.count(CHUNKS_OF_DOCUMENT, tenant_id, "secret") == 1
