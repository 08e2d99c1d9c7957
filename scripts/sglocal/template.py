"""Read the parts of template.yaml the local runner needs: functions, API routes,
the token authorizer and the gateway responses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation short-form tags (!Ref, !GetAtt...) as dicts."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> Any:
    name = "Fn::" + tag_suffix if tag_suffix not in {"Ref", "Condition"} else tag_suffix
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: Path
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, Any]


AUTH_TOKEN = "token"
AUTH_IAM = "iam"
AUTH_NONE = "none"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    pattern: re.Pattern[str]
    # "token" (the API key authorizer), "iam" (Signature Version 4) or "none".
    auth: str

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in {"ANY", method}:
            return None
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


@dataclass
class ApiSpec:
    routes: list[Route] = field(default_factory=list)
    authorizer_function: str | None = None
    authorizer_header: str = "Authorization"
    authorizer_ttl_s: int = 300
    gateway_responses: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class TemplateSpec:
    root: Path
    functions: dict[str, FunctionSpec]
    api: ApiSpec
    sqs_events: dict[str, str] = field(default_factory=dict)  # function -> queue logical id


def _path_pattern(path: str) -> re.Pattern[str]:
    regex = ""
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            if name.endswith("+"):
                regex += f"(?P<{name[:-1]}>.+)"
            else:
                regex += f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def load_template(path: Path) -> TemplateSpec:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)
    resources: dict[str, Any] = document.get("Resources", {})
    global_function = document.get("Globals", {}).get("Function", {})
    functions: dict[str, FunctionSpec] = {}
    api = ApiSpec()
    sqs_events: dict[str, str] = {}

    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::Serverless::Api":
            auth = resource.get("Properties", {}).get("Auth", {})
            default = auth.get("DefaultAuthorizer")
            if default:
                authorizer = auth["Authorizers"][default]
                api.authorizer_function = authorizer["FunctionArn"]["Fn::GetAtt"][0]
                identity = authorizer.get("Identity", {})
                api.authorizer_header = identity.get("Header", "Authorization")
                api.authorizer_ttl_s = int(identity.get("ReauthorizeEvery", 300))
            api.gateway_responses = resource.get("Properties", {}).get("GatewayResponses", {})

    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        environment = dict(global_function.get("Environment", {}).get("Variables", {}))
        environment.update(props.get("Environment", {}).get("Variables", {}))
        functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_uri=path.parent / props["CodeUri"],
            handler=props.get("Handler", global_function.get("Handler", "app.handler")),
            timeout_s=int(props.get("Timeout", global_function.get("Timeout", 3))),
            memory_mb=int(props.get("MemorySize", global_function.get("MemorySize", 128))),
            environment=environment,
        )
        for event in props.get("Events", {}).values():
            event_props = event.get("Properties", {})
            if event["Type"] == "Api":
                authorizer = event_props.get("Auth", {}).get("Authorizer")
                if authorizer == "AWS_IAM":
                    auth = AUTH_IAM
                elif authorizer == "NONE" or api.authorizer_function is None:
                    auth = AUTH_NONE
                else:
                    auth = AUTH_TOKEN
                api.routes.append(
                    Route(
                        method=event_props["Method"].upper(),
                        path=event_props["Path"],
                        function=logical_id,
                        pattern=_path_pattern(event_props["Path"]),
                        auth=auth,
                    )
                )
            elif event["Type"] == "SQS":
                queue = event_props.get("Queue", {})
                sqs_events[logical_id] = queue.get("Fn::GetAtt", [queue])[0] if isinstance(queue, dict) else queue

    # As in API Gateway, literal paths win over parameterised ones, and a greedy
    # {proxy+} path matches only what no other route does.
    api.routes.sort(key=lambda route: ("+}" in route.path, route.path.count("{")))
    return TemplateSpec(root=path.parent, functions=functions, api=api, sqs_events=sqs_events)
