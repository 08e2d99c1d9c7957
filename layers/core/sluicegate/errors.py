"""Gateway errors and their OpenAI-style HTTP representation.

Every capability raises a subclass of ``GatewayError``; the HTTP layer turns it
into ``{"error": {"message", "type", "param", "code"}}`` with ``status``.
Clients never see a raw exception string.
"""

from __future__ import annotations

from typing import Any


class GatewayError(Exception):
    """An error a client can act on, with its HTTP status and OpenAI error fields."""

    status = 500
    error_type = "api_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.headers = headers or {}

    def to_body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequestError(GatewayError):
    status = 400
    error_type = "invalid_request_error"


class ContextLengthExceededError(InvalidRequestError):
    code = "context_length_exceeded"


class AuthenticationError(GatewayError):
    status = 401
    error_type = "authentication_error"
    code = "invalid_api_key"


class PermissionDeniedError(GatewayError):
    status = 403
    error_type = "permission_error"


class NotFoundError(GatewayError):
    status = 404
    error_type = "invalid_request_error"
    code = "not_found"


class ModelNotFoundError(NotFoundError):
    code = "model_not_found"


class ConflictError(GatewayError):
    status = 409
    error_type = "invalid_request_error"
    code = "conflict"


class PayloadTooLargeError(GatewayError):
    status = 413
    error_type = "invalid_request_error"
    code = "payload_too_large"


class RateLimitError(GatewayError):
    status = 429
    error_type = "rate_limit_error"
    code = "rate_limit_exceeded"


class InsufficientQuotaError(GatewayError):
    status = 429
    error_type = "insufficient_quota"
    code = "insufficient_quota"


class BackendError(GatewayError):
    """The model backend failed after retries and fallbacks."""

    status = 502
    error_type = "api_error"
    code = "backend_error"


class ServiceUnavailableError(GatewayError):
    status = 503
    error_type = "api_error"
    code = "service_unavailable"


class BackendTimeoutError(GatewayError):
    status = 504
    error_type = "api_error"
    code = "timeout"
