"""Load Lambda handlers from their CodeUri folders and call them like the Lambda runtime."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from .template import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalLambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str
    function_version: str = "$LATEST"

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def apply_template_environment(functions: dict[str, FunctionSpec]) -> None:
    """Export the template's literal environment values that the shell did not set.

    Values built from parameters (``!Ref``) exist only in AWS and are skipped,
    so the process environment plays the role of ``sam local --env-vars``.
    """
    for spec in functions.values():
        for key, value in spec.environment.items():
            if isinstance(value, (str, int, float)) and key not in os.environ:
                os.environ[key] = str(value)


class FunctionRunner:
    """One warm "container" per function: the handler module is imported once.

    Invocations of one function are serialised, because a Lambda container
    serves one event at a time.
    """

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self._handler: Handler | None = None
        self._lock = threading.Lock()

    def _load(self) -> Handler:
        module_name, _, attribute = self.spec.handler.rpartition(".")
        source = self.spec.code_uri / (module_name.replace(".", "/") + ".py")
        unique_name = f"sglocal_fn_{self.spec.logical_id}_{module_name}"
        spec = importlib.util.spec_from_file_location(unique_name, source)
        if spec is None or spec.loader is None:
            raise RuntimeError(f"cannot load handler {self.spec.handler!r} from {source}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique_name] = module
        spec.loader.exec_module(module)
        return getattr(module, attribute)

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            if self._handler is None:
                self._handler = self._load()
            context = LocalLambdaContext(
                function_name=self.spec.logical_id,
                memory_limit_in_mb=self.spec.memory_mb,
                timeout_s=self.spec.timeout_s,
                aws_request_id=str(uuid.uuid4()),
            )
            return self._handler(event, context)
