"""Parse JSON request bodies into typed models with OpenAI-style 400 errors."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import InvalidRequestError

ModelT = TypeVar("ModelT", bound=BaseModel)


def load_json_object(body: str | None) -> dict[str, Any]:
    if body is None or body.strip() == "":
        raise InvalidRequestError(
            "the request body is empty; send a JSON object with Content-Type: application/json",
            code="invalid_json",
        )
    try:
        value = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"the request body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            code="invalid_json",
        ) from exc
    if not isinstance(value, dict):
        raise InvalidRequestError(
            f"the request body must be a JSON object, not {type(value).__name__}",
            code="invalid_json",
        )
    return value


_TYPE_NAMES = {"str", "int", "float", "bool", "dict", "list"}


def _is_union_branch(part: Any) -> bool:
    """pydantic adds the tried member of a union (``str``, ``list[TextPart]``) to the location."""
    return isinstance(part, str) and (not part.isidentifier() or part in _TYPE_NAMES)


def format_location(loc: tuple[Any, ...]) -> str:
    """Render a pydantic error location as ``messages[0].role``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _is_union_branch(part):
            text += ("." if text else "") + str(part)
    return text


def _error_rank(error: dict[str, Any]) -> int:
    """Order errors so the most telling comes first: constraint errors before type
    mismatches of other union members, and missing fields last."""
    if error["type"] == "missing":
        return 2
    return 1 if error["type"].endswith("_type") else 0


def describe_error(error: dict[str, Any]) -> tuple[str, str, str]:
    """Return ``(param, message, code)`` for one pydantic error."""
    param = format_location(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        return param, f"unrecognized request argument {param!r}; remove it (sluicegate does not support it)", "unknown_parameter"
    if kind == "missing":
        return param, f"missing required parameter {param!r}", "missing_required_parameter"
    got = error.get("input")
    shown = json.dumps(got)[:80] if _is_json(got) else type(got).__name__
    reason = error["msg"].removeprefix("Value error, ")
    return param, f"invalid value for {param!r}: {reason[0].lower() + reason[1:]} (got {shown})", "invalid_value"


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def parse_model(model: type[ModelT], body: str | None) -> ModelT:
    """Validate ``body`` as ``model``; the first problem becomes a 400 naming the parameter."""
    data = load_json_object(body)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = sorted(exc.errors(), key=_error_rank)
        param, message, code = describe_error(errors[0])
        raise InvalidRequestError(message, param=param or None, code=code) from exc
