"""Every size limit of the API, over real HTTP: each one returns a clear
OpenAI-style error naming the limit, and never a 5xx."""

from __future__ import annotations

import json
import time

import pytest

from sluicegate.api.batches import MAX_BATCH_ITEMS
from sluicegate.api.chat import MAX_COMPLETION_TOKENS, MAX_MESSAGES, MAX_MESSAGES_CHARS, MAX_SEED, MAX_TOP_K
from sluicegate.api.parsing import MAX_JSON_DEPTH
from sluicegate.api.redact import MAX_REDACT_INPUTS, MAX_REDACT_TOTAL_CHARS
from sluicegate.screening import Screener

MODEL = "smollm2-135m-instruct"
EMBEDDING_MODEL = "all-minilm-l6-v2"
USER = [{"role": "user", "content": "hello"}]


@pytest.fixture(scope="module")
def key(security_api) -> str:
    return security_api.key(security_api.new_tenant(tier="enterprise"))


def assert_error(reply, status: int, param: str | None = None, code: str | None = None, fragment: str = "") -> dict:
    assert reply.status == status, reply.text[:500]
    error = reply.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    if param is not None:
        assert error["param"] == param
    if code is not None:
        assert error["code"] == code
    assert fragment in error["message"]
    return error


def chat(**extra) -> dict:
    return {"model": MODEL, "messages": USER, **extra}


POST_ROUTES = ["/v1/chat/completions", "/v1/redact", "/v1/documents", "/v1/embeddings", "/v1/batches"]


@pytest.mark.parametrize("path", POST_ROUTES)
def test_body_over_limit_is_413(security_api, key, path):
    limit = security_api.services.settings.request_max_body_bytes
    raw = json.dumps({"input": "a" * limit}).encode()
    error = assert_error(security_api.call("POST", path, key, raw=raw), 413, code="payload_too_large")
    assert str(limit) in error["message"]


def test_body_at_limit_is_parsed(security_api, key):
    limit = security_api.services.settings.request_max_body_bytes
    padding = limit - len(json.dumps({"input": "", "x": ""}))
    raw = json.dumps({"input": "", "x": "a" * padding}).encode()
    assert len(raw) == limit
    assert_error(security_api.call("POST", "/v1/redact", key, raw=raw), 400, code="unknown_parameter")


def test_body_over_api_gateway_limit_is_413(security_api, key):
    raw = b'{"input": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    assert_error(security_api.call("POST", "/v1/redact", key, raw=raw), 413, code="payload_too_large")


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        (chat(messages=USER * (MAX_MESSAGES + 1)), "messages", f"at most {MAX_MESSAGES} items"),
        (
            chat(messages=[{"role": "user", "content": "a" * (MAX_MESSAGES_CHARS // 2 + 1)}] * 2),
            "messages",
            f"the limit is {MAX_MESSAGES_CHARS}",
        ),
        (
            chat(messages=[{"role": "user", "content": [{"type": "text", "text": "a" * (MAX_MESSAGES_CHARS + 1)}]}]),
            "messages",
            f"the limit is {MAX_MESSAGES_CHARS}",
        ),
        (chat(max_tokens=MAX_COMPLETION_TOKENS + 1), "max_tokens", str(MAX_COMPLETION_TOKENS)),
        (chat(max_completion_tokens=MAX_COMPLETION_TOKENS + 1), "max_completion_tokens", str(MAX_COMPLETION_TOKENS)),
        (chat(seed=MAX_SEED + 1), "seed", str(MAX_SEED)),
        (chat(seed=-1), "seed", "greater than or equal to 0"),
        (chat(top_k=MAX_TOP_K + 1), "top_k", str(MAX_TOP_K)),
        (chat(model="m" * 257), "model", "at most 256 characters"),
        (chat(stop=["a", "b", "c", "d", "e"]), "stop", "at most 4 items"),
        (chat(retrieval={"collection": "c", "top_k": 21}), "retrieval.top_k", "less than or equal to 20"),
        (chat(retrieval={"collection": "c", "filter": {"k": "v" * 5000}}), "retrieval.filter", "the limit is 4096 bytes"),
    ],
)
def test_chat_limit_is_400(security_api, key, body, param, fragment):
    assert_error(security_api.call("POST", "/v1/chat/completions", key, body), 400, param, "invalid_value", fragment)


def test_chat_at_limits_is_served(security_api, key):
    messages = [{"role": "user", "content": "a " * 10}] * (MAX_MESSAGES - 1) + [{"role": "user", "content": "last"}]
    reply = security_api.call("POST", "/v1/chat/completions", key, chat(messages=messages, seed=MAX_SEED, top_k=MAX_TOP_K))
    assert reply.status == 200, reply.text[:300]


def test_max_tokens_over_context_is_400(security_api, key):
    reply = security_api.call("POST", "/v1/chat/completions", key, chat(max_tokens=MAX_COMPLETION_TOKENS))
    assert_error(reply, 400, "max_tokens", "context_length_exceeded", "maximum context length")


def test_redact_limits_are_400(security_api, key):
    too_many = {"input": ["x"] * (MAX_REDACT_INPUTS + 1)}
    assert_error(security_api.call("POST", "/v1/redact", key, too_many), 400, "input", "invalid_value", "at most 100 items")
    too_long = {"input": ["a" * 100_000, "a" * 100_000, "a"]}
    assert_error(
        security_api.call("POST", "/v1/redact", key, too_long), 400, "input", "invalid_value", f"the limit is {MAX_REDACT_TOTAL_CHARS}"
    )
    one_too_long = {"input": "a" * 100_001}
    assert_error(security_api.call("POST", "/v1/redact", key, one_too_long), 400, "input", "invalid_value", "at most 100000")


def test_documents_limits(security_api, key):
    settings = security_api.services.settings
    many = {"collection": "c", "documents": [{"id": f"d{i}", "text": "x"} for i in range(settings.documents_max_per_request + 1)]}
    assert_error(security_api.call("POST", "/v1/documents", key, many), 400, "documents", "too_many_documents")
    big = {"collection": "c", "documents": [{"id": "d", "text": "x" * (settings.document_max_bytes + 1)}]}
    assert_error(security_api.call("POST", "/v1/documents", key, big), 413, "documents[0].text", "payload_too_large")
    metadata = {"collection": "c", "documents": [{"id": "d", "text": "x", "metadata": {"k": "v" * 9000}}]}
    assert_error(security_api.call("POST", "/v1/documents", key, metadata), 400, "documents[0].metadata", "invalid_value", "8192 bytes")


def test_embeddings_limits(security_api, key):
    settings = security_api.services.settings
    body = {"model": EMBEDDING_MODEL, "input": ["x"] * (settings.embeddings_max_inputs + 1)}
    assert_error(security_api.call("POST", "/v1/embeddings", key, body), 400, "input", fragment="at most 256")
    long_input = {"model": EMBEDDING_MODEL, "input": "word " * 300}
    assert_error(security_api.call("POST", "/v1/embeddings", key, long_input), 400, "input", fragment="tokens")


def test_batch_item_limit_is_400(security_api, key):
    items = [{"custom_id": f"i{i}", "body": chat()} for i in range(MAX_BATCH_ITEMS + 1)]
    assert_error(security_api.call("POST", "/v1/batches", key, {"items": items}), 400, "items", "too_many_items")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b'{"model": "m", "messages": [], "temperature": NaN}', "NaN is not a JSON number"),
        (b'{"collection": "c", "documents": [{"id": "d", "text": "x", "metadata": {"a": Infinity}}]}', "Infinity"),
        (b'{"collection": "c", "documents": [{"id": "d", "text": "x", "metadata": {"a": 1e999}}]}', "out of the range"),
        (b'{"input": "a\\u0000b"}', "NUL character"),
        (b'{"input": "a\\ud800b"}', "unpaired surrogate"),
        (b'{"collection": "c", "documents": [{"id": "d", "text": "x", "metadata": {"\\udfff": 1}}]}', "unpaired surrogate"),
        (b'{"a": ' + b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1) + b"}", "levels deep"),
        (b'{"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", "levels deep"),
        (b'{"a": ' + b"7" * 5000 + b"}", "too many digits"),
    ],
)
@pytest.mark.parametrize("path", POST_ROUTES)
def test_unsafe_json_is_400(security_api, key, path, raw, fragment):
    assert_error(security_api.call("POST", path, key, raw=raw), 400, code="invalid_json", fragment=fragment)


def test_long_unknown_key_gives_short_error(security_api, key):
    raw = json.dumps({"k" * 1_000_000: 1, "input": "x"}).encode()
    reply = security_api.call("POST", "/v1/redact", key, raw=raw)
    assert_error(reply, 400, code="unknown_parameter")
    assert len(reply.text) < 2_000


@pytest.mark.parametrize("query", ["?after=%00", "?after=" + "a" * 257, "?limit=0", "?limit=101", "?limit=abc"])
def test_bad_results_query_is_400(security_api, key, query):
    batch_id = "batch_" + "0" * 32
    assert_error(security_api.call("GET", f"/v1/batches/{batch_id}{query}", key), 400, fragment="")


@pytest.mark.parametrize("batch_id", ["nope", "batch_%00", "batch_" + "0" * 31 + "g", "batch_" + "0" * 33])
def test_malformed_batch_id_is_404(security_api, key, batch_id):
    assert_error(security_api.call("GET", f"/v1/batches/{batch_id}", key), 404, "batch_id", "batch_not_found")


@pytest.mark.parametrize("document_id", ["%00", "-leading-dash", "a" * 201])
def test_malformed_document_id_is_400(security_api, key, document_id):
    reply = security_api.call("DELETE", f"/v1/documents/{document_id}?collection=c", key)
    assert_error(reply, 400, "document_id")


@pytest.mark.parametrize("collection", ["c%0A", "%00", "-x"])
def test_malformed_collection_is_400(security_api, key, collection):
    reply = security_api.call("DELETE", f"/v1/documents/d1?collection={collection}", key)
    assert_error(reply, 400, "collection")


def test_collection_with_newline_is_rejected_in_body(security_api, key):
    body = {"collection": "manuals\n", "documents": [{"id": "d1", "text": "x"}]}
    assert_error(security_api.call("POST", "/v1/documents", key, body), 400, "collection")
    body = {"collection": "manuals", "documents": [{"id": "d1\n", "text": "x"}]}
    assert_error(security_api.call("POST", "/v1/documents", key, body), 400, "documents[0].id")


@pytest.mark.slow
def test_worst_case_screening_at_limit_is_bounded():
    # Digit-dense text is the slowest input of the phone recognizer, about 27 µs per character on 2 cores.
    text = "1 " * (MAX_MESSAGES_CHARS // 2)
    started = time.perf_counter()
    Screener().start().analyze(text)
    elapsed = time.perf_counter() - started
    # The gateway function's timeout is 29 s; the bound leaves room for a slower, shared machine.
    assert elapsed < 20, f"screening {MAX_MESSAGES_CHARS} characters took {elapsed:.1f} s"
