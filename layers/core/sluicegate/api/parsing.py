"""Parse JSON request bodies into typed models with OpenAI-style 400 errors."""

from __future__ import annotations

import json
import math
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import InvalidRequestError

ModelT = TypeVar("ModelT", bound=BaseModel)

# PostgreSQL cannot store U+0000 in text or jsonb, and an unpaired surrogate
# (a lone "\ud800" escape) cannot be encoded as UTF-8, so neither may reach
# the database, the screener or a response body.
_UNSUPPORTED_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# Objects and arrays nested deeper than this are rejected. Every request body
# of the API needs fewer than 10 levels, and this keeps the recursive code that
# reads a body later (pydantic, json.dumps, psycopg) far from Python's
# recursion limit of 1,000 frames.
MAX_JSON_DEPTH = 64
# Maximum length of a parameter path that an error message repeats.
MAX_PARAM_CHARS = 200


class _NonStandardConstant(ValueError):
    """``NaN``, ``Infinity`` or ``-Infinity``, which Python's json module accepts but JSON does not."""


def _reject_constant(name: str) -> Any:
    raise _NonStandardConstant(f"{name} is not a JSON number")


def _parse_finite_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        # 1e400 is valid JSON, but PostgreSQL's jsonb cannot store the infinity Python reads it as.
        raise _NonStandardConstant(f"the number {literal[:40]} is out of the range of a double")
    return value


def _check_values(value: Any) -> None:
    """Raise a 400 for nesting deeper than ``MAX_JSON_DEPTH``, or for U+0000 or an unpaired surrogate in a string."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            found = _UNSUPPORTED_CHARACTER.search(item)
            if found:
                character = found.group()
                if character == "\x00":
                    name = "the NUL character (\\u0000)"
                else:
                    name = f"an unpaired surrogate (\\u{ord(character):04x})"
                raise InvalidRequestError(
                    f"the request body contains {name} in a string; send text as valid Unicode without NUL characters",
                    code="invalid_json",
                )
        elif isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise InvalidRequestError(
                    f"the request body nests objects and arrays more than {MAX_JSON_DEPTH} levels deep; flatten it",
                    code="invalid_json",
                )
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def load_json_object(body: str | None) -> dict[str, Any]:
    if body is None or body.strip() == "":
        raise InvalidRequestError(
            "the request body is empty; send a JSON object with Content-Type: application/json",
            code="invalid_json",
        )
    try:
        value = json.loads(body, parse_constant=_reject_constant, parse_float=_parse_finite_float)
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"the request body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            code="invalid_json",
        ) from exc
    except _NonStandardConstant as exc:
        raise InvalidRequestError(
            f"the request body is not valid JSON: {exc}; send finite numbers only",
            code="invalid_json",
        ) from exc
    except ValueError as exc:
        # Python reads integers of at most 4,300 digits (sys.get_int_max_str_digits).
        raise InvalidRequestError(
            "the request body contains a number with too many digits; send integers of at most 4,300 digits",
            code="invalid_json",
        ) from exc
    except RecursionError as exc:
        raise InvalidRequestError(
            f"the request body nests objects and arrays more than {MAX_JSON_DEPTH} levels deep; flatten it",
            code="invalid_json",
        ) from exc
    if not isinstance(value, dict):
        raise InvalidRequestError(
            f"the request body must be a JSON object, not {type(value).__name__}",
            code="invalid_json",
        )
    _check_values(value)
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
    if len(param) > MAX_PARAM_CHARS:
        # An unknown key can be megabytes long, and repeating it could push the response past Lambda's 6 MB limit.
        param = param[:MAX_PARAM_CHARS] + "..."
    kind = error["type"]
    if kind == "extra_forbidden":
        return param, f"unrecognized request argument {param!r}; remove it (sluicegate does not support it)", "unknown_parameter"
    if kind == "missing":
        return param, f"missing required parameter {param!r}", "missing_required_parameter"
    got = error.get("input")
    shown = json.dumps(got)[:80] if _is_json(got) else type(got).__name__
    reason = error["msg"].removeprefix("Value error, ")
    reason = reason[0].lower() + reason[1:]
    if not param:
        # A check of the whole body, such as "set at least one limit".
        return param, f"invalid request body: {reason} (got {shown})", "invalid_value"
    return param, f"invalid value for {param!r}: {reason} (got {shown})", "invalid_value"


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
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
