"""The local API Gateway stand-in with the real handlers and database, over real HTTP.

The model backend is a small scripted one here, so these tests check the HTTP
contract (routing, authorizer, SSE framing, headers, EMF) without the model;
tests/e2e repeats the main path with the real model.
"""

from __future__ import annotations

import json

import openai
import pytest
from openai import OpenAI

from sluicegate.backends.base import GenerationChunk, GenerationResult
from local_gateway import serve_gateway
from sluicegate.services import Services

MODEL = "smollm2-135m-instruct"


class ScriptedBackend:
    """Returns a fixed answer in two chunks and records what it was asked."""

    name = "local"

    def __init__(self) -> None:
        self.requests = []

    def count_prompt_tokens(self, messages) -> int:
        return 3 * len(messages)

    def context_window(self) -> int:
        return 64

    def stream(self, request):
        self.requests.append(request)
        yield GenerationChunk("Paris")
        yield GenerationChunk(" it is.", result=GenerationResult("Paris it is.", "stop", self.count_prompt_tokens(request.messages), 3, 0.001))


@pytest.fixture(scope="module")
def local_api(services: Services):
    backend = ScriptedBackend()
    with serve_gateway(services, backend) as base_url:
        yield base_url, backend


@pytest.fixture()
def client(local_api, services, tenant_id) -> OpenAI:
    _, key = services.tenants.create_key(tenant_id)
    return OpenAI(base_url=local_api[0], api_key=key, max_retries=0)


def test_models_list_names_local_model(client):
    assert MODEL in [model.id for model in client.models.list()]


def test_chat_returns_answer_usage_and_headers(client, local_api):
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": "capital?"}], temperature=0, seed=3, stop=["END"], max_tokens=5
    )
    reply = raw.parse()
    assert reply.choices[0].message.content == "Paris it is."
    assert reply.choices[0].finish_reason == "stop"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (3, 3, 6)
    for header in ("x-sluicegate-request-id", "x-sluicegate-backend", "x-sluicegate-cost-usd", "x-sluicegate-overhead-ms"):
        assert raw.headers.get(header), f"missing {header}"
    assert raw.headers["x-sluicegate-backend"] == "local"
    params = local_api[1].requests[-1].params
    assert (params.temperature, params.seed, params.stop, params.max_tokens) == (0.0, 3, ("END",), 5)


def test_stream_works_with_sdk_and_ends_with_usage(client):
    chunks = list(
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "capital?"}], stream=True, stream_options={"include_usage": True}
        )
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == "Paris it is."
    assert chunks[-1].choices == []
    assert chunks[-1].usage.total_tokens == 6
    assert [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices][-1] == "stop"


def test_stream_body_is_valid_event_stream(client):
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True)
    body = raw.http_response.read().decode()
    events = [block for block in body.split("\n\n") if block]
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert all(event.startswith("data: ") for event in events)
    assert events[-1] == "data: [DONE]"
    for event in events[:-1]:
        assert json.loads(event.removeprefix("data: "))["object"] == "chat.completion.chunk"


def test_context_window_error_names_the_sizes(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}], max_tokens=100)
    error = caught.value.body
    assert error["code"] == "context_length_exceeded"
    assert "64 tokens" in error["message"]
    assert error["param"] == "max_tokens"


def test_revoked_key_gets_401_after_cache_miss(local_api, services, tenant_id):
    record, key = services.tenants.create_key(tenant_id)
    services.tenants.revoke_key(tenant_id, record.key_id)
    with pytest.raises(openai.AuthenticationError) as caught:
        OpenAI(base_url=local_api[0], api_key=key, max_retries=0).models.list()
    assert caught.value.body["code"] == "invalid_api_key"


def test_emf_records_follow_catalogue(client, capsys):
    from sluicegate.observability.catalog import CATALOG, NAMESPACE

    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert records, "no EMF record was written"
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == NAMESPACE
            for dimension_set in directive["Dimensions"]:
                assert len(dimension_set) <= 3
                assert "tenant_id" not in dimension_set
            for metric in directive["Metrics"]:
                spec = CATALOG[metric["Name"]]
                assert metric["Unit"] == spec.unit.value
                assert metric["Name"] in record
