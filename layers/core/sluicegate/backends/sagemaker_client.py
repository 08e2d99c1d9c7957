"""The boto3 SageMaker Runtime client, built once per container."""

from __future__ import annotations

from typing import Any

from botocore.config import Config


def build_sagemaker_runtime_client(
    *,
    connect_timeout_s: float,
    read_timeout_s: float,
    endpoint_url: str | None = None,
    region_name: str | None = None,
    session: Any = None,
    **client_kwargs: Any,
) -> Any:
    """Create a ``sagemaker-runtime`` client with botocore retries turned off.

    ``backends.retry`` owns retries, so botocore makes exactly one attempt.
    ``endpoint_url`` points the client at the local emulator; ``client_kwargs``
    passes credentials in tests.
    """
    import boto3

    config = Config(
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )
    factory = session or boto3
    return factory.client("sagemaker-runtime", endpoint_url=endpoint_url, region_name=region_name, config=config, **client_kwargs)
