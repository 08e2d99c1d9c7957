"""The versioned price table. A deployment may override any entry.

Prices are public AWS list prices for us-east-1 as of the table version; an
operator with negotiated or regional prices passes an override.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

CostBasis = Literal["lambda_gb_s", "sagemaker_instance", "token_price"]

MICRO_USD_PER_USD = 1_000_000


@dataclass(frozen=True)
class EndpointPrice:
    """A SageMaker endpoint: instance price and the throughput it sustains."""

    instance_usd_per_hour: float
    # Measured generated tokens per second across the whole instance.
    tokens_per_second: float


@dataclass(frozen=True)
class TokenPrice:
    input_usd_per_million: float
    output_usd_per_million: float


@dataclass(frozen=True)
class PriceTable:
    version: str = "2026-12-01"
    lambda_usd_per_gb_second: float = 0.0000166667  # x86_64, first pricing tier
    lambda_usd_per_request: float = 0.20 / 1_000_000
    endpoints: dict[str, EndpointPrice] = field(default_factory=dict)
    token_prices: dict[str, TokenPrice] = field(default_factory=dict)

    def with_overrides(self, **changes: object) -> "PriceTable":
        return replace(self, **changes)


@dataclass(frozen=True)
class Cost:
    micro_usd: int
    basis: CostBasis

    @property
    def usd(self) -> float:
        return self.micro_usd / MICRO_USD_PER_USD


def _to_micro_usd(usd: float) -> int:
    # Round up so that a sum of request costs never understates the bill.
    return math.ceil(usd * MICRO_USD_PER_USD)


def lambda_cost(table: PriceTable, duration_s: float, memory_mb: int) -> Cost:
    """Cost of running the local backend for ``duration_s`` in a function of ``memory_mb``."""
    billed_ms = math.ceil(duration_s * 1000)
    gb_seconds = billed_ms / 1000 * memory_mb / 1024
    usd = gb_seconds * table.lambda_usd_per_gb_second + table.lambda_usd_per_request
    return Cost(micro_usd=_to_micro_usd(usd), basis="lambda_gb_s")


def endpoint_cost(table: PriceTable, endpoint: str, output_tokens: int, input_tokens: int) -> Cost:
    """Cost of a SageMaker call: per-token price if configured, else instance time."""
    if endpoint in table.token_prices:
        price = table.token_prices[endpoint]
        usd = (input_tokens * price.input_usd_per_million + output_tokens * price.output_usd_per_million) / 1e6
        return Cost(micro_usd=_to_micro_usd(usd), basis="token_price")
    price = table.endpoints[endpoint]
    instance_seconds = output_tokens / price.tokens_per_second
    return Cost(micro_usd=_to_micro_usd(instance_seconds * price.instance_usd_per_hour / 3600), basis="sagemaker_instance")
