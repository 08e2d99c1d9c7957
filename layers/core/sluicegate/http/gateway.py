"""Routes of the gateway function (API Gateway REST proxy events)."""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ..api.chat import ChatCompletionRequest
from ..api.parsing import parse_model
from ..errors import AuthenticationError, GatewayError, NotFoundError
from ..observability.metrics import RequestMetrics
from ..pipeline.chat import ChatOutcome, run_chat
from ..pipeline.context import RequestContext
from ..services import Services, get_services
from ..tenants.models import Principal
from .responses import (
    chat_completion_body,
    chat_completion_stream_body,
    error_response,
    gateway_headers,
    json_response,
)

logger = Logger(service="sluicegate", child=True)
std_logger = logging.getLogger(__name__)


def principal_from_event(authorizer: dict[str, Any] | None) -> Principal:
    """Read the caller that the token authorizer put into the request context."""
    authorizer = authorizer or {}
    tenant_id = authorizer.get("tenant_id")
    if not tenant_id:
        raise AuthenticationError("the request did not pass the API key authorizer; send a valid bearer key")
    return Principal(tenant_id=tenant_id, key_id=authorizer.get("key_id", ""), tier=authorizer.get("tier", "standard"))


def build_app(services: Services | None = None) -> APIGatewayRestResolver:
    """Create the resolver with every route; ``services`` defaults to the container's."""
    app = APIGatewayRestResolver(strip_prefixes=[])

    def current_services() -> Services:
        return services or get_services()

    def request_context() -> RequestContext:
        event = app.current_event
        remaining = None
        if app.lambda_context is not None:
            remaining = app.lambda_context.get_remaining_time_in_millis() / 1000
        return RequestContext(
            request_id=event.request_context.request_id,
            principal=principal_from_event(event.request_context.authorizer.raw_event),
            remaining_time_s=remaining,
        )

    @app.get("/v1/models")
    def list_models() -> Response:
        request_context()
        catalog = current_services().catalog
        data = [
            {"id": entry.model_id, "object": "model", "created": entry.created, "owned_by": entry.owned_by}
            for entry in catalog.entries()
        ]
        return json_response(200, {"object": "list", "data": data})

    @app.get("/v1/models/<model_id>")
    def get_model(model_id: str) -> Response:
        request_context()
        entry = current_services().catalog.get(model_id)
        return json_response(200, {"id": entry.model_id, "object": "model", "created": entry.created, "owned_by": entry.owned_by})

    @app.post("/v1/chat/completions")
    def chat_completions() -> Response:
        ctx = request_context()
        svc = current_services()
        try:
            request = parse_model(ChatCompletionRequest, app.current_event.body)
            backend = svc.catalog.get(request.model).backend()
            ctx.metrics.set_dimensions(Backend=backend.name, Model=request.model)
            outcome = run_chat(ctx, request, backend, svc.settings, svc.prices)
            _record_success(ctx, outcome, svc.prices.version)
        except GatewayError as exc:
            ctx.metrics.error(exc.code or exc.error_type)
            raise
        finally:
            for stage, milliseconds in ctx.timer.stages_ms.items():
                ctx.metrics.stage(stage, milliseconds)
            ctx.metrics.flush()

        headers = gateway_headers(ctx.request_id, outcome, ctx.timer)
        if request.stream:
            include_usage = bool(request.stream_options and request.stream_options.include_usage)
            headers["cache-control"] = "no-cache"
            return Response(
                status_code=200,
                content_type="text/event-stream; charset=utf-8",
                body=chat_completion_stream_body(outcome, include_usage),
                headers=headers,
            )
        return json_response(200, chat_completion_body(outcome), headers)

    @app.exception_handler(GatewayError)
    def handle_gateway_error(error: GatewayError) -> Response:
        if error.status >= 500:
            logger.warning("request failed", error_code=error.code, status=error.status)
        return error_response(error, _request_id(app))

    @app.not_found
    def handle_not_found(_: Exception) -> Response:
        event = app.current_event
        error = NotFoundError(
            f"no route for {event.http_method} {event.path}; see GET /v1/models and POST /v1/chat/completions",
            code="unknown_url",
        )
        return error_response(error, _request_id(app))

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        logger.exception("unhandled error", error_type=type(error).__name__)
        internal = GatewayError("the gateway failed to process the request; retry, and report the request id if it persists")
        return error_response(internal, _request_id(app))

    return app


def _record_success(ctx: RequestContext, outcome: ChatOutcome, price_version: str) -> None:
    metrics: RequestMetrics = ctx.metrics
    result = outcome.result
    metrics.add("Requests", 1)
    metrics.add("RequestLatency", ctx.timer.elapsed_ms())
    metrics.add("TimeToFirstToken", ctx.timer.stages_ms.get("validate", 0.0) + result.time_to_first_token_s * 1000)
    metrics.add("GatewayOverhead", ctx.timer.overhead_ms())
    metrics.add("InputTokens", result.prompt_tokens)
    metrics.add("OutputTokens", result.completion_tokens)
    if outcome.cost is not None:
        metrics.add("CostMicroUSD", outcome.cost.micro_usd)
        metrics.add_metadata(CostBasis=outcome.cost.basis, PriceTableVersion=price_version)


def _request_id(app: APIGatewayRestResolver) -> str | None:
    try:
        return app.current_event.request_context.request_id
    except (AttributeError, KeyError, TypeError):
        return None
