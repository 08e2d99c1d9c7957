"""Serve one validated chat request end to end: the entry point shared by the HTTP
route and the batch worker."""

from __future__ import annotations

from ..api.chat import ChatCompletionRequest
from ..errors import GatewayError
from ..observability.sampling import log_sample
from ..services import Services
from .chat import ChatOutcome, run_chat
from .context import RequestContext


def complete_chat(ctx: RequestContext, request: ChatCompletionRequest, services: Services) -> ChatOutcome:
    """Screen, reserve, dispatch, restore and settle one request; metrics are flushed on every path."""
    screening = None
    try:
        screening = services.start_screening(ctx)
        # The router is built before ``services.prices`` is read, because building it adds the endpoints' prices.
        router = services.router
        router.model(request.model)
        ctx.metrics.set_dimensions(Backend="none", Model=request.model)
        outcome = run_chat(
            ctx, request, router, services.settings, services.prices, services.quotas, screening,
            retriever=services.retriever if request.retrieval is not None else None,
        )
        outcome.headers.update(screening.headers())
        record_success(ctx, outcome, services.prices.version)
    except GatewayError as exc:
        ctx.metrics.error(exc.code or exc.error_type)
        for limit_name in getattr(exc, "exhausted_limits", ()):
            ctx.metrics.add_single("QuotaRejections", 1, {"Window": limit_name})
        raise
    finally:
        if screening is not None:
            screening.record_metrics()
        for stage, milliseconds in ctx.timer.stages_ms.items():
            ctx.metrics.stage(stage, milliseconds)
        ctx.metrics.flush()

    # Retrieved passages join the prompt after screening, unredacted, and the answer
    # may quote them, so a request that used passages is sampled without its text.
    screened = outcome.retrieval is None or not outcome.retrieval.passages
    redacted_messages = [{"role": message.role, "content": message.content} for message in outcome.redacted_messages]
    log_sample(
        ctx,
        redacted_messages=redacted_messages if screened else None,
        redacted_answer=outcome.redacted_answer if screened else None,
        model=request.model,
        route=outcome.route,
        template_version=outcome.retrieval.template_version if outcome.retrieval is not None else None,
        sample_rate=services.settings.log_sample_rate,
        backend=outcome.backend,
    )
    return outcome


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
