"""Tenant isolation over real HTTP: one tenant's API key never reads, changes or is
charged for another tenant's data, on every tenant-scoped endpoint and table.

The gateway has no admin HTTP API: tenants, keys and quotas are managed with
scripts/admin against the database. The last tests check that no such route
is reachable with a tenant key."""

from __future__ import annotations

import uuid

import pytest

from sglocal.sqs import sqs_client
from sglocal.sqs_events import sqs_event
from sluicegate.http.gateway import build_app

MODEL = "smollm2-135m-instruct"
EMBEDDING_MODEL = "all-minilm-l6-v2"
SECRET_TEXT = "The vault combination for the Oslo office is 7-19-42."
SECRET_EMAIL = "cfo.private@acme-secret.example"


@pytest.fixture()
def tenants(security_api) -> tuple[str, str, str, str]:
    """Two fresh tenants on the same tier and a key of each: (a, key_a, b, key_b)."""
    tenant_a, tenant_b = security_api.new_tenant(), security_api.new_tenant()
    return tenant_a, security_api.key(tenant_a), tenant_b, security_api.key(tenant_b)


def count(security_api, sql: str, *params) -> int:
    with security_api.services.db.connection() as conn:
        return conn.execute(sql, params).fetchone()[0]


def usage_counts(security_api, key: str) -> dict[tuple[str, str], tuple[int, int]]:
    reply = security_api.call("GET", "/v1/usage", key)
    assert reply.status == 200, reply.text
    return {(limit["scope"], limit["name"]): (limit["used"], limit["reserved"]) for limit in reply.json()["limits"]}


def ingest(security_api, key: str, collection: str, documents: list[dict]) -> None:
    reply = security_api.call("POST", "/v1/documents", key, {"collection": collection, "documents": documents})
    assert reply.status == 200, reply.text


def test_usage_and_ledger_are_per_tenant(security_api, tenants):
    tenant_a, key_a, tenant_b, key_b = tenants
    for _ in range(3):
        assert security_api.chat(key_a, "count me").status == 200
    report_a = security_api.call("GET", "/v1/usage", key_a).json()
    assert report_a["tenant_id"] == tenant_a
    assert usage_counts(security_api, key_a)[("tenant", "requests_per_minute")][0] == 3
    report_b = security_api.call("GET", "/v1/usage", key_b).json()
    assert report_b["tenant_id"] == tenant_b
    assert all(used == 0 and reserved == 0 for used, reserved in usage_counts(security_api, key_b).values())
    assert count(security_api, "SELECT count(*) FROM usage_ledger WHERE tenant_id = %s", tenant_a) == 3
    assert count(security_api, "SELECT count(*) FROM usage_ledger WHERE tenant_id = %s", tenant_b) == 0
    assert count(security_api, "SELECT count(*) FROM quota_counters WHERE tenant_id = %s", tenant_b) == 0


def test_rate_limit_of_one_tenant_spares_other(security_api, tenants):
    tenant_a, key_a, _, key_b = tenants
    security_api.services.quotas.limits.set_overrides(tenant_a, values={"requests_per_minute": 1})
    assert security_api.chat(key_a, "first").status == 200
    limited = security_api.chat(key_a, "second")
    assert limited.status == 429
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert security_api.chat(key_b, "unaffected").status == 200


def test_retrieval_sees_only_own_documents(security_api, tenants):
    _, key_a, _, key_b = tenants
    ingest(security_api, key_a, "handbook", [{"id": "vault", "text": SECRET_TEXT}])
    ingest(security_api, key_b, "handbook", [{"id": "lunch", "text": "Lunch in the Oslo office is at noon."}])
    before = len(security_api.backend.prompts)
    reply = security_api.chat(key_b, "What is the vault combination for the Oslo office?",
                              retrieval={"collection": "handbook", "top_k": 5})
    assert reply.status == 200, reply.text
    passages = reply.json()["sluicegate"]["retrieval"]["passages"]
    assert [passage["document_id"] for passage in passages] == ["lunch"]
    assert SECRET_TEXT not in reply.text
    assert not any("vault combination for the Oslo office is" in prompt for prompt in security_api.backend.prompts[before:])


def test_other_tenant_collection_is_not_found(security_api, tenants):
    _, key_a, _, key_b = tenants
    ingest(security_api, key_a, "private-notes", [{"id": "n1", "text": SECRET_TEXT}])
    reply = security_api.chat(key_b, "vault?", retrieval={"collection": "private-notes"})
    assert reply.status == 404
    assert reply.json()["error"]["param"] == "retrieval.collection"


def test_other_tenant_cannot_delete_document(security_api, tenants):
    tenant_a, key_a, _, key_b = tenants
    ingest(security_api, key_a, "kb", [{"id": "doc-1", "text": SECRET_TEXT}])
    ingest(security_api, key_b, "kb", [{"id": "other", "text": "unrelated"}])
    denied = security_api.call("DELETE", "/v1/documents/doc-1?collection=kb", key_b)
    assert denied.status == 404
    rows = "SELECT count(*) FROM documents d JOIN collections c ON c.id = d.collection_id WHERE d.tenant_id = %s AND d.external_id = %s"
    assert count(security_api, rows, tenant_a, "doc-1") == 1
    assert security_api.call("DELETE", "/v1/documents/doc-1?collection=kb", key_a).status == 200
    assert count(security_api, rows, tenant_a, "doc-1") == 0


def test_same_document_id_is_separate_per_tenant(security_api, tenants):
    tenant_a, key_a, tenant_b, key_b = tenants
    ingest(security_api, key_a, "kb", [{"id": "same", "text": SECRET_TEXT}])
    ingest(security_api, key_b, "kb", [{"id": "same", "text": "public text"}])
    for tenant_id, expected in ((tenant_a, SECRET_TEXT), (tenant_b, "public text")):
        with security_api.services.db.connection() as conn:
            contents = [row[0] for row in conn.execute(
                "SELECT content FROM chunks WHERE tenant_id = %s ORDER BY ordinal", (tenant_id,)
            ).fetchall()]
        assert contents == [expected]


def test_embeddings_store_nothing(security_api, tenants):
    _, _, tenant_b, key_b = tenants
    reply = security_api.call("POST", "/v1/embeddings", key_b, {"model": EMBEDDING_MODEL, "input": [SECRET_TEXT, "x"]})
    assert reply.status == 200
    assert [item["index"] for item in reply.json()["data"]] == [0, 1]
    for table in ("documents", "chunks", "collections", "usage_ledger"):
        assert count(security_api, f"SELECT count(*) FROM {table} WHERE tenant_id = %s", tenant_b) == 0


def test_batches_are_per_tenant(security_api, tenants, security_queues):
    tenant_a, key_a, tenant_b, key_b = tenants
    client = sqs_client(security_queues.endpoint_url)
    queue_url = client.create_queue(QueueName=f"isolation-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = security_api.services.batches.queue
    previous, queue.queue_url = queue.queue_url, queue_url
    try:
        items = [{"custom_id": "q1", "body": {"model": MODEL, "messages": [{"role": "user", "content": SECRET_TEXT}]}}]
        created = security_api.call("POST", "/v1/batches", key_a, {"items": items})
        assert created.status == 200, created.text
        messages = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
        security_api.gateway.runners["BatchWorkerFunction"].invoke(sqs_event(messages["Messages"], queue_arn))
    finally:
        queue.queue_url = previous
    batch_id = created.json()["id"]
    own = security_api.call("GET", f"/v1/batches/{batch_id}", key_a)
    assert own.status == 200
    assert own.json()["results"]["data"][0]["status"] == "succeeded"
    for query in ("", "?after=q1", "?limit=1"):
        other = security_api.call("GET", f"/v1/batches/{batch_id}{query}", key_b)
        assert other.status == 404, query
        assert SECRET_TEXT not in other.text
        assert batch_id in other.json()["error"]["message"]
    # The item ran as the submitting tenant and was charged to it alone.
    assert count(security_api, "SELECT count(*) FROM usage_ledger WHERE tenant_id = %s", tenant_a) == 1
    assert count(security_api, "SELECT count(*) FROM usage_ledger WHERE tenant_id = %s", tenant_b) == 0
    assert count(security_api, "SELECT count(*) FROM batches WHERE tenant_id = %s", tenant_b) == 0


def test_redact_uses_own_policy(security_api):
    masking = security_api.new_tenant(settings={"screening": {"entity_actions": {"EMAIL_ADDRESS": "mask"}}})
    default = security_api.new_tenant()
    text = f"write to {SECRET_EMAIL}"
    masked = security_api.call("POST", "/v1/redact", security_api.key(masking), {"input": text}).json()
    redacted = security_api.call("POST", "/v1/redact", security_api.key(default), {"input": text}).json()
    assert masked["policy"]["entity_actions"] == {"EMAIL_ADDRESS": "mask"}
    assert redacted["policy"]["entity_actions"] == {}
    assert "<EMAIL_ADDRESS_1>" in redacted["results"][0]["text"]
    assert "<EMAIL_ADDRESS_1>" not in masked["results"][0]["text"]
    assert SECRET_EMAIL not in masked["results"][0]["text"] + redacted["results"][0]["text"]


def test_placeholder_restores_only_own_value(security_api, tenants):
    _, key_a, _, key_b = tenants
    first = security_api.chat(key_a, f"Mail {SECRET_EMAIL} today")
    assert first.status == 200
    # Tenant B sends the placeholder that A's value was given, and the response must not contain A's value.
    second = security_api.chat(key_b, "Repeat <EMAIL_ADDRESS_1> please")
    assert second.status == 200
    assert SECRET_EMAIL not in second.text
    assert "<EMAIL_ADDRESS_1>" in second.json()["choices"][0]["message"]["content"]


def test_tenant_id_cannot_be_chosen_by_caller(security_api, tenants):
    tenant_a, key_a, tenant_b, _ = tenants
    spoofed = security_api.call("GET", "/v1/usage", key_a, headers={"tenant_id": tenant_b, "x-tenant-id": tenant_b})
    assert spoofed.json()["tenant_id"] == tenant_a
    body = {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "tenant_id": tenant_b}
    reply = security_api.call("POST", "/v1/chat/completions", key_a, body)
    assert reply.status == 400
    assert reply.json()["error"]["code"] == "unknown_parameter"


def test_resolver_has_only_documented_routes():
    app = build_app()
    routes = {(route.method, route.path.replace("<", "{").replace(">", "}")) for route in app._static_routes + app._dynamic_routes}
    assert routes == {
        ("GET", "/v1/models"), ("GET", "/v1/models/{model_id}"), ("POST", "/v1/chat/completions"),
        ("POST", "/v1/redact"), ("GET", "/v1/usage"), ("POST", "/v1/documents"),
        ("DELETE", "/v1/documents/{document_id}"), ("POST", "/v1/embeddings"), ("POST", "/v1/batches"),
        ("GET", "/v1/batches/{batch_id}"), ("GET", "/openapi.json"),
    }


ADMIN_REQUESTS = [
    ("POST", "/v1/tenants"), ("GET", "/v1/tenants"), ("POST", "/v1/keys"), ("GET", "/v1/keys"),
    ("DELETE", "/v1/keys/abc"), ("PUT", "/v1/quotas"), ("POST", "/admin/keys"),
    ("GET", "/v1/usage/other-tenant"), ("PATCH", "/v1/usage"), ("DELETE", "/v1/batches/batch_x"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_REQUESTS)
def test_admin_operations_are_not_routes(security_api, tenants, method, path):
    _, key_a, _, _ = tenants
    body = {"tenant_id": "t-new", "tier": "enterprise"} if method in {"POST", "PUT", "PATCH"} else None
    with_key = security_api.call(method, path, key_a, body)
    assert with_key.status == 404
    assert with_key.json()["error"]["code"] == "unknown_url"
    without_key = security_api.call(method, path, None, body)
    assert without_key.status == 401


def test_admin_routes_refuse_tenant_keys(security_api, tenants):
    """The admin routes take IAM signatures only (tests/integration/admin covers each route)."""
    _, key_a, _, _ = tenants
    for key in (key_a, None):
        reply = security_api.call("GET", "/admin/tenants", key)
        assert reply.status == 403
        assert reply.json()["error"]["type"] == "permission_error"
