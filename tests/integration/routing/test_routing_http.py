"""Routing through the local API Gateway over real HTTP, with the SageMaker emulator as the GPU endpoints."""

from __future__ import annotations

import openai
import pytest
from openai import OpenAI
from routing_support import emf_records, metric_total

from sluicegate.pricing.table import endpoint_cost

REQUESTS = 40


def chat(gateway, api_key, model: str, content: str = "what is the capital of france", **kwargs):
    client = OpenAI(base_url=gateway.base_url, api_key=api_key, max_retries=0)
    return client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": content}], **kwargs
    )


def test_half_throttled_endpoint_still_serves_every_request(gateway, api_key, capsys):
    gateway.emulator.faults.update(fail_rate=0.5, fail_status=429, seed=1)
    capsys.readouterr()

    backends = []
    for _ in range(REQUESTS):
        raw = chat(gateway, api_key, "flaky", max_tokens=8)
        assert raw.http_response.status_code == 200
        assert raw.parse().choices[0].message.content
        assert raw.headers["x-sluicegate-route"] == "flaky"
        backends.append(raw.headers["x-sluicegate-backend"])

    records = emf_records(capsys.readouterr().out)
    calls = gateway.emulator.invocations
    injected = sum(1 for call in calls if call.injected)
    served_local = backends.count("local")
    assert set(backends) <= {"gpu-flaky", "local"}
    assert injected > 0
    assert served_local > 0, "no request fell back; pick another seed"
    assert backends.count("gpu-flaky") == sum(1 for call in calls if call.status == 200)
    # Each request makes at most two attempts: a request served by the endpoint
    # retried once per failure, one that fell back retried once and failed twice.
    assert metric_total(records, "Retries", Backend="gpu-flaky", Model="flaky", Route="flaky") == injected - served_local
    assert metric_total(records, "Fallbacks", Backend="gpu-flaky", Model="flaky", Route="flaky") == served_local
    assert metric_total(records, "Requests", Model="flaky") == REQUESTS


def test_breaker_opens_skips_and_closes_after_cooldown(gateway, api_key, capsys):
    gateway.emulator.faults.update(fail_next=1000, fail_status=503)

    for _ in range(3):
        assert chat(gateway, api_key, "resilient").headers["x-sluicegate-backend"] == "local"
    assert len(gateway.emulator.invocations) == 6
    assert gateway.services.breakers.get("gpu-tgi").state == "open"

    capsys.readouterr()
    assert chat(gateway, api_key, "resilient").headers["x-sluicegate-backend"] == "local"
    assert len(gateway.emulator.invocations) == 6, "the open breaker let a call through"
    assert metric_total(emf_records(capsys.readouterr().out), "BreakerOpen", Backend="gpu-tgi") == 1

    gateway.emulator.faults.reset()
    gateway.clock.advance(29)
    assert chat(gateway, api_key, "resilient").headers["x-sluicegate-backend"] == "local"
    assert len(gateway.emulator.invocations) == 6

    gateway.clock.advance(1)
    assert chat(gateway, api_key, "resilient").headers["x-sluicegate-backend"] == "gpu-tgi"
    assert gateway.services.breakers.get("gpu-tgi").state == "closed"
    assert chat(gateway, api_key, "resilient").headers["x-sluicegate-backend"] == "gpu-tgi"
    assert len(gateway.emulator.invocations) == 8


def test_breaker_reopens_when_trial_call_fails(gateway, api_key):
    gateway.emulator.faults.update(fail_next=1000, fail_status=500)
    for _ in range(3):
        chat(gateway, api_key, "resilient")
    gateway.clock.advance(30)
    assert gateway.services.breakers.get("gpu-tgi").state == "half_open"

    assert chat(gateway, api_key, "resilient").headers["x-sluicegate-backend"] == "local"
    assert gateway.services.breakers.get("gpu-tgi").state == "open"


def test_too_long_request_never_reaches_small_fallback(gateway, api_key, capsys):
    gateway.emulator.faults.update(fail_next=1000, fail_status=503)
    long_prompt = "tell me " * 100  # 200 words: more than the local window of 128
    capsys.readouterr()

    with pytest.raises(openai.InternalServerError) as caught:
        chat(gateway, api_key, "resilient", content=long_prompt, max_tokens=16)

    assert caught.value.status_code == 503
    assert gateway.local.requests == []
    assert metric_total(emf_records(capsys.readouterr().out), "ContextWindowSkips", Backend="local") == 1


def test_too_long_request_skips_small_first_choice(gateway, api_key):
    raw = chat(gateway, api_key, "local-first", content="tell me " * 100, max_tokens=16)

    assert raw.headers["x-sluicegate-backend"] == "gpu-flaky"
    assert raw.headers["x-sluicegate-route"] == "local-first"
    assert gateway.local.requests == []


def test_short_request_stays_on_first_choice(gateway, api_key):
    raw = chat(gateway, api_key, "local-first", max_tokens=16)

    assert raw.headers["x-sluicegate-backend"] == "local"
    assert len(gateway.local.requests) == 1
    assert gateway.emulator.invocations == []


def test_endpoint_context_error_becomes_400(gateway, api_key):
    # The backend claims 4096 tokens, but the endpoint behind it only takes 48.
    with pytest.raises(openai.BadRequestError) as caught:
        chat(gateway, api_key, "small-endpoint", content="tell me " * 20, max_tokens=40)

    assert caught.value.body["code"] == "context_length_exceeded"
    assert len(gateway.emulator.invocations) == 1, "a context length error must not be retried"


@pytest.mark.parametrize(
    ("model", "basis"),
    [
        ("tgi-only", "sagemaker_instance"),
        ("tgi-prefill", "sagemaker_instance"),
        ("chat-only", "sagemaker_instance"),
        ("chat-nousage", "token_price"),
    ],
)
def test_usage_and_cost_match_endpoint_truth(gateway, api_key, model, basis):
    raw = chat(gateway, api_key, model, content="hello please tell me the capital of france", max_tokens=5, stop=["zzz"])
    reply = raw.parse()

    truth = gateway.emulator.invocations[-1]
    assert truth.status == 200
    assert reply.usage.prompt_tokens == truth.prompt_tokens
    assert reply.usage.completion_tokens == truth.completion_tokens
    backend = raw.headers["x-sluicegate-backend"]
    expected = endpoint_cost(gateway.services.prices, backend, output_tokens=truth.completion_tokens, input_tokens=truth.prompt_tokens)
    assert raw.headers["x-sluicegate-cost-basis"] == basis
    assert raw.headers["x-sluicegate-cost-usd"] == f"{expected.usd:.6f}"
    assert expected.micro_usd > 0


def test_models_lists_every_alias(gateway, api_key):
    client = OpenAI(base_url=gateway.base_url, api_key=api_key, max_retries=0)

    ids = [model.id for model in client.models.list()]

    assert ids == sorted(gateway.services.routing_config.models)
    assert client.models.retrieve("flaky").id == "flaky"
