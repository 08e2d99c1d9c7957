"""Turn limit violations into the 429 error returned to the client."""

from __future__ import annotations

from ..errors import GatewayError, InsufficientQuotaError, RateLimitError
from .limits import LIMIT_SPECS, TENANT_SCOPE, Metric
from .models import Violation

_LABELS = {
    "requests_per_minute": "requests-per-minute limit",
    "tokens_per_minute": "tokens-per-minute limit",
    "tokens_per_day": "tokens-per-day limit",
    "micro_usd_per_day": "daily spending limit",
    "micro_usd_per_month": "monthly spending limit",
}
_PERIODS = {"minute": "per minute", "day": "per UTC day", "month": "per UTC calendar month"}


def format_amount(limit_name: str, amount: int) -> str:
    metric = LIMIT_SPECS[limit_name].metric
    if metric is Metric.MICRO_USD:
        return f"${amount / 1_000_000:.6f}"
    unit = "request" if metric is Metric.REQUESTS else "token"
    return f"{amount} {unit}" if amount == 1 else f"{amount} {unit}s"


def describe_violation(violation: Violation, tenant_id: str) -> str:
    owner = f"tenant {tenant_id!r}" if violation.scope == TENANT_SCOPE else f"API key {violation.scope!r}"
    name = violation.limit_name
    period = _PERIODS[LIMIT_SPECS[name].window.value]
    return (
        f"the {_LABELS[name]} of {owner} ({format_amount(name, violation.limit)} {period}) would be exceeded: "
        f"{format_amount(name, violation.used)} used, {format_amount(name, violation.reserved)} held by running "
        f"requests, and up to {format_amount(name, violation.amount)} needed by this request"
    )


def _advice(violation: Violation, retry_after: int | None, request_summary: str) -> str:
    if retry_after is not None:
        return f"retry after {retry_after} s"
    if LIMIT_SPECS[violation.limit_name].metric is Metric.REQUESTS:
        return "this limit admits no requests; ask your administrator to raise it"
    return f"this request can never fit ({request_summary}): lower max_tokens or shorten the messages"


def quota_exceeded_error(
    violations: list[Violation],
    retry_after: int | None,
    tenant_id: str,
    request_summary: str,
    headers: dict[str, str],
) -> GatewayError:
    """Build a 429: ``insufficient_quota`` if a budget is exhausted, else ``rate_limit_exceeded``."""
    is_budget = any(LIMIT_SPECS[violation.limit_name].is_budget for violation in violations)
    primary = violations[0]
    details = "; also, ".join(describe_violation(violation, tenant_id) for violation in violations)
    message = f"{details}; {_advice(primary, retry_after, request_summary)}"
    if is_budget and retry_after is not None:
        message += ", or ask your administrator to raise the limit"

    all_headers = dict(headers)
    if retry_after is not None:
        all_headers["retry-after"] = str(retry_after)
    error_class = InsufficientQuotaError if is_budget else RateLimitError
    error = error_class(message, headers=all_headers)
    # Read by the pipeline for the QuotaRejections metric.
    error.exhausted_limits = [violation.limit_name for violation in violations]
    return error
