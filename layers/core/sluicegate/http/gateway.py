"""The resolvers of the gateway and admin functions: their route modules plus the error mapping."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ..errors import GatewayError, NotFoundError
from ..services import Services
from .deps import RouteDeps
from .responses import error_response
from .routes import batches, chat, documents, embeddings, models, openapi, redact, usage

logger = Logger(service="sluicegate", child=True)

ROUTE_MODULES = (models, chat, redact, usage, documents, embeddings, batches, openapi)


def build_app(services: Services | None = None, route_modules: tuple = ROUTE_MODULES) -> APIGatewayRestResolver:
    """Create the resolver with the given routes; ``services`` defaults to the container's."""
    app = APIGatewayRestResolver()
    deps = RouteDeps(app, services)
    for module in route_modules:
        module.register(app, deps)

    def request_id() -> str | None:
        try:
            return app.current_event.request_context.request_id
        except (AttributeError, KeyError, TypeError):
            return None

    @app.exception_handler(GatewayError)
    def handle_gateway_error(error: GatewayError) -> Response:
        if error.status >= 500:
            logger.warning("request failed", error_code=error.code, status=error.status, request_id=request_id())
        return error_response(error, request_id())

    @app.not_found
    def handle_not_found(_: Exception) -> Response:
        event = app.current_event
        error = NotFoundError(
            f"no route for {event.http_method} {event.path}; see the API reference in README.md",
            code="unknown_url",
        )
        return error_response(error, request_id())

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        logger.exception("unhandled error", error_type=type(error).__name__, request_id=request_id())
        internal = GatewayError("the gateway failed to process the request; retry, and report the request id if it persists")
        return error_response(internal, request_id())

    return app


def build_admin_app(services: Services | None = None) -> APIGatewayRestResolver:
    """Create the admin function's resolver, whose routes template.yaml puts behind IAM authorization."""
    # Imported here, so that the gateway function does not load the admin routes.
    from .routes import admin

    return build_app(services, (admin,))
