"""POST /v1/embeddings with the built all-MiniLM-L6-v2 model, through the OpenAI SDK."""

from __future__ import annotations

import threading

import numpy as np
import openai
import pytest
from openai import OpenAI

pytestmark = pytest.mark.model

MODEL = "all-minilm-l6-v2"


@pytest.fixture()
def client(model_rag_api, tenant_id) -> OpenAI:
    return OpenAI(base_url=model_rag_api.base_url, api_key=model_rag_api.key(tenant_id), max_retries=0)


def test_list_input_returns_vectors_in_order(client, model_rag_api):
    texts = ["The cat sat on the mat.", "Serverless functions scale to zero.", "A kitten rests on a rug."]
    reply = client.embeddings.create(model=MODEL, input=texts, encoding_format="float")
    vectors = np.array([item.embedding for item in reply.data], dtype=np.float32)
    assert [item.index for item in reply.data] == [0, 1, 2]
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[2] > vectors[0] @ vectors[1]
    expected = model_rag_api.services.embedder.embed(texts)
    assert np.allclose(vectors, expected, atol=1e-6)


def test_usage_counts_real_tokens(client, model_rag_api):
    texts = ["hello world", "Émojis 🚀 and accents: café, naïve, Zürich."]
    reply = client.embeddings.create(model=MODEL, input=texts)
    expected = sum(model_rag_api.services.embedder.count_tokens(texts))
    assert reply.usage.prompt_tokens == expected
    assert reply.usage.total_tokens == expected
    assert model_rag_api.services.embedder.count_tokens(["hello world"]) == [4]


def test_base64_matches_float(client):
    # The SDK requests base64 by default and decodes it to floats.
    decoded = client.embeddings.create(model=MODEL, input="Base64 round trip.").data[0].embedding
    plain = client.embeddings.create(model=MODEL, input="Base64 round trip.", encoding_format="float").data[0].embedding
    assert np.array_equal(np.array(decoded, dtype=np.float32), np.array(plain, dtype=np.float32))


@pytest.mark.parametrize(
    ("arguments", "param", "error"),
    [
        ({"input": [1, 2, 3]}, "input", openai.BadRequestError),
        ({"input": [[1, 2], [3]]}, "input", openai.BadRequestError),
        ({"input": []}, "input", openai.BadRequestError),
        ({"input": ""}, "input", openai.BadRequestError),
        ({"input": "x", "dimensions": 128}, "dimensions", openai.BadRequestError),
        ({"input": "x", "model": "text-embedding-3-small"}, "model", openai.NotFoundError),
        ({"input": "word " * 300}, "input", openai.BadRequestError),
    ],
)
def test_invalid_requests_name_the_parameter(client, arguments, param, error):
    arguments = {"model": MODEL, "encoding_format": "float", **arguments}
    with pytest.raises(error) as caught:
        client.embeddings.create(**arguments)
    assert caught.value.body["param"] == param


def test_too_long_input_names_its_index(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=MODEL, input=["short", "word " * 300], encoding_format="float")
    assert caught.value.body["param"] == "input[1]"
    assert caught.value.body["code"] == "context_length_exceeded"
    assert "302 tokens" in caught.value.body["message"]


def test_two_tenants_get_their_own_results(model_rag_api, tenant_id, other_tenant_id):
    clients = {
        tenant: OpenAI(base_url=model_rag_api.base_url, api_key=model_rag_api.key(tenant), max_retries=0)
        for tenant in (tenant_id, other_tenant_id)
    }
    inputs = {tenant_id: ["alpha one", "alpha two"], other_tenant_id: ["beta " * 40]}
    replies: dict[str, object] = {}

    def run(tenant: str) -> None:
        for _ in range(3):
            replies[tenant] = clients[tenant].embeddings.create(model=MODEL, input=inputs[tenant], encoding_format="float")

    threads = [threading.Thread(target=run, args=(tenant,)) for tenant in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    embedder = model_rag_api.services.embedder
    for tenant, texts in inputs.items():
        reply = replies[tenant]
        assert len(reply.data) == len(texts)
        assert np.allclose([item.embedding for item in reply.data], embedder.embed(texts), atol=1e-6)
        assert reply.usage.prompt_tokens == sum(embedder.count_tokens(texts))
