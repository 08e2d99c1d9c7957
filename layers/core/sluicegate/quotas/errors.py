"""Quota errors as the gateway reports them.

Rejections use the 429 classes of ``sluicegate.errors``: ``RateLimitError``
(code rate_limit_exceeded) for per-minute limits and ``InsufficientQuotaError``
(code insufficient_quota) for daily and monthly budgets.
"""

from __future__ import annotations

from ..errors import ConflictError, GatewayError, InvalidRequestError, ServiceUnavailableError


class QuotaUnavailableError(ServiceUnavailableError):
    """The quota check could not reach the database, so the request was not run."""

    code = "quota_unavailable"


class QuotaNotConfiguredError(GatewayError):
    """The tenant's tier has no quota defaults; an operator must add them."""

    code = "quota_not_configured"


class RequestIdReusedError(ConflictError):
    code = "request_id_reused"


class InvalidLimitError(InvalidRequestError):
    code = "invalid_limit"
