"""Serve the SageMaker Runtime API on 127.0.0.1 for the endpoints of a routing config.

    python -m sglocal.sagemaker_emulator --routing-config config/routing.yaml \\
        --fail-rate 0.5 --fail-status 429 --seed 1

boto3 reaches it with ``endpoint_url`` and any credentials. Faults can be
changed while it runs: ``POST /_emulator/faults`` with a JSON object of
settings, ``DELETE /_emulator/faults`` to clear them, and
``GET /_emulator/invocations`` for what each invocation counted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable

from .emulator.faults import FaultInjector, FaultSettings
from .emulator.server import SageMakerEmulator
from .emulator.serving import EmulatedEndpoint, EndpointServer

ROOT = Path(__file__).resolve().parents[2]
logger = logging.getLogger("sglocal.sagemaker")
DEFAULT_TOKENIZER = ROOT / "models" / "smollm2-135m-instruct" / "build" / "tokenizer.json"


def endpoints_from_routing(path: Path) -> dict[str, EmulatedEndpoint]:
    """Emulate every SageMaker backend of a routing config, with its dialect and context window."""
    from sluicegate.routing.backend_specs import SageMakerBackendSpec
    from sluicegate.routing.loader import load_routing_config

    config = load_routing_config(path)
    return {
        spec.endpoint_name: EmulatedEndpoint(spec.endpoint_name, spec.dialect, spec.context_window)
        for spec in config.backends.values()
        if isinstance(spec, SageMakerBackendSpec)
    }


def parse_endpoint(text: str) -> EmulatedEndpoint:
    """Parse ``NAME:DIALECT[:CONTEXT_WINDOW]``."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or parts[1] not in ("tgi", "openai_chat"):
        raise argparse.ArgumentTypeError(f"invalid endpoint {text!r}; use NAME:tgi or NAME:openai_chat, optionally :CONTEXT_WINDOW")
    window = int(parts[2]) if len(parts) == 3 else 8192
    return EmulatedEndpoint(parts[0], parts[1], window)  # type: ignore[arg-type]


def load_backend(kind: str, tokenizer=None):
    if kind == "echo":
        from .emulator.echo import EchoBackend

        if tokenizer is None:
            return EchoBackend()
        return EchoBackend(count_tokens=lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids))
    from sluicegate.backends.local import LocalBackend
    from sluicegate.settings import load_settings

    return LocalBackend.from_settings(load_settings())


def load_tokenizer(path: Path | None):
    if path is None:
        return None
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def build_emulator(args: argparse.Namespace) -> SageMakerEmulator:
    endpoints: dict[str, EmulatedEndpoint] = {}
    if args.routing_config is not None:
        endpoints.update(endpoints_from_routing(args.routing_config))
    for endpoint in args.endpoint or []:
        endpoints[endpoint.name] = endpoint
    if not endpoints:
        raise SystemExit("no endpoints to emulate; pass --routing-config or --endpoint NAME:DIALECT")
    faults = FaultSettings(
        fail_rate=args.fail_rate, fail_status=args.fail_status, fail_type=args.fail_type, latency_ms=args.latency_ms,
        hang_rate=args.hang_rate, hang_s=args.hang_s, seed=args.seed,
    )
    tokenizer = load_tokenizer(args.tokenizer if args.tokenizer is None or args.tokenizer.is_file() else None)
    return SageMakerEmulator(endpoints, EndpointServer(load_backend(args.backend, tokenizer), tokenizer), FaultInjector(faults))


class DeferredBackend:
    """A backend built on first use, so that the emulator can start before the gateway's services exist."""

    def __init__(self, loader: Callable[[], Any]) -> None:
        self._loader = loader
        self._backend: Any = None

    def _get(self) -> Any:
        if self._backend is None:
            self._backend = self._loader()
        return self._backend

    def count_prompt_tokens(self, messages):
        return self._get().count_prompt_tokens(messages)

    def context_window(self) -> int:
        return self._get().context_window()

    def generate(self, request):
        return self._get().generate(request)


def start_for_gateway(routing_config: Path, backend: Any, tokenizer: Path = DEFAULT_TOKENIZER) -> SageMakerEmulator:
    """Start an emulator for the gateway in this process and point the gateway's settings at it.

    Sets the ``SLUICEGATE_*`` routing and SageMaker variables, and dummy AWS
    credentials so that no real access key id is sent to the emulator. Call it
    before the gateway reads its settings.
    """
    endpoints = endpoints_from_routing(routing_config)
    emulator = SageMakerEmulator(endpoints, EndpointServer(backend, load_tokenizer(tokenizer if tokenizer.is_file() else None)))
    base_url = emulator.start("127.0.0.1", 0)
    os.environ.update(
        SLUICEGATE_ROUTING_CONFIG=str(routing_config),
        SLUICEGATE_SAGEMAKER_ENDPOINT_URL=base_url,
        SLUICEGATE_SAGEMAKER_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="sglocal",
        AWS_SECRET_ACCESS_KEY="sglocal",
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    names = ", ".join(f"{name} ({spec.dialect})" for name, spec in sorted(endpoints.items()))
    logger.info("sagemaker emulator is serving %s with endpoints %s", base_url, names)
    return emulator


def add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of invocations that fail, from 0 to 1 (default 0)")
    parser.add_argument("--fail-status", type=int, default=429, help="HTTP status of injected failures: 400, 424, 429, 500, 503 or 530 (default 429)")
    parser.add_argument("--fail-type", help="error type of injected failures (default: the one SageMaker uses with --fail-status)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every invocation, in milliseconds")
    parser.add_argument("--hang-rate", type=float, default=0.0, help="share of invocations that hang for --hang-s before they respond")
    parser.add_argument("--hang-s", type=float, default=30.0, help="length of a hang in seconds (default 30, at most 300)")
    parser.add_argument("--seed", type=int, help="seed of the fault draws, for a reproducible sequence")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8088, help="TCP port; 0 picks a free one (default 8088)")
    parser.add_argument("--routing-config", type=Path, help="emulate the SageMaker backends of this routing YAML")
    parser.add_argument("--endpoint", type=parse_endpoint, action="append", help="an extra endpoint NAME:DIALECT[:CONTEXT_WINDOW]; repeatable")
    parser.add_argument("--backend", choices=("echo", "local"), default="echo", help="what generates the answers: 'echo' repeats the prompt, 'local' runs the built SmolLM2 model (default echo)")
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER, help="tokenizer.json that counts prompt tokens (default: the built SmolLM2 tokenizer, if present)")
    add_fault_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    try:
        emulator = build_emulator(args)
    except ValueError as exc:
        parser.error(str(exc))
    base_url = emulator.start(args.host, args.port)
    names = ", ".join(f"{name} ({spec.dialect})" for name, spec in sorted(emulator.endpoints.items()))
    print(f"sagemaker emulator is serving {base_url} with endpoints {names}", file=sys.stderr, flush=True)
    try:
        emulator.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
