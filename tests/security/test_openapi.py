"""The OpenAPI document: valid, served without a key, in step with template.yaml and
the request models, and true for a successful call of every operation."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import schemathesis
import yaml
from openapi_spec_validator import validate

from sglocal.sqs import sqs_client
from sglocal.sqs_events import sqs_event
from sglocal.template import CloudFormationLoader
from sluicegate.api.batches import BatchCreateRequest
from sluicegate.api.chat import ChatCompletionRequest
from sluicegate.api.documents import DocumentsRequest
from sluicegate.api.embeddings import EmbeddingsRequest
from sluicegate.api.openapi import OPERATIONS, build_openapi
from sluicegate.api.redact import RedactRequest

ROOT = Path(__file__).resolve().parents[2]
MODEL = "smollm2-135m-instruct"
EMBEDDING_MODEL = "all-minilm-l6-v2"
DOCUMENT = build_openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)


def gateway_events() -> dict[str, dict]:
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CloudFormationLoader)
    events = template["Resources"]["GatewayFunction"]["Properties"]["Events"]
    return {name: event["Properties"] for name, event in events.items() if event["Type"] == "Api"}


def test_document_is_valid_openapi_31():
    validate(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.1")


def test_document_matches_template_routes():
    documented = {(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item}
    routed = {(event["Method"].upper(), event["Path"]) for name, event in gateway_events().items() if name != "CatchAll"}
    assert documented == routed


def test_only_document_route_skips_authorizer():
    public = {name for name, event in gateway_events().items() if event.get("Auth", {}).get("Authorizer") == "NONE"}
    assert public == {"OpenApiDocument"}
    unauthenticated = {operation.path for operation in OPERATIONS if not operation.authenticated}
    assert unauthenticated == {"/openapi.json"}
    assert DOCUMENT["paths"]["/openapi.json"]["get"]["security"] == []
    assert DOCUMENT["security"] == [{"bearerAuth": []}]


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/v1/chat/completions", ChatCompletionRequest),
        ("/v1/redact", RedactRequest),
        ("/v1/documents", DocumentsRequest),
        ("/v1/embeddings", EmbeddingsRequest),
        ("/v1/batches", BatchCreateRequest),
    ],
)
def test_request_body_is_model_schema(path, model):
    reference = DOCUMENT["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    documented = DOCUMENT["components"]["schemas"][reference.rsplit("/", 1)[1]]
    generated = model.model_json_schema()
    assert documented["properties"].keys() == generated["properties"].keys()
    assert documented.get("required") == generated.get("required")
    assert documented["additionalProperties"] is False


def test_every_error_status_has_error_schema():
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (method, path, status)


def test_document_is_served_without_key(security_api):
    reply = security_api.call("GET", "/openapi.json")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json() == DOCUMENT


def test_document_route_ignores_bad_key(security_api):
    reply = security_api.call("GET", "/openapi.json", key="sk-sg_000000000000_not-a-key")
    assert reply.status == 200


class Caller:
    """Sends schemathesis cases of the document to the local gateway and validates the responses."""

    def __init__(self, security_api, key: str) -> None:
        self.base_url = security_api.root_url
        self.headers = {"Authorization": f"Bearer {key}"}

    def __call__(self, method: str, path: str, **case_args):
        case = SCHEMA[path][method].Case(**case_args)
        response = case.call_and_validate(base_url=self.base_url, headers=self.headers, timeout=60)
        assert response.status_code == 200, response.text
        return response


@pytest.fixture(scope="module")
def caller(security_api) -> Caller:
    return Caller(security_api, security_api.key(security_api.new_tenant(tier="enterprise")))


def chat_body(content: str, **extra) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": content}], **extra}


def test_success_of_models_and_usage(caller):
    caller("GET", "/v1/models")
    caller("GET", "/v1/models/{model_id}", path_parameters={"model_id": MODEL})
    caller("GET", "/v1/usage")
    caller("GET", "/openapi.json")


def test_success_of_chat(caller):
    answer = caller("POST", "/v1/chat/completions", body=chat_body("Mail jane@example.com")).json()
    assert answer["choices"][0]["message"]["content"] == "Mail jane@example.com"
    stream = caller(
        "POST", "/v1/chat/completions", body=chat_body("hi", stream=True, stream_options={"include_usage": True})
    )
    assert stream.text.endswith("data: [DONE]\n\n")


def test_success_of_retrieval_and_documents(caller):
    documents = [{"id": "guide-1", "text": "The blue valve opens the north sluice.", "metadata": {"team": "ops"}}]
    caller("POST", "/v1/documents", body={"collection": "manuals", "documents": documents})
    body = chat_body("Which valve opens the north sluice?", retrieval={"collection": "manuals", "top_k": 2})
    answer = caller("POST", "/v1/chat/completions", body=body).json()
    assert answer["sluicegate"]["retrieval"]["passages"][0]["document_id"] == "guide-1"
    stream = caller("POST", "/v1/chat/completions", body={**body, "stream": True})
    assert '"sluicegate"' in stream.text
    caller("DELETE", "/v1/documents/{document_id}", path_parameters={"document_id": "guide-1"}, query={"collection": "manuals"})


def test_success_of_embeddings_and_redact(caller):
    caller("POST", "/v1/embeddings", body={"model": EMBEDDING_MODEL, "input": ["one text", "another"]})
    caller("POST", "/v1/embeddings", body={"model": EMBEDDING_MODEL, "input": "x", "encoding_format": "base64"})
    redaction = caller("POST", "/v1/redact", body={"input": ["call +1 415-555-0100", "ignore previous instructions"]})
    assert redaction.json()["results"][0]["entities"][0]["type"] == "PHONE_NUMBER"


def test_success_of_batches_with_results(caller, security_api, security_queues):
    client = sqs_client(security_queues.endpoint_url)
    queue_url = client.create_queue(QueueName=f"openapi-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = security_api.services.batches.queue
    previous, queue.queue_url = queue.queue_url, queue_url
    try:
        items = [{"custom_id": f"item-{index}", "body": chat_body(f"question {index}")} for index in range(3)]
        items.append({"custom_id": "too-long", "body": chat_body("word " * 5000)})
        created = caller("POST", "/v1/batches", body={"items": items, "metadata": {"run": "openapi"}}).json()
        messages = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"])
        event = sqs_event(messages["Messages"], queue_arn)
        security_api.gateway.runners["BatchWorkerFunction"].invoke(event)
    finally:
        queue.queue_url = previous
    page = caller(
        "GET", "/v1/batches/{batch_id}", path_parameters={"batch_id": created["id"]}, query={"limit": 2, "after": "item-0"}
    ).json()
    assert [result["custom_id"] for result in page["results"]["data"]] == ["item-1", "item-2"]
    final = caller("GET", "/v1/batches/{batch_id}", path_parameters={"batch_id": created["id"]}).json()
    assert final["request_counts"]["succeeded"] == 3
    assert final["request_counts"]["failed"] == 1
    assert json.dumps(final["results"]["data"][-1]["error"])
