"""Chat completions with ``retrieval``: the prompt, the ``sluicegate`` object, filters, isolation and failures."""

from __future__ import annotations

import json
import threading
import urllib.request
import uuid
from dataclasses import replace

import psycopg
import pytest

from sluicegate.db.pool import Database

FACTS = [
    {"id": "vault", "text": "The access code for the Zanthor vault is 7349.", "metadata": {"topic": "vault", "lang": "en"}},
    {"id": "garden", "text": "The Zanthor garden grows blue tulips every spring.", "metadata": {"topic": "garden", "lang": "en"}},
    {"id": "ship", "text": "The cargo ship Meridian carries copper to Oslo.", "metadata": {"topic": "ship", "lang": "no"}},
]


def retrieval_of(body: dict) -> dict:
    return body["sluicegate"]["retrieval"]


def test_chat_uses_passages_and_lists_them(rag_api, tenant_id):
    rag_api.ingest(tenant_id, "facts", FACTS)
    status, headers, body = rag_api.ask(tenant_id, "What is the access code for the Zanthor vault?", {"collection": "facts", "top_k": 2})
    assert status == 200, body
    assert headers["x-sluicegate-retrieval"] == "ok"
    found = retrieval_of(body)
    assert found["collection"] == "facts"
    assert found["status"] == "ok"
    assert found["template_version"] == "rag-v1"
    assert [passage["index"] for passage in found["passages"]] == [1, 2]
    first = found["passages"][0]
    assert first["document_id"] == "vault"
    assert first["chunk_id"] == "vault#0"
    assert 0 < first["score"] <= 1
    assert first["score"] >= found["passages"][1]["score"]
    prompt = rag_api.backend.last_prompt()
    assert "<passages>\n[1] The access code for the Zanthor vault is 7349." in prompt
    assert prompt.endswith("Question: What is the access code for the Zanthor vault?")


def test_filter_limits_passages_to_matching_metadata(rag_api, tenant_id):
    rag_api.ingest(tenant_id, "facts", FACTS)
    retrieval = {"collection": "facts", "top_k": 5, "filter": {"lang": "no"}}
    status, _, body = rag_api.ask(tenant_id, "What is the access code for the Zanthor vault?", retrieval)
    assert status == 200, body
    assert [passage["document_id"] for passage in retrieval_of(body)["passages"]] == ["ship"]


def test_filter_without_match_answers_without_passages(rag_api, tenant_id):
    rag_api.ingest(tenant_id, "facts", FACTS)
    retrieval = {"collection": "facts", "filter": {"topic": "none"}}
    status, _, body = rag_api.ask(tenant_id, "Anything?", retrieval)
    assert status == 200, body
    assert retrieval_of(body)["passages"] == []
    assert retrieval_of(body)["template_version"] is None
    assert rag_api.backend.last_prompt() == "Anything?"


def test_retrieval_sees_only_own_tenant(rag_api, tenant_id, other_tenant_id):
    rag_api.ingest(tenant_id, "facts", FACTS)
    rag_api.ingest(other_tenant_id, "facts", [{"id": "other", "text": "The Zanthor vault of tenant two is empty."}])
    status, _, body = rag_api.ask(other_tenant_id, "What is the access code for the Zanthor vault?", {"collection": "facts", "top_k": 5})
    assert status == 200, body
    assert [passage["document_id"] for passage in retrieval_of(body)["passages"]] == ["other"]
    assert "7349" not in rag_api.backend.last_prompt()


def test_unknown_collection_is_404(rag_api, tenant_id, other_tenant_id):
    rag_api.ingest(tenant_id, "only-mine", FACTS)
    status, _, body = rag_api.ask(other_tenant_id, "Code?", {"collection": "only-mine"})
    assert status == 404
    assert body["error"]["code"] == "collection_not_found"
    assert body["error"]["param"] == "retrieval.collection"


@pytest.mark.parametrize(
    ("retrieval", "param"),
    [
        ({"collection": "facts", "top_k": 0}, "retrieval.top_k"),
        ({"collection": "facts", "top_k": 21}, "retrieval.top_k"),
        ({"collection": "facts", "filter": "lang=en"}, "retrieval.filter"),
        ({"collection": "facts", "rerank": True}, "retrieval.rerank"),
        ({"top_k": 3}, "retrieval.collection"),
    ],
)
def test_invalid_retrieval_options_are_400(rag_api, tenant_id, retrieval, param):
    status, _, body = rag_api.ask(tenant_id, "Code?", retrieval)
    assert status == 400, body
    assert body["error"]["param"] == param


def test_passages_dropped_to_fit_context(rag_api, tenant_id, monkeypatch):
    rag_api.ingest(tenant_id, "facts", FACTS)
    # With 10 tokens for the answer, the prompt may have 80 tokens: the instructions, the question
    # and one passage take about 76 of RecordingBackend's tokens, each further passage about 10.
    monkeypatch.setattr(rag_api.backend, "window", 90)
    status, _, body = rag_api.ask(tenant_id, "What is the access code for the Zanthor vault?", {"collection": "facts", "top_k": 3}, max_tokens=10)
    assert status == 200, body
    assert [passage["document_id"] for passage in retrieval_of(body)["passages"]] == ["vault"]


def test_stream_first_chunk_carries_retrieval(rag_api, tenant_id):
    rag_api.ingest(tenant_id, "facts", FACTS)
    payload = {"model": rag_api.services.settings.local_model, "stream": True,
               "messages": [{"role": "user", "content": "Zanthor vault code?"}], "retrieval": {"collection": "facts"}}
    request = urllib.request.Request(rag_api.base_url + "/chat/completions", data=json.dumps(payload).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {rag_api.key(tenant_id)}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        events = [block for block in response.read().decode().split("\n\n") if block]
    first = json.loads(events[0].removeprefix("data: "))
    assert first["sluicegate"]["retrieval"]["passages"][0]["document_id"] == "vault"
    assert "sluicegate" not in json.loads(events[1].removeprefix("data: "))
    assert events[-1] == "data: [DONE]"


@pytest.fixture()
def database_down(rag_api, monkeypatch):
    """Point the retrieval search at a port where no database listens."""
    unreachable = Database("postgresql://postgres@127.0.0.1:1/postgres", max_size=1, timeout_s=1.0)
    monkeypatch.setattr(rag_api.services.retriever.search, "_db", lambda: unreachable)
    yield
    unreachable.close()


def test_database_down_answers_without_context(rag_api, tenant_id, database_down, capsys):
    status, headers, body = rag_api.ask(tenant_id, "What is the access code for the Zanthor vault?", {"collection": "facts"})
    assert status == 200, body
    assert headers["x-sluicegate-retrieval"] == "failed"
    assert retrieval_of(body) == {"collection": "facts", "status": "failed", "template_version": None, "passages": []}
    assert rag_api.backend.last_prompt() == "What is the access code for the Zanthor vault?"
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert any("RetrievalFailures" in record for record in records)


def test_database_down_is_503_when_tenant_asks(rag_api, services, database_down):
    tenant = services.tenants.create_tenant(f"t-{uuid.uuid4().hex[:12]}", "strict", settings={"retrieval_failure": "error"})
    status, headers, body = rag_api.ask(tenant.id, "Code?", {"collection": "facts"})
    assert status == 503
    assert headers["x-sluicegate-retrieval"] == "failed"
    assert body["error"]["code"] == "retrieval_failed"


def test_statement_timeout_is_a_retrieval_failure(rag_api, tenant_id, monkeypatch):
    rag_api.ingest(tenant_id, "facts", FACTS)
    search = rag_api.services.retriever.search
    monkeypatch.setattr(search, "config", replace(search.config, statement_timeout_ms=300))
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with psycopg.connect(rag_api.services.db.url, autocommit=False) as conn:
            conn.execute("LOCK TABLE chunks IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        status, headers, body = rag_api.ask(tenant_id, "What is the access code for the Zanthor vault?", {"collection": "facts"})
    finally:
        release.set()
        holder.join()
    assert status == 200, body
    assert headers["x-sluicegate-retrieval"] == "failed"
    assert retrieval_of(body)["status"] == "failed"
