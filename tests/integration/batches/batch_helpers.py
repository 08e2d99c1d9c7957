"""Helpers shared by the batch tests."""

from __future__ import annotations

import time
from typing import Any

from http_client import post, request
from sglocal.sqs_events import sqs_event
from sluicegate.backends.base import GenerationChunk, GenerationResult
from sluicegate.errors import BackendError
from sluicegate.quotas.limits import TENANT_SCOPE

MODEL = "smollm2-135m-instruct"
# Prompts containing this make the scripted backend fail with a 502, a retryable error.
TRANSIENT_MARKER = "[backend-outage]"
# Prompts containing this take SLOW_SECONDS to respond.
SLOW_MARKER = "[slow]"
SLOW_SECONDS = 0.5


class ScriptedBackend:
    """Answers "echo: <last message>" with 3 prompt tokens per message and 2 completion tokens."""

    name = "local"

    def __init__(self) -> None:
        self.calls = 0

    def count_prompt_tokens(self, messages) -> int:
        return 3 * len(messages)

    def context_window(self) -> int:
        return 64

    def stream(self, request):
        self.calls += 1
        prompt = request.messages[-1].content
        if TRANSIENT_MARKER in prompt:
            raise BackendError("the scripted backend is unavailable")
        if SLOW_MARKER in prompt:
            time.sleep(SLOW_SECONDS)
        text = f"echo: {prompt}"
        yield GenerationChunk(text, result=GenerationResult(text, "stop", self.count_prompt_tokens(request.messages), 2, 0.001))


def chat_body(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": prompt}], **extra}


def submit(base_url: str, key: str, items: list[dict[str, Any]], **extra: Any):
    return post(f"{base_url}/batches", key, {"items": items, **extra})


def get_batch(base_url: str, key: str, batch_id: str, query: str = ""):
    return request("GET", f"{base_url}/batches/{batch_id}{query}", key)


def receive_all(client, queue_url: str, expected: int) -> list[dict[str, Any]]:
    """Receive ``expected`` messages (or all there are), with every system attribute."""
    messages: list[dict[str, Any]] = []
    for _ in range(expected // 10 + 5):
        if len(messages) >= expected:
            break
        response = client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]
        )
        messages.extend(response.get("Messages", []))
    return messages


def make_visible(client, queue_url: str, messages: list[dict[str, Any]]) -> None:
    """End the visibility timeout of received messages, so that SQS delivers them again now."""
    for start in range(0, len(messages), 10):
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}
            for index, message in enumerate(messages[start : start + 10])
        ]
        client.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)


def deliver(worker, messages: list[dict[str, Any]], queue_arn: str, batch_size: int = 5) -> set[str]:
    """Invoke the worker in batches of ``batch_size``; returns every message id it reported as failed."""
    failed: set[str] = set()
    for start in range(0, len(messages), batch_size):
        response = worker.invoke(sqs_event(messages[start : start + batch_size], queue_arn))
        failed |= {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
    return failed


def ledger(services, tenant_id: str) -> dict[str, tuple[int, int]]:
    """Return the tenant's usage ledger as ``{request id: (total tokens, micro-USD)}``."""
    with services.db.connection() as conn:
        rows = conn.execute(
            "SELECT request_id, prompt_tokens + completion_tokens, cost_micro_usd FROM usage_ledger WHERE tenant_id = %s",
            (tenant_id,),
        ).fetchall()
    return {request_id: (tokens, micro_usd) for request_id, tokens, micro_usd in rows}


def tenant_counters(services, tenant_id: str, limit_name: str) -> tuple[int, int]:
    """Return ``(used, reserved)`` summed over the tenant-scope counter rows of one limit."""
    with services.db.connection() as conn:
        row = conn.execute(
            "SELECT coalesce(sum(used), 0), coalesce(sum(reserved), 0) FROM quota_counters"
            " WHERE tenant_id = %s AND scope = %s AND limit_name = %s",
            (tenant_id, TENANT_SCOPE, limit_name),
        ).fetchone()
    return int(row[0]), int(row[1])


def results_by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["custom_id"]: item for item in body["results"]["data"]}
