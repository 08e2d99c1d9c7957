"""Classify SageMaker Runtime failures: retry or not, and which gateway error.

Only this module and ``sagemaker.py`` know botocore's exception types.
"""

from __future__ import annotations

import re

from botocore.exceptions import ClientError, ConnectTimeoutError, ConnectionError as BotoConnectionError, HTTPClientError, ReadTimeoutError

from ..errors import (
    BackendError,
    BackendTimeoutError,
    ContextLengthExceededError,
    GatewayError,
    ServiceUnavailableError,
)

# Error codes that mean "try again later"; ModelError and InternalFailure are
# decided by their HTTP status below.
RETRYABLE_CODES = frozenset({
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "ModelNotReadyException",
})

# Messages TGI ("must be <= N"), vLLM ("maximum context length") and other
# servers use when the prompt plus the completion budget exceed the window.
_CONTEXT_LENGTH = re.compile(r"maximum context length|context length|context window|must be <= ?\d+|too long|too many tokens", re.I)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def original_status(exc: ClientError) -> int | None:
    """Return the status the model container sent, for ``ModelError``."""
    value = exc.response.get("OriginalStatusCode")
    return int(value) if isinstance(value, int) else None


def _error_text(exc: ClientError) -> str:
    return f"{exc.response.get('OriginalMessage', '')} {exc.response.get('Error', {}).get('Message', '')}"


def is_context_length_error(exc: BaseException) -> bool:
    if not isinstance(exc, ClientError) or error_code(exc) not in {"ModelError", "ValidationError"}:
        return False
    status = original_status(exc) if error_code(exc) == "ModelError" else http_status(exc)
    return status is not None and 400 <= status < 500 and bool(_CONTEXT_LENGTH.search(_error_text(exc)))


def is_retryable(exc: BaseException) -> bool:
    """Retry throttling, unavailability, 5xx from SageMaker or the model, and connection errors."""
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return True
    if not isinstance(exc, ClientError):
        return False
    if error_code(exc) in RETRYABLE_CODES or http_status(exc) == 429:
        return True
    if error_code(exc) == "ModelError":
        status = original_status(exc)
        return status is not None and (status >= 500 or status == 429)
    return http_status(exc) >= 500


def to_gateway_error(exc: BaseException, endpoint: str, attempts: int) -> GatewayError:
    """Turn the last failure of a call into the error the client receives."""
    tried = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
    if is_context_length_error(exc):
        return ContextLengthExceededError(
            f"the model on endpoint {endpoint!r} rejected the request as longer than its context window; "
            "shorten the messages or lower max_tokens",
            param="messages",
        )
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return BackendTimeoutError(f"the SageMaker endpoint {endpoint!r} timed out {tried}; retry later")
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return ServiceUnavailableError(f"the SageMaker endpoint {endpoint!r} could not be reached {tried}; retry later")
    if isinstance(exc, ClientError):
        code = error_code(exc) or f"HTTP {http_status(exc)}"
        if code in RETRYABLE_CODES or http_status(exc) in {429, 503}:
            return ServiceUnavailableError(f"the SageMaker endpoint {endpoint!r} is unavailable ({code}) {tried}; retry later")
        return BackendError(f"the SageMaker endpoint {endpoint!r} failed with {code} {tried}")
    return BackendError(f"the SageMaker endpoint {endpoint!r} failed with {type(exc).__name__} {tried}")
