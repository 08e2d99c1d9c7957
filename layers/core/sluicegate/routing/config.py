"""The routing YAML schema, validated with pydantic.

A route is a backend name, or a mapping with exactly one of ``fallback``
(try routes in order), ``split`` (pick one weighted arm) or ``rules`` (the
first rule whose conditions match, else ``default``). Routes nest.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, model_validator

from .backend_specs import TAG_PREFIX, BackendSpec, Strict
from .conditions import Condition

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
ROUTE_KINDS = ("fallback", "split", "rules")


def _route_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return TAG_PREFIX + "backend"
    if isinstance(value, dict):
        kinds = [kind for kind in ROUTE_KINDS if kind in value]
        if len(kinds) == 1:
            return TAG_PREFIX + kinds[0]
    return None


class FallbackRoute(Strict):
    fallback: Annotated[list["RouteSpec"], Field(min_length=1)]


class SplitArm(Strict):
    # Names the arm in route labels; defaults to the backend name or ``arm<index>``.
    name: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    weight: Annotated[float, Field(gt=0)]
    route: "RouteSpec"


class SplitRoute(Strict):
    split: Annotated[list[SplitArm], Field(min_length=1)]
    # "tenant" sends each tenant to the same arm every time; "none" draws per request.
    sticky: Literal["none", "tenant"] = "none"


class Rule(Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    when: Condition
    route: "RouteSpec"


class RulesRoute(Strict):
    rules: Annotated[list[Rule], Field(min_length=1)]
    default: "RouteSpec"


RouteSpec = Annotated[
    Union[
        Annotated[Annotated[str, Field(pattern=NAME_PATTERN)], Tag(TAG_PREFIX + "backend")],
        Annotated[FallbackRoute, Tag(TAG_PREFIX + "fallback")],
        Annotated[SplitRoute, Tag(TAG_PREFIX + "split")],
        Annotated[RulesRoute, Tag(TAG_PREFIX + "rules")],
    ],
    Discriminator(
        _route_kind,
        custom_error_type="invalid_route",
        custom_error_message="a route is a backend name, or a mapping with exactly one of: fallback, split, rules",
    ),
]

for _model in (FallbackRoute, SplitArm, SplitRoute, Rule, RulesRoute):
    _model.model_rebuild()


class ModelSpec(Strict):
    route: RouteSpec
    description: str | None = None
    owned_by: str = "sluicegate"


class RoutingConfig(Strict):
    version: Literal[1] = 1
    # Backend whose tokenizer counts prompt tokens for rules; defaults to the first local backend.
    token_counter: Annotated[str, Field(pattern=NAME_PATTERN)] | None = None
    backends: Annotated[dict[Annotated[str, Field(pattern=NAME_PATTERN)], BackendSpec], Field(min_length=1)]
    models: Annotated[dict[Annotated[str, Field(pattern=MODEL_PATTERN)], ModelSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _pick_token_counter(self) -> "RoutingConfig":
        if self.token_counter is None:
            local = [name for name, spec in self.backends.items() if spec.type == "local"]
            object.__setattr__(self, "token_counter", (local or list(self.backends))[0])
        return self
