"""Quotas through the local API Gateway stand-in over real HTTP, with a scripted model backend."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import openai
import pytest
from openai import OpenAI
from quota_helpers import reservation_status

from sluicegate.backends.base import GenerationChunk, GenerationResult
from local_gateway import serve_gateway
from sluicegate.services import Services

MODEL = "smollm2-135m-instruct"
# A user message with exactly this text makes the scripted backend fail during dispatch.
FAIL_TEXT = "please fail"


class ScriptedBackend:
    """Answers "ok" with 3 prompt tokens per message and 2 completion tokens, or fails on ``FAIL_TEXT``."""

    name = "local"

    def count_prompt_tokens(self, messages) -> int:
        return 3 * len(messages)

    def context_window(self) -> int:
        return 64

    def generate(self, request):
        return GenerationResult("ok", "stop", self.count_prompt_tokens(request.messages), 2, 0.001)

    def stream(self, request):
        if request.messages[-1].content == FAIL_TEXT:
            raise RuntimeError("scripted backend failure")
        yield GenerationChunk("ok", result=self.generate(request))


@pytest.fixture(scope="module")
def base_url(services: Services):
    with serve_gateway(services, ScriptedBackend()) as url:
        yield url


@pytest.fixture()
def api_key(services, tenant_id) -> str:
    return services.tenants.create_key(tenant_id)[1]


def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def ask(client: OpenAI, text: str = "hi"):
    return client.chat.completions.with_raw_response.create(model=MODEL, messages=[{"role": "user", "content": text}])


def test_chat_answer_carries_rate_limit_headers(base_url, api_key):
    raw = ask(OpenAI(base_url=base_url, api_key=api_key, max_retries=0))

    assert raw.headers["x-ratelimit-limit-requests"] == "300"
    assert raw.headers["x-ratelimit-remaining-requests"] == "299"
    assert raw.headers["x-ratelimit-limit-tokens"] == "200000"
    # The hold is 3 prompt tokens + 61 (the rest of the 64-token context window).
    assert raw.headers["x-ratelimit-remaining-tokens"] == str(200000 - 64)
    assert raw.headers["x-ratelimit-reset-requests"].endswith("s")


def test_exhausted_budget_returns_429_with_retry_after(services, base_url, api_key, tenant_id):
    services.quotas.limits.set_overrides(tenant_id, values={"tokens_per_day": 64})
    client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    ask(client)

    with pytest.raises(openai.RateLimitError) as caught:
        ask(client)
    error = caught.value
    assert error.body["code"] == "insufficient_quota"
    assert error.body["type"] == "insufficient_quota"
    assert int(error.response.headers["retry-after"]) > 0
    assert error.response.headers["x-ratelimit-remaining-requests"] == "299"


def test_failed_dispatch_releases_hold(services, base_url, api_key):
    client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)

    with pytest.raises(openai.InternalServerError) as caught:
        ask(client, FAIL_TEXT)
    request_id = caught.value.response.headers["x-sluicegate-request-id"]
    assert reservation_status(services, request_id) == "released"


def test_usage_route_reports_own_windows(base_url, api_key, tenant_id):
    ask(OpenAI(base_url=base_url, api_key=api_key, max_retries=0))

    status, body = get_json(f"{base_url}/usage", {"Authorization": f"Bearer {api_key}"})

    assert status == 200
    assert (body["object"], body["tenant_id"], body["tier"]) == ("usage", tenant_id, "standard")
    by_name = {entry["name"]: entry for entry in body["limits"] if entry["scope"] == "tenant"}
    assert by_name["requests_per_minute"]["used"] + by_name["requests_per_minute"]["reserved"] == 1
    assert by_name["tokens_per_day"]["used"] == 5
    assert by_name["tokens_per_day"]["remaining"] == 5_000_000 - 5
    assert by_name["micro_usd_per_month"]["unit"] == "micro_usd"


def test_usage_route_requires_api_key(base_url):
    status, body = get_json(f"{base_url}/usage")
    assert status == 401
    assert body["error"]["code"] == "invalid_api_key"


def test_rejection_emits_quota_rejections_metric(services, base_url, api_key, tenant_id, capsys):
    services.quotas.limits.set_overrides(tenant_id, values={"tokens_per_day": 64})
    client = OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    ask(client)
    capsys.readouterr()

    with pytest.raises(openai.RateLimitError):
        ask(client)
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    rejections = [record for record in records if "QuotaRejections" in record]
    assert len(rejections) == 1
    assert rejections[0]["Window"] == "tokens_per_day"
    assert rejections[0]["tenant_id"] == tenant_id
