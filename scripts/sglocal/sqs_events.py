"""Read the SQS queues and SQS event sources of template.yaml, and build Lambda SQS events."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .template import CloudFormationLoader

REGION = "us-east-1"


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    visibility_timeout_s: int
    # Logical id of the dead-letter queue and the receive count that moves a message there.
    dead_letter_queue: str | None = None
    max_receive_count: int | None = None


@dataclass(frozen=True)
class SqsEventSpec:
    function: str
    queue: str
    batch_size: int
    batching_window_s: float
    report_batch_item_failures: bool


@dataclass(frozen=True)
class SqsTemplate:
    queues: dict[str, QueueSpec]
    event_sources: list[SqsEventSpec]
    # Parameter defaults, used for !Ref values because no stack supplies parameters locally.
    parameters: dict[str, Any]
    # Function environment variables, still holding their !Ref and !GetAtt values.
    environments: dict[str, dict[str, Any]]


def _resolve(value: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "Ref" in value:
        return parameters.get(value["Ref"])
    return value


def _queue_reference(value: Any) -> str:
    """Return the logical id in ``!GetAtt Queue.Arn``, ``!Ref Queue`` or a plain name."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
        return value["Ref"]
    return str(value)


def load_sqs_template(path: Path) -> SqsTemplate:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)
    parameters = {name: spec.get("Default") for name, spec in (document.get("Parameters") or {}).items()}
    queues: dict[str, QueueSpec] = {}
    event_sources: list[SqsEventSpec] = []
    environments: dict[str, dict[str, Any]] = {}
    for logical_id, resource in document.get("Resources", {}).items():
        props = resource.get("Properties", {}) or {}
        if resource.get("Type") == "AWS::SQS::Queue":
            redrive = props.get("RedrivePolicy") or {}
            max_receive = _resolve(redrive.get("maxReceiveCount"), parameters)
            queues[logical_id] = QueueSpec(
                logical_id=logical_id,
                visibility_timeout_s=int(_resolve(props.get("VisibilityTimeout", 30), parameters)),
                dead_letter_queue=_queue_reference(redrive["deadLetterTargetArn"]) if redrive else None,
                max_receive_count=int(max_receive) if max_receive is not None else None,
            )
        elif resource.get("Type") == "AWS::Serverless::Function":
            environments[logical_id] = dict((props.get("Environment") or {}).get("Variables") or {})
            for event in (props.get("Events") or {}).values():
                if event.get("Type") != "SQS":
                    continue
                event_props = event["Properties"]
                event_sources.append(
                    SqsEventSpec(
                        function=logical_id,
                        queue=_queue_reference(event_props["Queue"]),
                        batch_size=int(_resolve(event_props.get("BatchSize", 10), parameters)),
                        batching_window_s=float(_resolve(event_props.get("MaximumBatchingWindowInSeconds", 0), parameters)),
                        report_batch_item_failures="ReportBatchItemFailures" in (event_props.get("FunctionResponseTypes") or []),
                    )
                )
    return SqsTemplate(queues, event_sources, parameters, environments)


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    binary = value.get("BinaryValue")
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": base64.b64encode(binary).decode("ascii") if binary is not None else None,
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """Turn one ReceiveMessage result into a record of the event Lambda sends for SQS."""
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {name: _message_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {"Records": [sqs_record(message, queue_arn) for message in messages]}
