"""How the worker claims items: batches still being queued, abandoned attempts,
concurrent deliveries and messages that name no item."""

from __future__ import annotations

import threading

import pytest
from batch_helpers import SLOW_MARKER, chat_body, ledger

from sluicegate.batches.attempt import ItemOutcome
from sluicegate.batches.errors import ItemRetryError, UnreadableMessageError
from sluicegate.batches.models import BatchStatus, ItemMessage, NewItem
from sluicegate.batches.worker import BatchWorker
from sluicegate.quotas.models import Usage
from sluicegate.tenants.models import Principal


@pytest.fixture()
def principal(batch_services, tenant_id) -> Principal:
    record, _ = batch_services.tenants.create_key(tenant_id)
    return Principal(tenant_id=tenant_id, key_id=record.key_id, tier="standard")


class StepClock:
    """A monotonic clock that advances one second per reading, so waits end without sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def create_batch(services, principal, prompts: dict[str, str], start: bool = True):
    items = [NewItem(custom_id, chat_body(prompt, max_tokens=8)) for custom_id, prompt in prompts.items()]
    batch = services.batches.repository.create(principal, items, None)
    if start:
        services.batches.repository.mark_in_progress(batch.id)
    return batch


def item_row(services, batch_id: str, custom_id: str) -> dict:
    with services.db.connection() as conn:
        row = conn.execute(
            "SELECT status, attempts, request_id, error FROM batch_items WHERE batch_id = %s AND custom_id = %s",
            (batch_id, custom_id),
        ).fetchone()
    return dict(zip(("status", "attempts", "request_id", "error"), row))


def expire_lease(services, batch_id: str, custom_id: str) -> None:
    with services.db.connection() as conn:
        conn.execute(
            "UPDATE batch_items SET lease_expires_at = now() - interval '1 second' WHERE batch_id = %s AND custom_id = %s",
            (batch_id, custom_id),
        )


def test_message_waits_for_batch_being_queued(batch_services, principal):
    batch = create_batch(batch_services, principal, {"a": "hello"}, start=False)
    worker = BatchWorker(batch_services)
    timer = threading.Timer(0.5, batch_services.batches.repository.mark_in_progress, (batch.id,))
    timer.start()
    assert worker.process(ItemMessage(batch.id, "a").to_json(), receive_count=1) is ItemOutcome.SUCCEEDED
    timer.join()


def test_message_retried_while_batch_still_queued(batch_services, principal):
    batch = create_batch(batch_services, principal, {"a": "hello"}, start=False)
    worker = BatchWorker(batch_services, sleep=lambda _: None, monotonic=StepClock())
    with pytest.raises(ItemRetryError, match="still being queued"):
        worker.process(ItemMessage(batch.id, "a").to_json(), receive_count=1)
    assert item_row(batch_services, batch.id, "a")["status"] == "queued"


def test_abandoned_submission_fails_batch(batch_services, principal):
    batch = create_batch(batch_services, principal, {"a": "hello"}, start=False)
    with batch_services.db.connection() as conn:
        conn.execute("UPDATE batches SET created_at = now() - interval '10 minutes' WHERE id = %s", (batch.id,))
    worker = BatchWorker(batch_services, sleep=lambda _: None, monotonic=StepClock())
    assert worker.process(ItemMessage(batch.id, "a").to_json(), receive_count=1) is ItemOutcome.SKIPPED
    stored = batch_services.batches.repository.get(principal.tenant_id, batch.id)
    assert stored.status is BatchStatus.FAILED
    assert stored.errors[0]["code"] == "batch_not_queued"


def test_abandoned_charged_attempt_is_not_run_again(batch_services, principal, tenant_id):
    batch = create_batch(batch_services, principal, {"a": "hello"})
    claim = batch_services.batches.items.claim(batch.id, "a", lease_s=60)
    # The attempt reserved and settled, then its invocation died before storing the result.
    quotas = batch_services.quotas
    reservation = quotas.reserve(principal, claim.request_id, prompt_tokens=3, max_tokens=8, micro_usd=10)
    quotas.settle(reservation, Usage("m", "local", 3, 2, 5, "lambda_gb_s", 10))
    expire_lease(batch_services, batch.id, "a")

    outcome = BatchWorker(batch_services).process(ItemMessage(batch.id, "a").to_json(), receive_count=2)
    assert outcome is ItemOutcome.FAILED
    row = item_row(batch_services, batch.id, "a")
    assert row["status"] == "failed"
    assert row["error"]["code"] == "result_not_stored"
    assert claim.request_id in row["error"]["message"]
    assert list(ledger(batch_services, tenant_id)) == [claim.request_id]


def test_abandoned_uncharged_attempt_runs_again(batch_services, principal, tenant_id):
    batch = create_batch(batch_services, principal, {"a": "hello"})
    first = batch_services.batches.items.claim(batch.id, "a", lease_s=60)
    batch_services.quotas.reserve(principal, first.request_id, prompt_tokens=3, max_tokens=8, micro_usd=10)
    expire_lease(batch_services, batch.id, "a")

    outcome = BatchWorker(batch_services).process(ItemMessage(batch.id, "a").to_json(), receive_count=2)
    assert outcome is ItemOutcome.SUCCEEDED
    row = item_row(batch_services, batch.id, "a")
    assert row["attempts"] == 2
    assert row["request_id"] != first.request_id
    assert list(ledger(batch_services, tenant_id)) == [row["request_id"]]


def test_concurrent_deliveries_run_item_once(batch_services, principal, tenant_id):
    batch = create_batch(batch_services, principal, {"a": f"{SLOW_MARKER} hello"})
    body = ItemMessage(batch.id, "a").to_json()
    outcomes: list[object] = []

    def deliver_once() -> None:
        try:
            outcomes.append(BatchWorker(batch_services).process(body, receive_count=1))
        except ItemRetryError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=deliver_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert ItemOutcome.SUCCEEDED in outcomes
    retried = [outcome for outcome in outcomes if isinstance(outcome, ItemRetryError)]
    assert len(retried) == 1
    assert "another delivery" in retried[0].message
    assert len(ledger(batch_services, tenant_id)) == 1


def test_low_remaining_time_defers_item(batch_services, principal):
    batch = create_batch(batch_services, principal, {"a": "hello"})
    with pytest.raises(ItemRetryError, match="not started"):
        BatchWorker(batch_services).process(ItemMessage(batch.id, "a").to_json(), receive_count=1, remaining_time_s=5)
    assert item_row(batch_services, batch.id, "a")["attempts"] == 0


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"batch_id": "batch_x"}', '{"batch_id": "batch_x", "custom_id": "a"}'])
def test_message_without_item_is_unreadable(batch_services, body):
    with pytest.raises(UnreadableMessageError):
        BatchWorker(batch_services).process(body, receive_count=1)

