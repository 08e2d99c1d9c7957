"""``POST /v1/chat/completions``."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ...api.chat import ChatCompletionRequest
from ...api.parsing import parse_model
from ...errors import GatewayError
from ...pipeline.chat import ChatOutcome, run_chat
from ...pipeline.context import RequestContext
from ..deps import RouteDeps
from ..responses import chat_completion_body, chat_completion_stream_body, gateway_headers, json_response


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.post("/v1/chat/completions")
    def chat_completions() -> Response:
        ctx = deps.request_context()
        services = deps.services()
        try:
            request = parse_model(ChatCompletionRequest, deps.body())
            backend = services.catalog.get(request.model).backend()
            ctx.metrics.set_dimensions(Backend=backend.name, Model=request.model)
            outcome = run_chat(ctx, request, backend, services.settings, services.prices)
            record_success(ctx, outcome, services.prices.version)
        except GatewayError as exc:
            ctx.metrics.error(exc.code or exc.error_type)
            raise
        finally:
            for stage, milliseconds in ctx.timer.stages_ms.items():
                ctx.metrics.stage(stage, milliseconds)
            ctx.metrics.flush()

        headers = gateway_headers(ctx.request_id, outcome, ctx.timer)
        if not request.stream:
            return json_response(200, chat_completion_body(outcome), headers)
        include_usage = bool(request.stream_options and request.stream_options.include_usage)
        headers["cache-control"] = "no-cache"
        return Response(
            status_code=200,
            content_type="text/event-stream; charset=utf-8",
            body=chat_completion_stream_body(outcome, include_usage),
            headers=headers,
        )


def record_success(ctx: RequestContext, outcome: ChatOutcome, price_version: str) -> None:
    metrics = ctx.metrics
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
