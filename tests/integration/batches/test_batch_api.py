"""``POST /v1/batches`` and ``GET /v1/batches/{batch_id}`` over real HTTP."""

from __future__ import annotations

import json

import pytest
from batch_helpers import MODEL, chat_body, deliver, get_batch, ledger, receive_all, submit
from botocore.exceptions import ClientError
from http_client import post


def batch_rows(services, tenant_id: str) -> list[tuple[str, str]]:
    with services.db.connection() as conn:
        return conn.execute("SELECT id, status FROM batches WHERE tenant_id = %s ORDER BY created_at", (tenant_id,)).fetchall()


def test_create_returns_batch_object(base_url, api_key, batch_queue, local_queues):
    items = [{"custom_id": "a", "body": chat_body("hello")}, {"custom_id": "b", "body": chat_body("again")}]
    response = submit(base_url, api_key, items, metadata={"project": "docs"})
    assert response.status == 200, response.text
    body = response.json()
    assert body["id"].startswith("batch_")
    assert body["object"] == "batch"
    assert body["endpoint"] == "/v1/chat/completions"
    assert body["status"] == "in_progress"
    assert body["metadata"] == {"project": "docs"}
    assert body["errors"] is None
    assert body["request_counts"] == {"total": 2, "queued": 2, "running": 0, "succeeded": 0, "failed": 0}
    assert response.headers["x-sluicegate-request-id"]
    messages = receive_all(local_queues.client, batch_queue.url, 2)
    assert sorted(json.loads(message["Body"])["custom_id"] for message in messages) == ["a", "b"]


BAD_BATCHES = [
    ("no items", {"items": []}, "items", "invalid_value"),
    ("missing custom_id", {"items": [{"body": chat_body("x")}]}, "items[0].custom_id", "missing_required_parameter"),
    (
        "duplicate custom_id",
        {"items": [{"custom_id": "same", "body": chat_body("x")}, {"custom_id": "same", "body": chat_body("y")}]},
        "items[1].custom_id",
        "duplicate_custom_id",
    ),
    (
        "invalid role",
        {"items": [{"custom_id": "a", "body": chat_body("x")}, {"custom_id": "b", "body": {"model": MODEL, "messages": [{"role": "robot", "content": "x"}]}}]},
        "items[1].body.messages[0].role",
        "invalid_value",
    ),
    ("missing messages", {"items": [{"custom_id": "a", "body": {"model": MODEL}}]}, "items[0].body.messages", "missing_required_parameter"),
    ("unknown body field", {"items": [{"custom_id": "a", "body": chat_body("x", tools=[])}]}, "items[0].body.tools", "unknown_parameter"),
    ("stream", {"items": [{"custom_id": "a", "body": chat_body("x", stream=True)}]}, "items[0].body.stream", "invalid_value"),
    ("unknown field", {"items": [{"custom_id": "a", "body": chat_body("x")}], "input_file_id": "f"}, "input_file_id", "unknown_parameter"),
    ("too much metadata", {"items": [{"custom_id": "a", "body": chat_body("x")}], "metadata": {f"k{i}": "v" for i in range(17)}}, "metadata", "invalid_value"),
    ("too many items", {"items": [{"custom_id": f"i{i}", "body": chat_body("x")} for i in range(1001)]}, "items", "too_many_items"),
]


@pytest.mark.parametrize(("case", "payload", "param", "code"), BAD_BATCHES, ids=[case[0] for case in BAD_BATCHES])
def test_invalid_batch_is_400_and_stores_nothing(base_url, api_key, batch_queue, batch_services, tenant_id, case, payload, param, code):
    response = post(f"{base_url}/batches", api_key, payload)
    assert response.status == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["code"] == code
    assert batch_rows(batch_services, tenant_id) == []
    assert receive_all(batch_services.sqs, batch_queue.url, 1) == []


def test_invalid_item_message_names_item(base_url, api_key, batch_queue):
    items = [{"custom_id": "ok", "body": chat_body("x")}, {"custom_id": "bad", "body": chat_body("x", temperature=7)}]
    error = submit(base_url, api_key, items).json()["error"]
    assert error["message"].startswith("items[1] (custom_id 'bad'): invalid value for 'temperature'")


def test_unknown_model_is_404_before_storing(base_url, api_key, batch_queue, batch_services, tenant_id):
    response = submit(base_url, api_key, [{"custom_id": "a", "body": {"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}}])
    assert response.status == 404
    assert response.json()["error"]["code"] == "model_not_found"
    assert response.json()["error"]["param"] == "items[0].body.model"
    assert batch_rows(batch_services, tenant_id) == []


def test_other_tenant_gets_404(base_url, api_key, batch_queue, batch_services):
    batch_id = submit(base_url, api_key, [{"custom_id": "a", "body": chat_body("mine")}]).json()["id"]
    assert get_batch(base_url, api_key, batch_id).status == 200
    other_tenant = "t-other-" + batch_id[-8:]
    batch_services.tenants.create_tenant(other_tenant, "Other tenant")
    other_key = batch_services.tenants.create_key(other_tenant)[1]
    response = get_batch(base_url, other_key, batch_id)
    assert response.status == 404
    assert response.json()["error"]["code"] == "batch_not_found"
    assert "mine" not in response.text


def test_unknown_batch_is_404(base_url, api_key):
    response = get_batch(base_url, api_key, "batch_doesnotexist")
    assert response.status == 404
    assert response.json()["error"]["param"] == "batch_id"


def test_results_are_paged(base_url, api_key, batch_queue):
    items = [{"custom_id": f"p{index}", "body": chat_body("x")} for index in range(5)]
    batch_id = submit(base_url, api_key, items).json()["id"]
    first = get_batch(base_url, api_key, batch_id, "?limit=2").json()["results"]
    assert [item["custom_id"] for item in first["data"]] == ["p0", "p1"]
    assert first["has_more"] is True
    second = get_batch(base_url, api_key, batch_id, f"?limit=2&after={first['last_id']}").json()["results"]
    assert [item["custom_id"] for item in second["data"]] == ["p2", "p3"]
    last = get_batch(base_url, api_key, batch_id, "?limit=2&after=p3").json()["results"]
    assert [item["custom_id"] for item in last["data"]] == ["p4"]
    assert last["has_more"] is False
    assert get_batch(base_url, api_key, batch_id, "?limit=0").status == 400
    assert get_batch(base_url, api_key, batch_id, "?after=nope").status == 404


class FailingSecondSend:
    """An SQS client whose second SendMessageBatch call fails, as during an SQS outage."""

    def __init__(self, client) -> None:
        self.client = client
        self.calls = 0

    def send_message_batch(self, **kwargs):
        self.calls += 1
        if self.calls == 2:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "scripted outage"}}, "SendMessageBatch")
        return self.client.send_message_batch(**kwargs)


def test_queue_failure_fails_batch_and_runs_nothing(base_url, api_key, batch_queue, batch_services, tenant_id, worker):
    queue = batch_services.batches.queue
    failing = FailingSecondSend(batch_services.sqs)
    previous, queue._sqs = queue._sqs, lambda: failing
    try:
        items = [{"custom_id": f"f{index}", "body": chat_body(f"never {index}")} for index in range(15)]
        response = submit(base_url, api_key, items)
    finally:
        queue._sqs = previous
    assert response.status == 503
    assert response.json()["error"]["code"] == "queue_unavailable"
    [(batch_id, status)] = batch_rows(batch_services, tenant_id)
    assert status == "failed"
    assert batch_id in response.json()["error"]["message"]

    # The first group of ten was sent before the failure; the worker skips those messages.
    sent = receive_all(batch_services.sqs, batch_queue.url, 10)
    assert len(sent) == 10
    assert deliver(worker, sent, batch_queue.arn) == set()
    body = get_batch(base_url, api_key, batch_id).json()
    assert body["status"] == "failed"
    assert body["errors"]["data"][0]["code"] == "queue_unavailable"
    assert body["request_counts"]["succeeded"] == 0
    assert ledger(batch_services, tenant_id) == {}
