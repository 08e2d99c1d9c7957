"""The emulator serving the real in-function SmolLM2 model, in both dialects."""

from __future__ import annotations

from pathlib import Path

import pytest
from routing_support import emulator_client, start_emulator

from sglocal.emulator.serving import EmulatedEndpoint
from sluicegate.backends.base import ChatMessage, GenerationRequest, SamplingParams
from sluicegate.backends.local import LocalBackend
from sluicegate.backends.sagemaker import EndpointSettings, SageMakerBackend
from sluicegate.pricing.table import EndpointPrice, PriceTable, endpoint_cost

pytestmark = pytest.mark.model  # needs the built models (make models)

ROOT = Path(__file__).resolve().parents[3]
TOKENIZER = ROOT / "models" / "smollm2-135m-instruct" / "build" / "tokenizer.json"
QUESTION = (ChatMessage("user", "What is the capital of France?"),)


@pytest.fixture(scope="module")
def model_emulator(services):
    local = LocalBackend.from_settings(services.settings)
    endpoints = [EmulatedEndpoint("smol-tgi", "tgi", 2048), EmulatedEndpoint("smol-chat", "openai_chat", 2048, report_usage=False)]
    emulator, base_url = start_emulator(endpoints, TOKENIZER, backend=local)
    yield emulator, base_url
    emulator.stop()


@pytest.mark.parametrize(("endpoint", "dialect"), [("smol-tgi", "tgi"), ("smol-chat", "openai_chat")])
def test_real_model_answers_with_endpoint_token_counts(model_emulator, endpoint, dialect):
    emulator, base_url = model_emulator
    settings = EndpointSettings("gpu", endpoint, dialect, 2048, TOKENIZER)
    backend = SageMakerBackend(settings, emulator_client(base_url, read_timeout_s=60))

    result = backend.generate(GenerationRequest(QUESTION, SamplingParams(max_tokens=24, temperature=0.0)))

    truth = emulator.invocations[-1]
    assert "Paris" in result.text
    assert result.prompt_tokens == truth.prompt_tokens == backend.count_prompt_tokens(QUESTION)
    if dialect == "tgi":
        assert result.completion_tokens == truth.completion_tokens
    else:
        # Without usage in the response the gateway re-tokenizes the generated
        # text, and a model's own token sequence may split the same text differently.
        assert abs(result.completion_tokens - truth.completion_tokens) <= 2
    prices = PriceTable(endpoints={"gpu": EndpointPrice(instance_usd_per_hour=1.5, tokens_per_second=400)})
    assert backend.cost(prices, result) == endpoint_cost(prices, "gpu", output_tokens=result.completion_tokens, input_tokens=result.prompt_tokens)
