"""Fixtures: the SageMaker emulator, and the gateway over real HTTP routed by a test config."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from routing_support import ScriptedLocal, SettableClock, emulator_client, start_emulator, write_word_tokenizer

from sglocal.emulator.server import SageMakerEmulator
from sglocal.emulator.serving import EmulatedEndpoint
from sglocal.runtime import apply_template_environment
from sglocal.server import LocalApiGateway, make_http_server
from sglocal.template import load_template
from sluicegate.backends.breaker import BreakerRegistry
from sluicegate.routing.pool import breaker_settings
from sluicegate.services import Services

ROOT = Path(__file__).resolve().parents[3]
LOCAL_MODEL = "smollm2-135m-instruct"

ENDPOINTS = [
    EmulatedEndpoint("test-tgi", "tgi", 4096),
    EmulatedEndpoint("test-chat", "openai_chat", 4096),
    EmulatedEndpoint("test-chat-nousage", "openai_chat", 4096, report_usage=False),
    EmulatedEndpoint("test-small-tgi", "tgi", 48),
]


def routing_yaml(tokenizer: Path) -> str:
    """The routing config of the HTTP tests; retries back off for milliseconds only."""

    def sagemaker(endpoint: str, dialect: str, window: int, threshold: int, extra: str = "") -> str:
        return f"""
    type: sagemaker
    endpoint_name: {endpoint}
    dialect: {dialect}
    context_window: {window}
    tokenizer: {tokenizer}
    price: {{instance_usd_per_hour: 3.6, tokens_per_second: 50}}
    retry: {{max_attempts: 2, backoff_s: 0.001, max_backoff_s: 0.005, jitter_s: 0.001}}
    breaker: {{failure_threshold: {threshold}, cooldown_s: 30}}{extra}"""

    token_price = "\n    price: {input_usd_per_million: 500, output_usd_per_million: 1500}"
    return f"""
version: 1
backends:
  local:
    type: local
  gpu-tgi:{sagemaker("test-tgi", "tgi", 4096, 3)}
  gpu-flaky:{sagemaker("test-tgi", "tgi", 4096, 1000)}
  gpu-tgi-prefill:{sagemaker("test-tgi", "tgi", 4096, 1000, chr(10) + "    prefill_details: true")}
  gpu-chat:{sagemaker("test-chat", "openai_chat", 4096, 1000)}
  gpu-chat-nousage:{sagemaker("test-chat-nousage", "openai_chat", 4096, 1000).replace(
        "price: {instance_usd_per_hour: 3.6, tokens_per_second: 50}", token_price.strip())}
  gpu-small:{sagemaker("test-small-tgi", "tgi", 4096, 1000)}
models:
  {LOCAL_MODEL}:
    route: local
  resilient:
    route: {{fallback: [gpu-tgi, local]}}
  flaky:
    route: {{fallback: [gpu-flaky, local]}}
  local-first:
    route: {{fallback: [local, gpu-flaky]}}
  tgi-only:
    route: gpu-flaky
  tgi-prefill:
    route: gpu-tgi-prefill
  chat-only:
    route: gpu-chat
  chat-nousage:
    route: gpu-chat-nousage
  small-endpoint:
    route: gpu-small
"""


@pytest.fixture(scope="session")
def word_tokenizer(tmp_path_factory) -> Path:
    return write_word_tokenizer(tmp_path_factory.mktemp("tokenizer") / "tokenizer.json")


@pytest.fixture(scope="module")
def emulator(word_tokenizer) -> tuple[SageMakerEmulator, str]:
    running, base_url = start_emulator(ENDPOINTS, word_tokenizer)
    yield running, base_url
    running.stop()


@pytest.fixture(autouse=True)
def clean_emulator(request):
    """Clear faults and the invocation log before each test that uses the emulator."""
    if "emulator" in request.fixturenames:
        running = request.getfixturevalue("emulator")[0]
        running.faults.reset()
        running.invocations.clear()
    yield


@dataclass
class RoutedGateway:
    base_url: str
    services: Services
    local: ScriptedLocal
    clock: SettableClock
    emulator: SageMakerEmulator


@pytest.fixture(scope="module")
def routed_gateway(services, emulator, word_tokenizer, tmp_path_factory) -> RoutedGateway:
    import sluicegate.services as services_module

    config = tmp_path_factory.mktemp("routing") / "routing.yaml"
    config.write_text(routing_yaml(word_tokenizer))
    routed = Services(services.settings.model_copy(update={"routing_config": config, "sagemaker_endpoint_url": emulator[1]}))
    routed.db = services.db
    routed.sagemaker_runtime = emulator_client(emulator[1])
    local = ScriptedLocal()
    routed.catalog.get(LOCAL_MODEL)._backend = local

    previous = services_module._services
    services_module._services = routed
    template = load_template(ROOT / "template.yaml")
    apply_template_environment(template.functions)
    server = make_http_server(LocalApiGateway(template), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield RoutedGateway(f"http://127.0.0.1:{server.server_address[1]}/v1", routed, local, SettableClock(), emulator[0])
    server.shutdown()
    services_module._services = previous


@pytest.fixture()
def gateway(routed_gateway) -> RoutedGateway:
    """The routed gateway with fresh circuit breakers on a settable clock and an empty request log."""
    services = routed_gateway.services
    routed_gateway.clock.now = 1000.0
    services.breakers = BreakerRegistry(breaker_settings(services.routing_config), clock=routed_gateway.clock)
    services.__dict__.pop("router", None)
    routed_gateway.local.requests.clear()
    return routed_gateway


@pytest.fixture()
def api_key(gateway, services, tenant_id) -> str:
    return services.tenants.create_key(tenant_id)[1]
