"""Deployment settings, read from the environment once per cold start.

Domain code receives a ``Settings`` object and never reads ``os.environ``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

ENV_PREFIX = "SLUICEGATE_"


class SettingsError(Exception):
    """The environment contains an invalid setting."""


class Settings(BaseModel):
    # Postgres connection string; when unset locally, an embedded server starts under ``local_dir``.
    database_url: str | None = None
    local_dir: Path = Path(".local")
    # Folder holding built models (``<model_dir>/<model>/manifest.json``).
    model_dir: Path = Path("models")
    # In AWS, models are downloaded from this bucket into /tmp on a cold start.
    model_bucket: str | None = None
    model_prefix: str = "models"
    local_model: str = "smollm2-135m-instruct"
    embedding_model: str = "all-minilm-l6-v2"
    # Upper bound for max_tokens when a request does not set it.
    default_max_tokens: int = Field(default=256, ge=1)
    # Memory of the gateway function, used to price the local backend.
    lambda_memory_mb: int = Field(default=3008, ge=128, le=10240)
    inference_threads: int = Field(default=0, ge=0)  # 0 means one per core
    # Start loading the local model while the function's code is imported (the
    # Lambda init phase) instead of on the first request that routes to it.
    preload_local_model: bool = False
    db_pool_max_size: int = Field(default=4, ge=1, le=64)
    db_connect_timeout_s: float = Field(default=5.0, gt=0)
    # When the quota database is unreachable, let requests through unenforced
    # (logged at ERROR per request) instead of rejecting them with 503.
    quota_fail_open: bool = False
    # Seconds a quota reservation is held before the sweeper may release it:
    # the gateway function's timeout (29 s) plus a margin.
    quota_reservation_ttl_s: float = Field(default=60.0, gt=0)
    # Seconds a container reuses a caller's effective limits before reading them
    # again, which saves each reservation a database round trip. Limit changes
    # from another container or scripts/admin apply within this time; 0 turns
    # the cache off.
    quota_limits_cache_s: float = Field(default=5.0, ge=0, le=300)
    # Generation rate used to price the worst case of the in-function backend;
    # keep it below the measured rate so that reservations stay an upper bound.
    quota_local_tokens_per_second: float = Field(default=10.0, gt=0)
    # Prompt tokens per second the local model reads at least, for the same worst case.
    quota_local_prefill_tokens_per_second: float = Field(default=100.0, gt=0)
    # Log the redacted prompt and answer of 1 in N chat requests, chosen by a
    # hash of the request id. 0 turns sampled logging off.
    log_sample_rate: int = Field(default=0, ge=0)
    # Retrieval: chunk size and overlap in embedding-model tokens ([CLS]/[SEP]
    # not counted; all-MiniLM-L6-v2 reads at most 256 tokens).
    chunk_tokens: int = Field(default=200, ge=8, le=254)
    chunk_overlap_tokens: int = Field(default=40, ge=0)
    # Texts per onnxruntime call. On 2 cores, batches of 8 chunks of 200 tokens
    # were embedded faster than batches of 32 or 64.
    embedding_batch_size: int = Field(default=8, ge=1)
    # hnsw.ef_search for a collection that is the whole chunks table; smaller
    # collections get more (docs/retrieval.md). 64 gave recall@5 0.984 at a
    # p95 of 3.8 ms on 100,000 chunks (bench/retrieval/RESULTS.md).
    retrieval_ef_search: int = Field(default=64, ge=1, le=1000)
    # Collections with at most this many chunks are searched exactly; exact
    # search measured about 1.3 ms per 1,000 chunks.
    retrieval_exact_max_chunks: int = Field(default=2_000, ge=0)
    # statement_timeout of the retrieval query.
    retrieval_timeout_ms: int = Field(default=2_000, ge=1)
    # Limits of POST /v1/documents and POST /v1/embeddings. 512 KiB of package
    # READMEs made about 1,250 chunks of 200 tokens. At the 55 chunks/s measured
    # on 2 cores, embedding them takes about 23 s of the function's 29 s timeout.
    documents_max_per_request: int = Field(default=100, ge=1)
    document_max_bytes: int = Field(default=512 * 1024, ge=1)
    documents_max_total_bytes: int = Field(default=512 * 1024, ge=1)
    embeddings_max_inputs: int = Field(default=256, ge=1)
    # Request bodies larger than this many bytes get a 413 before they are
    # parsed. Lambda rejects a synchronous invocation above 6 MiB
    # (6,291,456 bytes) with the event around the body, so the default stays
    # 1 MiB below that and the function's own 413 is what callers see.
    request_max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1)
    # URL of the SQS queue that POST /v1/batches sends batch items to.
    batch_queue_url: str | None = None
    # Endpoint of a local SQS emulator (for example http://127.0.0.1:5000); unset in AWS.
    sqs_endpoint_url: str | None = None
    # maxReceiveCount of the batch queue's redrive policy. On that receive the
    # worker records a still-failing item as failed instead of retrying it.
    batch_max_receive_count: int = Field(default=5, ge=1, le=1000)
    # Routing YAML (model aliases, SageMaker endpoints, rules, splits, fallbacks).
    # Unset: the local model under its own name and nothing else.
    routing_config: Path | None = None
    # In AWS: a folder of the model bucket with routing.yaml and the tokenizer files it
    # names, downloaded on a cold start (sluicegate/routing/s3_folder.py).
    routing_config_prefix: str | None = None
    # Endpoint of a local SageMaker Runtime emulator (for example http://127.0.0.1:8088); unset in AWS.
    sagemaker_endpoint_url: str | None = None
    # Region of the SageMaker endpoints; unset means the Lambda's own region (AWS_REGION).
    sagemaker_region: str | None = None
    sagemaker_connect_timeout_s: float = Field(default=2.0, gt=0)
    # Read timeout of one invoke_endpoint attempt, in seconds; keep it below the gateway function's timeout (29 s).
    sagemaker_read_timeout_s: float = Field(default=20.0, gt=0)
    # Backend calls stop retrying this many seconds before the Lambda's deadline.
    deadline_margin_s: float = Field(default=1.5, ge=0)
    metrics_namespace: str = "Sluicegate"
    service_name: str = "sluicegate"

    @field_validator("routing_config_prefix")
    @classmethod
    def _one_routing_source(cls, prefix: str | None, info: ValidationInfo) -> str | None:
        if prefix is None:
            return None
        if info.data.get("routing_config") is not None:
            raise ValueError(f"set either it or {_env_key('routing_config')}, not both")
        if not info.data.get("model_bucket"):
            raise ValueError(f"names a folder of the model bucket, so {_env_key('model_bucket')} must be set too")
        if not prefix.strip("/"):
            raise ValueError("must name a folder, such as 'routing'")
        return prefix


def _env_key(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``SLUICEGATE_*`` variables (and ``DATABASE_URL``)."""
    environ = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for name in Settings.model_fields:
        key = _env_key(name)
        if key in environ and environ[key] != "":
            values[name] = environ[key]
    if "database_url" not in values and environ.get("DATABASE_URL"):
        values["database_url"] = environ["DATABASE_URL"]
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_env_key(str(err['loc'][0]))}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid sluicegate settings: {problems}") from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the settings of this process, read once."""
    return load_settings()
