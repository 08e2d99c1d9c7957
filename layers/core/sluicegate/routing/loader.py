"""Read the routing YAML, validate it and check that every name it uses exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import yaml
from pydantic import ValidationError

from .backend_specs import LocalBackendSpec
from .config import TAG_PREFIX, FallbackRoute, ModelSpec, RoutingConfig, RulesRoute, SplitRoute
from .errors import RoutingConfigError


def yaml_path(location: tuple[Any, ...]) -> str:
    """Format a pydantic error location as a YAML path such as ``models.auto.route.rules[0].when``."""
    path = ""
    for part in location:
        if isinstance(part, str) and part.startswith(TAG_PREFIX):
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top level)"


def load_routing_config(path: Path) -> RoutingConfig:
    """Load and validate the routing file at ``path``; raises ``RoutingConfigError``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RoutingConfigError(str(path), [f"the file cannot be read: {exc.strerror or exc}"]) from exc
    except yaml.YAMLError as exc:
        raise RoutingConfigError(str(path), [f"the file is not valid YAML: {exc}"]) from exc
    return parse_routing_config(data, str(path))


def parse_routing_config(data: Any, source: str = "<routing config>") -> RoutingConfig:
    if not isinstance(data, dict):
        raise RoutingConfigError(source, ["(top level): expected a mapping with 'backends' and 'models'"])
    try:
        config = RoutingConfig.model_validate(data)
    except ValidationError as exc:
        problems = [f"{yaml_path(error['loc'])}: {error['msg']}" for error in exc.errors()]
        raise RoutingConfigError(source, problems) from exc
    problems = list(_reference_problems(config))
    if problems:
        raise RoutingConfigError(source, problems)
    return config


def default_routing_config(local_model: str) -> RoutingConfig:
    """Build the routing used without a file: the local model under its own name, nothing else."""
    return RoutingConfig(backends={"local": LocalBackendSpec(type="local")}, models={local_model: ModelSpec(route="local")})


def _reference_problems(config: RoutingConfig) -> Iterator[str]:
    if config.token_counter not in config.backends:
        yield f"token_counter: the backend {config.token_counter!r} is not defined under 'backends'"
    for model, spec in config.models.items():
        yield from _route_problems(spec.route, f"models.{model}.route", config)


def _route_problems(route: Any, path: str, config: RoutingConfig) -> Iterator[str]:
    if isinstance(route, str):
        if route not in config.backends:
            known = ", ".join(sorted(config.backends))
            yield f"{path}: the backend {route!r} is not defined under 'backends' (defined: {known})"
    elif isinstance(route, FallbackRoute):
        for index, child in enumerate(route.fallback):
            yield from _route_problems(child, f"{path}.fallback[{index}]", config)
    elif isinstance(route, SplitRoute):
        seen: set[str] = set()
        for index, arm in enumerate(route.split):
            label = arm_label(arm, index)
            if label in seen:
                yield f"{path}.split[{index}]: the arm name {label!r} is used twice; give the arms distinct names"
            seen.add(label)
            yield from _route_problems(arm.route, f"{path}.split[{index}].route", config)
    elif isinstance(route, RulesRoute):
        names: set[str] = set()
        for index, rule in enumerate(route.rules):
            if rule.name in names or rule.name == "default":
                yield f"{path}.rules[{index}].name: the rule name {rule.name!r} is used twice or is reserved"
            names.add(rule.name)
            yield from _route_problems(rule.route, f"{path}.rules[{index}].route", config)
        yield from _route_problems(route.default, f"{path}.default", config)


def arm_label(arm: Any, index: int) -> str:
    """Return the arm's name in route labels: its ``name``, its backend, or ``arm<index>``."""
    if arm.name:
        return arm.name
    return arm.route if isinstance(arm.route, str) else f"arm{index}"
