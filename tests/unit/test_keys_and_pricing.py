"""API key format and request pricing."""

from __future__ import annotations

import pytest

from sluicegate.auth.keys import KEY_PREFIX, digest_key, digests_match, generate_key, parse_key
from sluicegate.http.authorizer import stage_wildcard_arn
from sluicegate.pricing.table import EndpointPrice, PriceTable, TokenPrice, endpoint_cost, lambda_cost


def test_generated_key_parses_back():
    key_id, full_key = generate_key()
    parsed = parse_key(full_key)
    assert full_key.startswith(f"{KEY_PREFIX}_{key_id}_")
    assert parsed.key_id == key_id
    assert digests_match(parsed.digest, digest_key(full_key))


def test_generated_keys_are_unique():
    assert len({generate_key()[1] for _ in range(200)}) == 200


@pytest.mark.parametrize("bad", ["", "sk-other_abc_def", "sk-sg_short_secret", "sk-sg_0123456789ab_", "no-underscores"])
def test_parse_key_rejects_foreign_shapes(bad):
    assert parse_key(bad) is None


def test_stage_wildcard_arn_covers_every_route():
    arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/POST/v1/chat/completions"
    assert stage_wildcard_arn(arn) == "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/*/*"


def test_lambda_cost_uses_billed_milliseconds_and_memory():
    table = PriceTable(lambda_usd_per_gb_second=0.00001, lambda_usd_per_request=0.0000002)
    cost = lambda_cost(table, duration_s=1.0004, memory_mb=2048)
    # 1001 billed ms at 2 GB = 2.002 GB-s -> 20.02 micro-USD, plus 0.2 per request, rounded up.
    assert cost.micro_usd == 21
    assert cost.basis == "lambda_gb_s"


def test_endpoint_cost_prefers_token_price():
    table = PriceTable(
        endpoints={"big": EndpointPrice(instance_usd_per_hour=3.6, tokens_per_second=100)},
        token_prices={"metered": TokenPrice(input_usd_per_million=1.0, output_usd_per_million=2.0)},
    )
    instance = endpoint_cost(table, "big", output_tokens=100, input_tokens=50)
    metered = endpoint_cost(table, "metered", output_tokens=1000, input_tokens=1000)
    assert (instance.micro_usd, instance.basis) == (1000, "sagemaker_instance")
    assert (metered.micro_usd, metered.basis) == (3000, "token_price")
