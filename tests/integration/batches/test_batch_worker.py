"""The batch worker on real SQS messages (moto) and the real database, with a scripted model."""

from __future__ import annotations

import json

from batch_helpers import (
    TRANSIENT_MARKER,
    chat_body,
    deliver,
    get_batch,
    ledger,
    make_visible,
    receive_all,
    results_by_id,
    submit,
    tenant_counters,
)


def item_of(message: dict) -> str:
    return json.loads(message["Body"])["custom_id"]


def test_twenty_items_with_three_poison(base_url, api_key, worker, local_queues, batch_queue, batch_services, tenant_id):
    items = [{"custom_id": f"q{index}", "body": chat_body(f"question {index}", max_tokens=8)} for index in range(20)]
    # Two items hit a backend outage (retryable); one passes validation but is too long for the model (permanent).
    items[3]["body"] = chat_body(f"{TRANSIENT_MARKER} question 3", max_tokens=8)
    items[11]["body"] = chat_body(f"{TRANSIENT_MARKER} question 11", max_tokens=8)
    items[17]["body"] = chat_body("question 17", max_tokens=100)
    created = submit(base_url, api_key, items)
    assert created.status == 200, created.text
    batch_id = created.json()["id"]
    assert created.json()["status"] == "in_progress"

    queue_url, queue_arn = batch_queue.url, batch_queue.arn
    messages = receive_all(local_queues.client, queue_url, 20)
    assert len(messages) == 20
    failed = deliver(worker, messages, queue_arn)
    transient_ids = {message["MessageId"] for message in messages if item_of(message) in {"q3", "q11"}}
    assert failed == transient_ids

    middle = get_batch(base_url, api_key, batch_id).json()
    assert middle["status"] == "in_progress"
    assert middle["request_counts"] == {"total": 20, "queued": 2, "running": 0, "succeeded": 17, "failed": 1}
    results = results_by_id(middle)
    assert results["q3"]["status"] == "queued"
    assert results["q3"]["last_error"]["code"] == "backend_error"
    assert results["q17"]["status"] == "failed"
    assert results["q17"]["status_code"] == 400
    assert results["q17"]["error"]["code"] == "context_length_exceeded"

    # SQS delivers the two failed messages again; this is their last receive, so they fail for good.
    make_visible(local_queues.client, queue_url, [message for message in messages if message["MessageId"] in failed])
    redelivered = receive_all(local_queues.client, queue_url, 2)
    assert {message["MessageId"] for message in redelivered} == transient_ids
    assert {message["Attributes"]["ApproximateReceiveCount"] for message in redelivered} == {"2"}
    assert deliver(worker, redelivered, queue_arn) == set()

    final = get_batch(base_url, api_key, batch_id).json()
    assert final["status"] == "completed"
    assert final["completed_at"] is not None
    assert final["request_counts"] == {"total": 20, "queued": 0, "running": 0, "succeeded": 17, "failed": 3}
    results = results_by_id(final)
    assert [custom_id for custom_id in results if results[custom_id]["status"] == "failed"] == ["q3", "q11", "q17"]
    assert results["q3"]["error"]["code"] == "backend_error"
    assert results["q3"]["status_code"] == 502
    assert results["q3"]["attempts"] == 2
    assert results["q0"]["response"]["choices"][0]["message"]["content"] == "echo: question 0"
    assert results["q0"]["response"]["object"] == "chat.completion"
    assert results["q0"]["status_code"] == 200
    assert len(ledger(batch_services, tenant_id)) == 17


def test_redelivery_changes_no_result_or_charge(base_url, api_key, worker, local_queues, batch_queue, batch_services, tenant_id):
    items = [{"custom_id": f"r{index}", "body": chat_body(f"redelivered {index}", max_tokens=8)} for index in range(6)]
    batch_id = submit(base_url, api_key, items).json()["id"]
    queue_url, queue_arn = batch_queue.url, batch_queue.arn
    messages = receive_all(local_queues.client, queue_url, 6)
    assert deliver(worker, messages, queue_arn) == set()

    before = get_batch(base_url, api_key, batch_id).json()
    charged = ledger(batch_services, tenant_id)
    counters = tenant_counters(batch_services, tenant_id, "tokens_per_day")
    calls = batch_services.catalog.get(chat_body("")["model"]).backend().calls

    # The same event again (a duplicate delivery), then the messages as SQS delivers them a second time.
    assert deliver(worker, messages, queue_arn) == set()
    make_visible(local_queues.client, queue_url, messages)
    again = receive_all(local_queues.client, queue_url, 6)
    assert {message["Attributes"]["ApproximateReceiveCount"] for message in again} == {"2"}
    assert deliver(worker, again, queue_arn) == set()

    after = get_batch(base_url, api_key, batch_id).json()
    assert after["results"] == before["results"]
    assert after["request_counts"] == before["request_counts"] == {"total": 6, "queued": 0, "running": 0, "succeeded": 6, "failed": 0}
    assert ledger(batch_services, tenant_id) == charged
    assert len(charged) == 6
    assert tenant_counters(batch_services, tenant_id, "tokens_per_day") == counters
    assert counters == (6 * 5, 0)
    assert batch_services.catalog.get(chat_body("")["model"]).backend().calls == calls


def test_budget_exhausted_midway(base_url, api_key, worker, local_queues, batch_queue, batch_services, tenant_id):
    # Each item reserves 3 prompt + 8 max tokens = 11 and settles at 5, so 8 items fit in 50 tokens.
    batch_services.quotas.limits.set_overrides(tenant_id, values={"tokens_per_day": 50})
    items = [{"custom_id": f"b{index}", "body": chat_body(f"budget {index}", max_tokens=8)} for index in range(12)]
    batch_id = submit(base_url, api_key, items).json()["id"]
    queue_url, queue_arn = batch_queue.url, batch_queue.arn
    messages = sorted(receive_all(local_queues.client, queue_url, 12), key=lambda message: int(item_of(message)[1:]))
    assert deliver(worker, messages, queue_arn) == set()

    body = get_batch(base_url, api_key, batch_id).json()
    assert body["status"] == "completed"
    assert body["request_counts"] == {"total": 12, "queued": 0, "running": 0, "succeeded": 8, "failed": 4}
    results = results_by_id(body)
    assert [results[f"b{index}"]["status"] for index in range(12)] == ["succeeded"] * 8 + ["failed"] * 4
    for index in range(8, 12):
        assert results[f"b{index}"]["error"]["code"] == "insufficient_quota"
        assert results[f"b{index}"]["status_code"] == 429
        assert "tokens-per-day limit" in results[f"b{index}"]["error"]["message"]

    charged = ledger(batch_services, tenant_id)
    assert sorted(charged) == sorted(results[f"b{index}"]["request_id"] for index in range(8))
    assert sum(tokens for tokens, _ in charged.values()) == 40
    assert tenant_counters(batch_services, tenant_id, "tokens_per_day") == (40, 0)

    # Delivering everything again runs nothing: the succeeded stay charged once, the failed stay failed.
    assert deliver(worker, messages, queue_arn) == set()
    assert results_by_id(get_batch(base_url, api_key, batch_id).json()) == results
    assert ledger(batch_services, tenant_id) == charged
    assert tenant_counters(batch_services, tenant_id, "tokens_per_day") == (40, 0)
