"""Worst-case cost of a request, priced before it runs."""

from __future__ import annotations

from ..pricing.table import Cost, PriceTable, endpoint_cost, lambda_cost


def worst_case_cost(
    prices: PriceTable,
    backend: str,
    prompt_tokens: int,
    max_tokens: int,
    *,
    local_tokens_per_second: float,
    lambda_memory_mb: int,
    local_prefill_tokens_per_second: float = 100.0,
) -> Cost:
    """Price the most a request may cost if it generates all of ``max_tokens``.

    A backend with an entry in the price table is a SageMaker endpoint and is
    priced per token or per instance second. Any other backend runs inside the
    gateway function, so its cost is Lambda time: the prompt read at
    ``local_prefill_tokens_per_second`` plus ``max_tokens`` generated at
    ``local_tokens_per_second``, rates chosen below what the function really
    achieves. A slower run is billed no more than this amount
    (``quotas.hooks.bill_within_hold``), so the estimate is also the price cap.
    """
    if backend in prices.token_prices or backend in prices.endpoints:
        return endpoint_cost(prices, backend, output_tokens=max_tokens, input_tokens=prompt_tokens)
    if local_tokens_per_second <= 0 or local_prefill_tokens_per_second <= 0:
        raise ValueError(
            f"local token rates must be positive, got {local_tokens_per_second} (decode) "
            f"and {local_prefill_tokens_per_second} (prefill)"
        )
    duration_s = prompt_tokens / local_prefill_tokens_per_second + max_tokens / local_tokens_per_second
    return lambda_cost(prices, duration_s, lambda_memory_mb)
