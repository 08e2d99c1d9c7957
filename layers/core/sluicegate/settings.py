"""Deployment settings, read from the environment once per cold start.

Domain code receives a ``Settings`` object and never reads ``os.environ``.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from pydantic import BaseModel, Field, ValidationError

ENV_PREFIX = "SLUICEGATE_"


class SettingsError(Exception):
    """The environment holds an invalid setting."""


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
    db_pool_max_size: int = Field(default=4, ge=1, le=64)
    db_connect_timeout_s: float = Field(default=5.0, gt=0)
    metrics_namespace: str = "Sluicegate"
    service_name: str = "sluicegate"


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
