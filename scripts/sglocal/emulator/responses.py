"""SageMaker Runtime response shapes: JSON bodies, AWS errors and ModelError."""

from __future__ import annotations

import json
import uuid
from typing import Any

ACCOUNT_ID = "000000000000"
REGION = "us-east-1"

Reply = tuple[int, dict[str, str], bytes]


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    base = {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())}
    return status, {**base, **(headers or {})}, json.dumps(body).encode("utf-8")


def aws_error(status: int, error_type: str, message: str, **members: Any) -> Reply:
    return json_reply(status, {"message": message, **members}, {"x-amzn-ErrorType": error_type})


def model_error(endpoint: str, original_status: int, original_message: str) -> Reply:
    side = "client" if original_status < 500 else "server"
    log_group = f"/aws/sagemaker/Endpoints/{endpoint}"
    message = (
        f'Received {side} error ({original_status}) from primary with message "{original_message}". '
        f"See the log group {log_group} in account {ACCOUNT_ID} for more information."
    )
    return aws_error(
        424, "ModelError", message,
        OriginalStatusCode=original_status,
        OriginalMessage=original_message,
        LogStreamArn=f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{log_group}",
    )
