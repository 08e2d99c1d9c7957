"""Routing YAML validation: every problem names its YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sluicegate.routing.backend_specs import SageMakerBackendSpec
from sluicegate.routing.errors import RoutingConfigError
from sluicegate.routing.loader import default_routing_config, load_routing_config, parse_routing_config

ROOT = Path(__file__).resolve().parents[3]

SAGEMAKER = {
    "type": "sagemaker",
    "endpoint_name": "gpu",
    "dialect": "tgi",
    "context_window": 4096,
    "tokenizer": "tokenizer.json",
    "price": {"instance_usd_per_hour": 1.0, "tokens_per_second": 100},
}


def config_with(models: dict, backends: dict | None = None) -> dict:
    return {"backends": backends or {"local": {"type": "local"}, "gpu": dict(SAGEMAKER)}, "models": models}


def problems_of(data) -> list[str]:
    with pytest.raises(RoutingConfigError) as caught:
        parse_routing_config(data, "test.yaml")
    assert "test.yaml" in str(caught.value)
    return caught.value.problems


def test_shipped_config_is_valid():
    config = load_routing_config(ROOT / "config" / "routing.yaml")

    assert {"smollm2-135m-instruct", "auto", "smollm2-canary"} <= set(config.models)
    assert config.token_counter == "local"
    assert all(isinstance(config.backends[name], SageMakerBackendSpec) for name in ("gpu-tgi", "gpu-chat"))


def test_default_config_serves_local_model_only():
    config = default_routing_config("smollm2-135m-instruct")

    assert list(config.models) == ["smollm2-135m-instruct"]
    assert config.models["smollm2-135m-instruct"].route == "local"


def test_unknown_backend_in_nested_fallback():
    data = config_with({"auto": {"route": {"rules": [
        {"name": "big", "when": {"prompt_tokens_min": 10}, "route": {"fallback": ["gpu", "gpu-missing"]}},
    ], "default": "local"}}})

    problems = problems_of(data)

    assert len(problems) == 1
    assert problems[0].startswith("models.auto.route.rules[0].route.fallback[1]: the backend 'gpu-missing' is not defined")


@pytest.mark.parametrize(
    ("route", "path"),
    [
        ({"split": [{"weight": 0, "route": "local"}]}, "models.m.route.split[0].weight"),
        ({"split": [{"weight": 1, "route": {"fallback": []}}]}, "models.m.route.split[0].route.fallback"),
        ({"fallback": ["local"], "split": []}, "models.m.route"),
        ({"fallback": ["local"], "retries": 3}, "models.m.route.retries"),
        (7, "models.m.route"),
        ({"rules": [{"name": "r", "when": {}, "route": "local"}], "default": "local"}, "models.m.route.rules[0].when"),
        ({"rules": [{"name": "r", "when": {"complexity_min": 2}, "route": "local"}], "default": "local"}, "models.m.route.rules[0].when.complexity_min"),
        ({"rules": [{"name": "r", "when": {"tier": ["pro"]}, "route": "local"}]}, "models.m.route.default"),
    ],
)
def test_invalid_route_names_yaml_path(route, path):
    problems = problems_of(config_with({"m": {"route": route}}))

    assert any(problem.startswith(path + ":") for problem in problems), problems


def test_invalid_backend_fields_name_yaml_path():
    gpu = dict(SAGEMAKER, dialect="grpc", endpoint_name="bad_name!", price={"instance_usd_per_hour": 1.0})
    problems = problems_of(config_with({"m": {"route": "local"}}, {"local": {"type": "local"}, "gpu": gpu}))

    joined = "\n".join(problems)
    assert "backends.gpu.dialect:" in joined
    assert "backends.gpu.endpoint_name:" in joined
    assert "backends.gpu.price.tokens_per_second:" in joined


def test_duplicate_split_arm_names_rejected():
    route = {"split": [{"weight": 1, "route": "local"}, {"weight": 1, "route": "local"}]}

    problems = problems_of(config_with({"m": {"route": route}}))

    assert problems == ["models.m.route.split[1]: the arm name 'local' is used twice; give the arms distinct names"]


def test_unknown_token_counter_rejected():
    data = config_with({"m": {"route": "local"}})
    data["token_counter"] = "gpu-missing"

    assert problems_of(data) == ["token_counter: the backend 'gpu-missing' is not defined under 'backends'"]


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(RoutingConfigError, match="cannot be read"):
        load_routing_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("models: [unclosed\n")
    with pytest.raises(RoutingConfigError, match="not valid YAML"):
        load_routing_config(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text(yaml.safe_dump(["not", "a", "mapping"]))
    with pytest.raises(RoutingConfigError, match="expected a mapping"):
        load_routing_config(listed)
