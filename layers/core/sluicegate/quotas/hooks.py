"""Quota steps of the chat pipeline: reserve before dispatch, settle or release after."""

from __future__ import annotations

import logging

import psycopg

from ..errors import GatewayError
from ..pricing.table import Cost, PriceTable
from ..settings import Settings
from ..tenants.models import Principal
from .costing import worst_case_cost
from .models import Charge, Reservation, Usage
from .service import QuotaService

logger = logging.getLogger(__name__)


def reserve_for_chat(
    quotas: QuotaService,
    principal: Principal,
    request_id: str,
    backend: str,
    prompt_tokens: int,
    max_tokens: int,
    prices: PriceTable,
    settings: Settings,
    worst_case: Cost | None = None,
) -> Reservation:
    """Hold the worst case of a chat completion: all of ``max_tokens`` generated, priced for ``backend``.

    A backend that prices itself (a SageMaker endpoint) passes its own ``worst_case``.
    """
    cost = worst_case or worst_case_cost(
        prices,
        backend,
        prompt_tokens,
        max_tokens,
        local_tokens_per_second=settings.quota_local_tokens_per_second,
        lambda_memory_mb=settings.lambda_memory_mb,
        local_prefill_tokens_per_second=settings.quota_local_prefill_tokens_per_second,
    )
    return quotas.reserve(principal, request_id, prompt_tokens=prompt_tokens, max_tokens=max_tokens, micro_usd=cost.micro_usd)


def release_after_failure(quotas: QuotaService, reservation: Reservation) -> None:
    """Release the hold of a failed request; a failure here is logged, because the original error matters more."""
    try:
        quotas.release(reservation)
    except (GatewayError, psycopg.Error):
        logger.error(
            "could not release the quota hold of failed request %s; it stays held until %s",
            reservation.request_id, reservation.expires_at.isoformat(), exc_info=True,
        )


def bill_within_hold(cost: Cost, reservation: Reservation) -> Cost:
    """Cap a request's charge at the amount held for it.

    Admission counted the hold against the budgets, so charging more could
    overspend them. A request that ran slower than the worst-case estimate is
    billed at the estimate, and the event is logged.
    """
    if not reservation.enforced or cost.micro_usd <= reservation.micro_usd:
        return cost
    logger.warning(
        "request %s cost %d micro-USD, more than the %d held for it; billed at the held amount",
        reservation.request_id, cost.micro_usd, reservation.micro_usd,
    )
    return Cost(micro_usd=reservation.micro_usd, basis=cost.basis)


def settle_after_success(quotas: QuotaService, reservation: Reservation, usage: Usage) -> Charge | None:
    """Charge real usage. A failure is logged and the response is still returned, because the completion exists."""
    try:
        return quotas.settle(reservation, usage)
    except (GatewayError, psycopg.Error):
        logger.error(
            "could not record the usage of request %s (tenant %s, %d tokens, %d micro-USD); "
            "the usage is not charged and the hold expires at %s",
            reservation.request_id, reservation.tenant_id, usage.total_tokens, usage.cost_micro_usd,
            reservation.expires_at.isoformat(), exc_info=True,
        )
        return None
