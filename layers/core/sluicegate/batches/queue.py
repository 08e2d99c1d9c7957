"""The batch queue adapter: SQS through boto3."""

from __future__ import annotations

import logging
from typing import Any, Callable

from ..settings import Settings
from .errors import QueueUnavailableError
from .models import ItemMessage

logger = logging.getLogger(__name__)

# SendMessageBatch accepts at most 10 entries per call.
SEND_BATCH_SIZE = 10
# Calls per group of 10 while some entries keep failing with a server-side error.
MAX_SEND_ATTEMPTS = 3
# Local emulators accept any credentials, and these are never valid in AWS.
_EMULATOR_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}


def build_sqs_client(settings: Settings) -> Any:
    """Create the SQS client of this container, pointed at ``settings.sqs_endpoint_url`` when it is set."""
    import boto3
    from botocore.config import Config

    # Short timeouts, because POST /v1/batches must respond within API Gateway's 29 s.
    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
    if settings.sqs_endpoint_url:
        return boto3.client("sqs", endpoint_url=settings.sqs_endpoint_url, config=config, **_EMULATOR_CREDENTIALS)
    return boto3.client("sqs", config=config)


class BatchQueue:
    """Sends item messages to the batch queue in groups of ten."""

    def __init__(self, sqs: Callable[[], Any], queue_url: str | None) -> None:
        self._sqs = sqs
        self.queue_url = queue_url

    def ensure_configured(self) -> None:
        if not self.queue_url:
            raise QueueUnavailableError(
                "batches are not enabled on this deployment: SLUICEGATE_BATCH_QUEUE_URL is not set"
            )

    def send(self, messages: list[ItemMessage]) -> None:
        """Send every message, or raise ``QueueUnavailableError`` when any of them could not be sent."""
        self.ensure_configured()
        for start in range(0, len(messages), SEND_BATCH_SIZE):
            group = messages[start : start + SEND_BATCH_SIZE]
            entries = [{"Id": str(start + offset), "MessageBody": message.to_json()} for offset, message in enumerate(group)]
            self._send_group(entries)

    def _send_group(self, entries: list[dict[str, str]]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        pending = entries
        for _ in range(MAX_SEND_ATTEMPTS):
            try:
                response = self._sqs().send_message_batch(QueueUrl=self.queue_url, Entries=pending)
            except (BotoCoreError, ClientError) as exc:
                logger.error("sending batch items to %s failed: %s", self.queue_url, exc)
                raise QueueUnavailableError(f"the batch queue did not accept the items ({type(exc).__name__}); retry later") from exc
            failed = response.get("Failed") or []
            if not failed:
                return
            sender_faults = [entry for entry in failed if entry.get("SenderFault")]
            if sender_faults:
                first = sender_faults[0]
                raise QueueUnavailableError(
                    f"the batch queue rejected item {first['Id']}: {first.get('Code')} {first.get('Message', '')}".strip()
                )
            failed_ids = {entry["Id"] for entry in failed}
            logger.warning("the batch queue failed %d of %d entries; sending them again", len(failed_ids), len(pending))
            pending = [entry for entry in pending if entry["Id"] in failed_ids]
        raise QueueUnavailableError(
            f"the batch queue kept failing {len(pending)} items after {MAX_SEND_ATTEMPTS} attempts; retry later"
        )
