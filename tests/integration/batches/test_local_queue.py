"""Batches end to end through the local SQS (moto on 127.0.0.1) and the event source poller."""

from __future__ import annotations

import time

import pytest
from batch_helpers import TRANSIENT_MARKER, chat_body, get_batch, submit

from sglocal.sqs_poller import SqsPoller, move_messages

# Short, so that a failed item is delivered again within the test.
VISIBILITY_TIMEOUT_S = 1


def queue_depth(client, url: str) -> tuple[int, int]:
    """Return (visible, in flight) messages of a queue."""
    attributes = client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def wait_for(condition, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"condition not met within {timeout_s} s")


@pytest.fixture()
def poller(local_queues, batch_queue, worker, sqs_template):
    [source] = [source for source in sqs_template.event_sources if source.function == "BatchWorkerFunction"]
    running = SqsPoller(
        local_queues.client,
        batch_queue.url,
        batch_queue.arn,
        worker.invoke,
        batch_size=source.batch_size,
        batching_window_s=source.batching_window_s,
        report_batch_item_failures=source.report_batch_item_failures,
        visibility_timeout_s=VISIBILITY_TIMEOUT_S,
    ).start()
    yield running
    running.stop()


def test_batch_runs_through_local_queue(base_url, api_key, local_queues, batch_queue, poller):
    items = [{"custom_id": f"e{index}", "body": chat_body(f"end to end {index}", max_tokens=8)} for index in range(8)]
    items[5]["body"] = chat_body(f"{TRANSIENT_MARKER} end to end 5", max_tokens=8)
    batch_id = submit(base_url, api_key, items).json()["id"]

    body = wait_for(lambda: (found := get_batch(base_url, api_key, batch_id).json())["status"] == "completed" and found)
    assert body["request_counts"] == {"total": 8, "queued": 0, "running": 0, "succeeded": 7, "failed": 1}
    results = {item["custom_id"]: item for item in body["results"]["data"]}
    assert results["e5"]["error"]["code"] == "backend_error"
    assert results["e5"]["attempts"] == 2
    assert results["e0"]["response"]["choices"][0]["message"]["content"] == "echo: end to end 0"
    # Every message was deleted: the seven that succeeded at once and the one that failed on its last receive.
    wait_for(lambda: queue_depth(local_queues.client, batch_queue.url) == (0, 0))
    assert queue_depth(local_queues.client, batch_queue.dead_letter_url) == (0, 0)


def test_unreadable_message_reaches_dead_letter_queue(local_queues, batch_queue, poller):
    client = local_queues.client
    client.send_message(QueueUrl=batch_queue.url, MessageBody="tampered: not a batch item")
    wait_for(lambda: queue_depth(client, batch_queue.dead_letter_url)[0] == 1)
    poller.stop()
    assert queue_depth(client, batch_queue.url) == (0, 0)

    assert move_messages(client, batch_queue.dead_letter_url, batch_queue.url) == 1
    assert queue_depth(client, batch_queue.url) == (1, 0)
    assert queue_depth(client, batch_queue.dead_letter_url) == (0, 0)


@pytest.mark.parametrize(
    ("response", "left"),
    [
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "SECOND"}]}, {"SECOND"}),
        ({"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}, {"FIRST", "SECOND"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"FIRST", "SECOND"}),
        (RuntimeError("handler crashed"), {"FIRST", "SECOND"}),
    ],
    ids=["all succeeded", "one failed", "unknown id", "empty id", "handler raised"],
)
def test_poller_follows_partial_batch_response(local_queues, batch_queue, response, left):
    client = local_queues.client
    ids = {}
    for label in ("FIRST", "SECOND"):
        ids[label] = client.send_message(QueueUrl=batch_queue.url, MessageBody=label)["MessageId"]
    events = []

    def invoke(event):
        events.append(event)
        if isinstance(response, Exception):
            raise response
        failures = [{"itemIdentifier": ids.get(failure["itemIdentifier"], failure["itemIdentifier"])} for failure in response["batchItemFailures"]]
        return {"batchItemFailures": failures}

    poller = SqsPoller(client, batch_queue.url, batch_queue.arn, invoke, batch_size=10, visibility_timeout_s=60)
    assert poller.poll_once(wait_s=0) == 2
    record = events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == batch_queue.arn
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {record["body"] for record in events[0]["Records"]} == {"FIRST", "SECOND"}
    assert queue_depth(client, batch_queue.url) == (0, len(left))
