"""Fixtures for the batch tests: a moto SQS on 127.0.0.1, services wired to it, the
gateway over real HTTP and the batch worker function, all with a scripted model."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from batch_helpers import MODEL, ScriptedBackend

from sglocal.runtime import FunctionRunner, apply_template_environment
from sglocal.server import LocalApiGateway, make_http_server
from sglocal.sqs import LocalQueues, start_local_sqs
from sglocal.sqs_events import load_sqs_template
from sglocal.template import load_template
from sluicegate.services import Services
from sluicegate.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
# Low, so that the second delivery of a failing item is its last one.
MAX_RECEIVE_COUNT = 2


@pytest.fixture(scope="session")
def sqs_template():
    return load_sqs_template(ROOT / "template.yaml")


@pytest.fixture(scope="session")
def local_queues(sqs_template) -> LocalQueues:
    queues = start_local_sqs(sqs_template)
    yield queues
    queues.stop()


@pytest.fixture(scope="session")
def batch_services(services, local_queues) -> Services:
    """Services whose batch queue is the moto queue; the session's ``services`` have no queue."""
    settings = Settings(
        **{
            **services.settings.model_dump(),
            "batch_queue_url": local_queues.urls["BatchQueue"],
            "sqs_endpoint_url": local_queues.endpoint_url,
            "batch_max_receive_count": MAX_RECEIVE_COUNT,
        }
    )
    built = Services(settings)
    built.db.migrate()
    built.catalog.get(MODEL)._backend = ScriptedBackend()
    yield built
    built.db.close()


@pytest.fixture(scope="session")
def gateway(batch_services):
    """The local API Gateway on 127.0.0.1 with every function of template.yaml, using ``batch_services``."""
    import sluicegate.services as services_module

    previous = services_module._services
    services_module._services = batch_services
    template = load_template(ROOT / "template.yaml")
    apply_template_environment(template.functions)
    local_gateway = LocalApiGateway(template)
    server = make_http_server(local_gateway, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", local_gateway
    server.shutdown()
    services_module._services = previous


@pytest.fixture()
def base_url(gateway) -> str:
    return gateway[0]


@pytest.fixture()
def worker(gateway) -> FunctionRunner:
    """The batch worker function as the Lambda runtime would call it."""
    return gateway[1].runners["BatchWorkerFunction"]


@dataclass(frozen=True)
class TestQueue:
    url: str
    arn: str
    dead_letter_url: str


@pytest.fixture()
def batch_queue(local_queues, batch_services) -> TestQueue:
    """A fresh queue and dead-letter queue for one test, which POST /v1/batches sends to."""
    client = local_queues.client
    suffix = uuid.uuid4().hex[:8]
    dead_letter_url = client.create_queue(QueueName=f"batch-dlq-{suffix}")["QueueUrl"]
    dead_letter_arn = client.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
    url = client.create_queue(QueueName=f"batch-{suffix}", Attributes={"RedrivePolicy": json.dumps(policy)})["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = batch_services.batches.queue
    previous, queue.queue_url = queue.queue_url, url
    yield TestQueue(url, arn, dead_letter_url)
    queue.queue_url = previous


@pytest.fixture()
def api_key(batch_services, tenant_id) -> str:
    return batch_services.tenants.create_key(tenant_id)[1]
