"""A local SQS for `make run` and the tests: a moto server on 127.0.0.1 with the
template's queues, and one poller (``sqs_poller.SqsPoller``) per SQS event.

The moto server applies each queue's redrive policy: a message received
maxReceiveCount times moves to the dead-letter queue on its next receive, as
in SQS.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from .sqs_events import REGION, SqsTemplate
from .sqs_poller import SqsPoller

logger = logging.getLogger("sglocal.sqs")

# moto accepts any credentials, and these never reach AWS because every client has a 127.0.0.1 endpoint.
_LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": REGION}


@dataclass
class LocalQueues:
    server: ThreadedMotoServer
    endpoint_url: str
    client: Any
    urls: dict[str, str] = field(default_factory=dict)  # logical id -> queue URL
    arns: dict[str, str] = field(default_factory=dict)

    def environment(self, template: SqsTemplate) -> dict[str, str]:
        """Return the variables that point the functions at these queues.

        A function variable set to ``!Ref <queue>`` gets the local queue URL,
        and one set to ``!Ref <parameter>`` gets the parameter's default.
        """
        values = {"SLUICEGATE_SQS_ENDPOINT_URL": self.endpoint_url}
        for variables in template.environments.values():
            for name, value in variables.items():
                if not isinstance(value, dict) or "Ref" not in value:
                    continue
                if value["Ref"] in self.urls:
                    values[name] = self.urls[value["Ref"]]
                elif template.parameters.get(value["Ref"]) not in (None, ""):
                    values[name] = str(template.parameters[value["Ref"]])
        return values

    def stop(self) -> None:
        self.server.stop()


def sqs_client(endpoint_url: str) -> Any:
    return boto3.client("sqs", endpoint_url=endpoint_url, **_LOCAL_CREDENTIALS)


def start_local_sqs(template: SqsTemplate, port: int = 0) -> LocalQueues:
    """Start moto's SQS on 127.0.0.1 and create the template's queues, dead-letter queues first."""
    # moto's HTTP server logs every request through werkzeug, and the pollers call it every second.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint_url = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    queues = LocalQueues(server, endpoint_url, sqs_client(endpoint_url))
    for spec in sorted(template.queues.values(), key=lambda queue: queue.dead_letter_queue is not None):
        attributes = {"VisibilityTimeout": str(spec.visibility_timeout_s)}
        if spec.dead_letter_queue:
            policy = {"deadLetterTargetArn": queues.arns[spec.dead_letter_queue], "maxReceiveCount": spec.max_receive_count}
            attributes["RedrivePolicy"] = json.dumps(policy)
        url = queues.client.create_queue(QueueName=spec.logical_id, Attributes=attributes)["QueueUrl"]
        queues.urls[spec.logical_id] = url
        queues.arns[spec.logical_id] = queues.client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    logger.info("local SQS on %s with queues %s", endpoint_url, ", ".join(queues.urls))
    return queues


@dataclass
class LocalEventSources:
    """The local SQS and one poller per SQS event of the template, as `make run` uses them."""

    queues: LocalQueues
    template: SqsTemplate
    visibility_timeout_s: int | None
    pollers: list[SqsPoller] = field(default_factory=list)

    def start_pollers(self, runners: dict[str, Any]) -> None:
        """Start polling for every SQS event, with ``runners`` mapping function logical ids to ``FunctionRunner``s."""
        for source in self.template.event_sources:
            poller = SqsPoller(
                self.queues.client,
                self.queues.urls[source.queue],
                self.queues.arns[source.queue],
                runners[source.function].invoke,
                batch_size=source.batch_size,
                batching_window_s=source.batching_window_s,
                report_batch_item_failures=source.report_batch_item_failures,
                visibility_timeout_s=self.visibility_timeout_s,
            )
            self.pollers.append(poller.start())
            logger.info("%s polls %s in batches of up to %d", source.function, source.queue, source.batch_size)

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        self.queues.stop()


def start_event_sources(template: SqsTemplate, visibility_timeout_s: int | None) -> LocalEventSources:
    """Start the local SQS and export its queue URLs into the environment, before the services are built."""
    queues = start_local_sqs(template)
    for name, value in queues.environment(template).items():
        if name == "SLUICEGATE_SQS_ENDPOINT_URL" or value in queues.urls.values():
            os.environ[name] = value
        else:
            # A parameter default, which a value set in the shell overrides, as with `sam local --env-vars`.
            os.environ.setdefault(name, value)
    return LocalEventSources(queues, template, visibility_timeout_s)
