"""Request models of ``POST /v1/batches`` and ``GET /v1/batches/{batch_id}``.

Every item body is validated as a chat completion request before anything is
stored, so a batch is either rejected whole or queued whole.
"""

from __future__ import annotations

from typing import Annotated, Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidRequestError
from .chat import ChatCompletionRequest
from .parsing import describe_error, load_json_object, parse_model

MAX_BATCH_ITEMS = 1000
MAX_CUSTOM_ID_LENGTH = 256
# The metadata limits of the OpenAI API: 16 pairs, keys up to 64 and values up to 512 characters.
MAX_METADATA_PAIRS = 16
DEFAULT_RESULTS_LIMIT = 100
MAX_RESULTS_LIMIT = 100
# The ids that BatchRepository.create gives out: "batch_" and a UUID4 in hex.
BATCH_ID_PATTERN = r"^batch_[0-9a-f]{32}$"


class BatchItemInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    custom_id: Annotated[str, Field(min_length=1, max_length=MAX_CUSTOM_ID_LENGTH)]
    body: dict[str, Any]


class BatchCreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    items: Annotated[list[BatchItemInput], Field(min_length=1)]
    metadata: (
        Annotated[dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=512)]], Field(max_length=MAX_METADATA_PAIRS)]
        | None
    ) = None


def parse_batch_request(body: str | None) -> tuple[BatchCreateRequest, list[ChatCompletionRequest]]:
    """Validate a batch and each item's body, raising a 400 that names the item with the first problem."""
    items = load_json_object(body).get("items")
    if isinstance(items, list) and len(items) > MAX_BATCH_ITEMS:
        raise InvalidRequestError(
            f"a batch may contain at most {MAX_BATCH_ITEMS} items, but this one has {len(items)}; split it into several batches",
            param="items",
            code="too_many_items",
        )
    batch = parse_model(BatchCreateRequest, body)

    requests: list[ChatCompletionRequest] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(batch.items):
        if item.custom_id in first_index:
            raise InvalidRequestError(
                f"items[{index}] repeats custom_id {item.custom_id!r} of items[{first_index[item.custom_id]}]; "
                "every item needs its own custom_id",
                param=f"items[{index}].custom_id",
                code="duplicate_custom_id",
            )
        first_index[item.custom_id] = index
        requests.append(_parse_item_body(index, item))
    return batch, requests


def _parse_item_body(index: int, item: BatchItemInput) -> ChatCompletionRequest:
    prefix = f"items[{index}] (custom_id {item.custom_id!r})"
    try:
        request = ChatCompletionRequest.model_validate(item.body)
    except ValidationError as exc:
        # Constraint errors say more than union-member type mismatches, and missing fields least.
        errors = sorted(exc.errors(), key=lambda error: (error["type"] == "missing", error["type"].endswith("_type")))
        param, message, code = describe_error(errors[0])
        body_param = f"items[{index}].body.{param}" if param else f"items[{index}].body"
        raise InvalidRequestError(f"{prefix}: {message}", param=body_param, code=code) from exc
    if request.stream:
        raise InvalidRequestError(
            f"{prefix}: 'stream' must be false or absent, because batch answers are stored, not streamed",
            param=f"items[{index}].body.stream",
            code="invalid_value",
        )
    return request


def parse_results_page(query: Mapping[str, str] | None) -> tuple[str | None, int]:
    """Read ``after`` (a custom_id) and ``limit`` (1 to 100 results) from the query string."""
    query = query or {}
    after = query.get("after") or None
    if after is not None and (len(after) > MAX_CUSTOM_ID_LENGTH or "\x00" in after):
        raise InvalidRequestError(
            f"invalid value for 'after': send the custom_id of an item, at most {MAX_CUSTOM_ID_LENGTH} characters",
            param="after",
            code="invalid_value",
        )
    raw_limit = query.get("limit")
    if raw_limit is None or raw_limit == "":
        return after, DEFAULT_RESULTS_LIMIT
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_RESULTS_LIMIT:
        raise InvalidRequestError(
            f"invalid value for 'limit': it must be an integer from 1 to {MAX_RESULTS_LIMIT} (got {raw_limit!r})",
            param="limit",
            code="invalid_value",
        )
    return after, limit
