"""Retrieval-augmented chat as a user runs it: documents in, a question through the OpenAI
SDK, an answer from the real SmolLM2 model that uses a fact it cannot know otherwise."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest
from openai import OpenAI

pytestmark = pytest.mark.model

MODEL = "smollm2-135m-instruct"
DOCUMENTS = [
    {"id": "zanthor-vault", "text": "The access code for the Zanthor vault is 7349.", "metadata": {"kind": "security"}},
    {"id": "zanthor-garden", "text": "The Zanthor garden is watered by a robot named Pell.", "metadata": {"kind": "garden"}},
    {"id": "meridian-ship", "text": "The cargo ship Meridian sails from Quobel harbour every Tuesday.", "metadata": {"kind": "ships"}},
]


def post_documents(base_url: str, api_key: str, body: dict) -> dict:
    request = urllib.request.Request(base_url + "/documents", data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {api_key}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.fixture()
def collection(gateway) -> str:
    name = f"rag-e2e-{uuid.uuid4().hex[:8]}"
    stored = post_documents(gateway.base_url, gateway.api_key, {"collection": name, "documents": DOCUMENTS})
    assert [item["status"] for item in stored["data"]] == ["created"] * 3
    return name


def test_answer_uses_retrieved_fact(gateway, collection):
    client = OpenAI(base_url=gateway.base_url, api_key=gateway.api_key, max_retries=0, timeout=120)
    raw = client.chat.completions.with_raw_response.create(
        model=MODEL,
        messages=[{"role": "user", "content": "What is the access code for the Zanthor vault?"}],
        temperature=0,
        max_tokens=40,
        extra_body={"retrieval": {"collection": collection, "top_k": 2}},
    )
    reply = raw.parse()
    body = json.loads(raw.http_response.text)
    answer = reply.choices[0].message.content
    assert "7349" in answer, answer
    assert raw.headers["x-sluicegate-retrieval"] == "ok"
    retrieval = body["sluicegate"]["retrieval"]
    assert retrieval["collection"] == collection
    assert retrieval["template_version"] == "rag-v1"
    assert retrieval["passages"][0]["document_id"] == "zanthor-vault"
    assert retrieval["passages"][0]["chunk_id"] == "zanthor-vault#0"
    assert retrieval["passages"][0]["score"] > retrieval["passages"][1]["score"]


def test_without_retrieval_model_lacks_fact(gateway, collection):
    client = OpenAI(base_url=gateway.base_url, api_key=gateway.api_key, max_retries=0, timeout=120)
    reply = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "What is the access code for the Zanthor vault?"}],
        temperature=0,
        max_tokens=40,
    )
    assert "7349" not in reply.choices[0].message.content
