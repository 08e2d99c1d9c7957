"""Batch worker function: runs the chat requests of POST /v1/batches from the batch queue.

Each SQS record names one batch item. A record whose item must be tried again
is reported in ``batchItemFailures``, so SQS delivers only that message again
and moves it to the dead-letter queue after the redrive policy's
maxReceiveCount.
"""

import warnings

from sluicegate.backends.local import LocalBackend
from sluicegate.settings import get_settings

# Started before the other imports, so that the model loads while they run.
if get_settings().preload_local_model:
    LocalBackend.start_preload(get_settings())

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from sluicegate.batches.errors import ItemRetryError, UnreadableMessageError
from sluicegate.batches.worker import BatchWorker
from sluicegate.observability.metrics import metrics
from sluicegate.services import get_services

logger = Logger(service="sluicegate")
# With every record failed, return them all as failures instead of raising, like a partial failure.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
worker = BatchWorker(get_services())

warnings.filterwarnings("ignore", message="No application metrics to publish")


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> str:
    receive_count = int(record.attributes.approximate_receive_count)
    remaining_s = lambda_context.get_remaining_time_in_millis() / 1000 if lambda_context is not None else None
    try:
        return worker.process(record.body, receive_count, remaining_s).value
    except ItemRetryError as exc:
        logger.warning("batch item left for redelivery", message_id=record.message_id, receive_count=receive_count, reason=exc.message)
        raise
    except UnreadableMessageError as exc:
        logger.error("unreadable batch message", message_id=record.message_id, receive_count=receive_count, reason=exc.message)
        raise
    except Exception:
        logger.exception("batch item failed; SQS delivers it again", message_id=record.message_id, receive_count=receive_count)
        raise


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
