"""The local stand-in for the Lambda SQS event source mapping.

The poller receives up to BatchSize messages, waiting up to
MaximumBatchingWindowInSeconds to fill a batch, invokes the function with a
Lambda SQS event, deletes the messages that succeeded and leaves the others to
reappear after the visibility timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from .sqs_events import sqs_event

logger = logging.getLogger("sglocal.sqs")

# ReceiveMessage returns at most 10 messages per call, and the batch calls take at most 10 entries.
RECEIVE_MAX = 10


class SqsPoller:
    """Feeds one function from one queue in batches, as the Lambda SQS event source does."""

    def __init__(
        self,
        client: Any,
        queue_url: str,
        queue_arn: str,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        batch_size: int = 10,
        batching_window_s: float = 0.0,
        report_batch_item_failures: bool = True,
        visibility_timeout_s: int | None = None,
    ) -> None:
        self.client = client
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.invoke = invoke
        self.batch_size = batch_size
        self.batching_window_s = batching_window_s
        self.report_batch_item_failures = report_batch_item_failures
        # Overrides the queue's visibility timeout per receive, for quicker retries locally.
        self.visibility_timeout_s = visibility_timeout_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self, wait_s: int = 1) -> int:
        """Receive one batch, invoke the function, delete what succeeded, and return the batch size."""
        messages = self._receive_batch(wait_s)
        if not messages:
            return 0
        failed = self._invoke(messages)
        self._delete([message for message in messages if message["MessageId"] not in failed])
        return len(messages)

    def _receive(self, count: int, wait_s: int) -> list[dict[str, Any]]:
        extra = {"VisibilityTimeout": self.visibility_timeout_s} if self.visibility_timeout_s is not None else {}
        response = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(count, RECEIVE_MAX),
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            **extra,
        )
        return response.get("Messages", [])

    def _receive_batch(self, wait_s: int) -> list[dict[str, Any]]:
        messages = self._receive(self.batch_size, wait_s)
        deadline = time.monotonic() + self.batching_window_s
        while messages and len(messages) < self.batch_size and time.monotonic() < deadline:
            more = self._receive(self.batch_size - len(messages), 0)
            messages.extend(more)
            if not more:
                time.sleep(0.1)
        return messages

    def _invoke(self, messages: list[dict[str, Any]]) -> set[str]:
        """Invoke the function and return the ids of the messages to leave on the queue."""
        batch_ids = {message["MessageId"] for message in messages}
        try:
            response = self.invoke(sqs_event(messages, self.queue_arn))
        except Exception:
            logger.exception("the function raised; all %d messages of the batch will be delivered again", len(messages))
            return batch_ids
        if not self.report_batch_item_failures or not isinstance(response, dict):
            return set()
        failed: set[str] = set()
        for failure in response.get("batchItemFailures") or []:
            item_id = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if item_id not in batch_ids:
                # Lambda treats an empty or unknown itemIdentifier as a failure of the whole batch.
                logger.error("invalid itemIdentifier %r in the batch response; the whole batch is retried", item_id)
                return batch_ids
            failed.add(item_id)
        if failed:
            logger.info("%d of %d messages failed and will be delivered again", len(failed), len(messages))
        return failed

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), RECEIVE_MAX):
            group = messages[start : start + RECEIVE_MAX]
            entries = [{"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]} for index, message in enumerate(group)]
            response = self.client.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            for failure in response.get("Failed") or []:
                logger.error("could not delete a processed message: %s", failure)

    def start(self) -> "SqsPoller":
        self._thread = threading.Thread(target=self._run, name=f"sqs-poller-{self.queue_arn.rsplit(':', 1)[-1]}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.poll_once()
                failures = 0
            except Exception:
                failures += 1
                logger.exception("polling %s failed (%d in a row)", self.queue_url, failures)
                self._stop.wait(min(5.0, 0.5 * 2**failures))

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)


def move_messages(client: Any, source_url: str, destination_url: str, max_messages: int = 1000) -> int:
    """Move up to ``max_messages`` from a dead-letter queue back to its source queue, and return how many moved.

    moto 5.2 does not implement StartMessageMoveTask, so local redrives use this instead.
    """
    moved = 0
    while moved < max_messages:
        messages = client.receive_message(QueueUrl=source_url, MaxNumberOfMessages=min(RECEIVE_MAX, max_messages - moved), MessageAttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        for message in messages:
            client.send_message(QueueUrl=destination_url, MessageBody=message["Body"], MessageAttributes=message.get("MessageAttributes") or {})
            client.delete_message(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved
