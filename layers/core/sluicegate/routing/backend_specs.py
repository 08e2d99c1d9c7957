"""Backend entries of the routing YAML: the local model and SageMaker endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

# SageMaker endpoint names; IAM ARNs use the lower-case form.
ENDPOINT_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
# Union tags show up in pydantic error locations; this prefix marks them for removal.
TAG_PREFIX = "~"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetrySpec(Strict):
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 4
    backoff_s: Annotated[float, Field(ge=0)] = 0.2
    max_backoff_s: Annotated[float, Field(ge=0)] = 2.0
    jitter_s: Annotated[float, Field(ge=0)] = 0.2


class BreakerSpec(Strict):
    failure_threshold: Annotated[int, Field(ge=1)] = 5
    cooldown_s: Annotated[float, Field(gt=0)] = 30.0


class InstancePriceSpec(Strict):
    instance_usd_per_hour: Annotated[float, Field(gt=0)]
    # Generated tokens per second that the whole instance sustains.
    tokens_per_second: Annotated[float, Field(gt=0)]


class TokenPriceSpec(Strict):
    input_usd_per_million: Annotated[float, Field(ge=0)]
    output_usd_per_million: Annotated[float, Field(ge=0)]


def _price_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        if "instance_usd_per_hour" in value or "tokens_per_second" in value:
            return TAG_PREFIX + "instance"
        if "input_usd_per_million" in value or "output_usd_per_million" in value:
            return TAG_PREFIX + "token"
    return None


PriceSpec = Annotated[
    Union[Annotated[InstancePriceSpec, Tag(TAG_PREFIX + "instance")], Annotated[TokenPriceSpec, Tag(TAG_PREFIX + "token")]],
    Discriminator(
        _price_kind,
        custom_error_type="invalid_price",
        custom_error_message="a price has instance_usd_per_hour and tokens_per_second, or input_usd_per_million and output_usd_per_million",
    ),
]


class LocalBackendSpec(Strict):
    """The in-function ONNX model named by the ``local_model`` setting."""

    type: Literal["local"]
    breaker: BreakerSpec = BreakerSpec()


class SageMakerBackendSpec(Strict):
    type: Literal["sagemaker"]
    endpoint_name: Annotated[str, Field(pattern=ENDPOINT_PATTERN)]
    dialect: Literal["tgi", "openai_chat"]
    context_window: Annotated[int, Field(ge=1)]
    # Relative paths start at the ``model_dir`` setting.
    tokenizer: Path
    chat_template: Literal["chatml"] = "chatml"
    prefill_details: bool = False
    served_model: str | None = None
    price: PriceSpec
    retry: RetrySpec = RetrySpec()
    breaker: BreakerSpec = BreakerSpec()


def _backend_kind(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return TAG_PREFIX + kind if kind in ("local", "sagemaker") else None


BackendSpec = Annotated[
    Union[Annotated[LocalBackendSpec, Tag(TAG_PREFIX + "local")], Annotated[SageMakerBackendSpec, Tag(TAG_PREFIX + "sagemaker")]],
    Discriminator(_backend_kind, custom_error_type="invalid_backend", custom_error_message="a backend needs type: local or type: sagemaker"),
]
