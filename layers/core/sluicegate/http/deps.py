"""Route dependencies: the container's services and the request's context."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from ..errors import AuthenticationError, PayloadTooLargeError
from ..pipeline.context import RequestContext
from ..services import Services, get_services
from ..tenants.models import Principal


def principal_from_event(authorizer: dict[str, Any] | None) -> Principal:
    """Read the caller that the token authorizer put into the request context."""
    authorizer = authorizer or {}
    tenant_id = authorizer.get("tenant_id")
    if not tenant_id:
        raise AuthenticationError("the request did not pass the API key authorizer; send a valid bearer key")
    return Principal(tenant_id=tenant_id, key_id=authorizer.get("key_id", ""), tier=authorizer.get("tier", "standard"))


class RouteDeps:
    def __init__(self, app: APIGatewayRestResolver, services: Services | None) -> None:
        self.app = app
        self._services = services

    def services(self) -> Services:
        return self._services or get_services()

    def request_context(self) -> RequestContext:
        """Build the context of the current request; raises 401 without an authorizer context."""
        event = self.app.current_event
        remaining = None
        if self.app.lambda_context is not None:
            remaining = self.app.lambda_context.get_remaining_time_in_millis() / 1000
        return RequestContext(
            request_id=event.request_context.request_id,
            principal=principal_from_event(event.request_context.authorizer.raw_event),
            remaining_time_s=remaining,
        )

    def body(self) -> str | None:
        """Return the request body; raise a 413 when it is larger than ``request_max_body_bytes``."""
        body = self.app.current_event.body
        limit = self.services().settings.request_max_body_bytes
        # A character is at most 4 bytes in UTF-8, so only long bodies need encoding to be measured.
        if body is not None and len(body) * 4 > limit:
            size = len(body.encode("utf-8", "surrogatepass"))
            if size > limit:
                raise PayloadTooLargeError(
                    f"the request body is {size} bytes; the limit is {limit} bytes: "
                    "send fewer or shorter texts per request"
                )
        return body
