"""The chat completion pipeline: validate limits, dispatch, price, report."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from ..api.chat import ChatCompletionRequest
from ..backends.base import Backend, ChatMessage, GenerationRequest, GenerationResult, SamplingParams
from ..errors import ContextLengthExceededError
from ..pricing.table import Cost, PriceTable
from ..quotas.hooks import bill_within_hold, release_after_failure, reserve_for_chat, settle_after_success
from ..quotas.models import Usage
from ..quotas.service import QuotaService
from ..retrieval.errors import RETRIEVAL_STATUS_HEADER
from ..retrieval.models import RetrievalReport
from ..retrieval.retriever import Retriever
from ..retrieval.stage import augment_messages
from ..routing.reporting import PricedBackend, serving_cost
from ..routing.router import Router
from ..routing.session import ROUTE_HEADER, RoutedRequest
from ..settings import Settings
from .context import RequestContext
from .screen import RequestScreening

# The chat template has system, user and assistant roles. OpenAI's newer "developer"
# role carries system instructions, so it maps to system.
_TEMPLATE_ROLE = {"developer": "system"}


@dataclass
class ChatOutcome:
    completion_id: str
    created: int
    model: str
    backend: str
    result: GenerationResult
    # The generated text in the pieces the backend produced, for streaming.
    deltas: list[str] = field(default_factory=list)
    cost: Cost | None = None
    # Label of the routing rule that chose the backend (``auto/long-prompt``); the usage ledger stores it.
    route: str | None = None
    # x-ratelimit-* headers from the quota reservation; empty when quotas are off.
    rate_limit_headers: dict[str, str] = field(default_factory=dict)
    # Further response headers from the pipeline's stages (screening, routing).
    headers: dict[str, str] = field(default_factory=dict)
    # The model's input and output before restore, the only text that may be logged.
    redacted_messages: tuple[ChatMessage, ...] = ()
    redacted_answer: str = ""
    # Passages used for the answer, when the request asked for retrieval.
    retrieval: RetrievalReport | None = None


def to_backend_messages(request: ChatCompletionRequest) -> tuple[ChatMessage, ...]:
    return tuple(
        ChatMessage(role=_TEMPLATE_ROLE.get(message.role, message.role), content=message.text())
        for message in request.messages
    )


def resolve_max_tokens(request: ChatCompletionRequest, prompt_tokens: int, window: int, default_max: int) -> int:
    """Check the request fits the context window and return the completion budget."""
    requested = request.requested_max_tokens()
    param = "max_completion_tokens" if request.max_completion_tokens is not None else "max_tokens"
    if requested is not None:
        if prompt_tokens + requested > window:
            raise ContextLengthExceededError(
                f"this model's maximum context length is {window} tokens, but {prompt_tokens + requested} "
                f"were requested ({prompt_tokens} in the messages, {requested} for the completion); "
                f"shorten the messages or lower {param}",
                param=param if prompt_tokens < window else "messages",
            )
        return requested
    if prompt_tokens >= window:
        raise ContextLengthExceededError(
            f"this model's maximum context length is {window} tokens, but the messages alone are "
            f"{prompt_tokens} tokens; shorten the messages",
            param="messages",
        )
    return min(default_max, window - prompt_tokens)


def sampling_params(request: ChatCompletionRequest, max_tokens: int) -> SamplingParams:
    return SamplingParams(
        max_tokens=max_tokens,
        temperature=1.0 if request.temperature is None else request.temperature,
        top_p=1.0 if request.top_p is None else request.top_p,
        top_k=request.top_k or 0,
        seed=request.seed,
        stop=request.stop_sequences(),
        repetition_penalty=request.repetition_penalty or 1.0,
    )


def restore_answer(screening: RequestScreening, result: GenerationResult, deltas: list[str]) -> list[str]:
    """Restore the answer's placeholders; returns the stream pieces to send.

    A placeholder can span two pieces, so when restoring changes the text the
    whole answer is sent as one piece (the stream is buffered anyway).
    """
    restored = screening.finish_answer(result.text)
    if restored == result.text:
        return deltas
    result.text = restored
    return [restored]


def run_chat(
    ctx: RequestContext,
    request: ChatCompletionRequest,
    backend: Backend | Router,
    settings: Settings,
    prices: PriceTable,
    quotas: QuotaService | None = None,
    screening: RequestScreening | None = None,
    retriever: Retriever | None = None,
) -> ChatOutcome:
    """Serve one chat completion through the router (or on one ``backend``) and return the completion with its cost.

    Retrieval and the quota reservation are sized for the first backend of the
    route that the request fits; dispatch then tries the route's backends in
    order. With ``quotas``, the worst case is reserved before dispatch,
    released if dispatch fails, and replaced by the real usage afterwards.
    """
    timer = ctx.timer
    messages = to_backend_messages(request)
    if screening is not None:
        with timer.stage("screen"):
            messages = screening.screen_messages(messages)

    def fit(prompt_tokens: int, window: int) -> int:
        return resolve_max_tokens(request, prompt_tokens, window, settings.default_max_tokens)

    with timer.stage("validate"):
        routed = RoutedRequest.start(
            backend, request.model, messages, max_tokens=request.requested_max_tokens(), tier=ctx.principal.tier,
            tenant_id=ctx.principal.tenant_id, retrieval=request.retrieval is not None,
        )
        backend = routed.sizing_backend(messages, fit)
        prompt_tokens = backend.count_prompt_tokens(messages)
        max_tokens = fit(prompt_tokens, backend.context_window())

    retrieval = None
    stage_headers: dict[str, str] = {}
    if request.retrieval is not None:
        with timer.stage("retrieve"):
            window = backend.context_window()
            budget = request.requested_max_tokens() or min(settings.default_max_tokens, window - prompt_tokens)
            options = request.retrieval
            messages, retrieval = augment_messages(
                ctx, options.collection, options.top_k, options.filter, messages, retriever,
                fits=lambda candidate: backend.count_prompt_tokens(candidate) + budget <= window,
            )
            stage_headers[RETRIEVAL_STATUS_HEADER] = retrieval.status
            prompt_tokens = backend.count_prompt_tokens(messages)
            max_tokens = fit(prompt_tokens, window)

    reservation = None
    if quotas is not None:
        with timer.stage("reserve"):
            worst_case = None
            if isinstance(backend, PricedBackend):
                # Endpoints may count the end-of-sequence token as one more completion token.
                worst = GenerationResult("", "length", prompt_tokens, max_tokens + 1, 0.0)
                worst_case = backend.cost(prices, worst)
            reservation = reserve_for_chat(
                quotas, ctx.principal, ctx.request_id, backend.name, prompt_tokens, max_tokens, prices, settings,
                worst_case=worst_case,
            )

    final_messages = messages
    deadline = None
    if ctx.remaining_time_s is not None:
        deadline = time.monotonic() + ctx.remaining_time_s - timer.elapsed_ms() / 1000 - settings.deadline_margin_s
    try:
        served = routed.dispatch(
            final_messages,
            fit=fit,
            build_request=lambda tokens: GenerationRequest(messages=final_messages, params=sampling_params(request, tokens)),
            timer=timer,
            deadline=deadline,
        )
        result, deltas = served.result, served.deltas
        redacted_answer = result.text
        if screening is not None:
            with timer.stage("restore"):
                deltas = restore_answer(screening, result, deltas)
    except BaseException:
        if reservation is not None:
            release_after_failure(quotas, reservation)
        raise
    finally:
        routed.report(ctx.metrics)
    stage_headers[ROUTE_HEADER] = routed.route

    with timer.stage("settle"):
        cost = serving_cost(served, prices, settings.lambda_memory_mb)
        if reservation is not None:
            # Only in-function time varies with machine load; an endpoint's price follows from
            # the token counts it reports. A fallback to another backend pays what it cost.
            if served.backend is backend and not isinstance(backend, PricedBackend):
                cost = bill_within_hold(cost, reservation)
            usage = Usage(
                model=request.model,
                backend=served.backend.name,
                route=routed.route,
                prompt_tokens=result.prompt_tokens,
                completion_tokens=result.completion_tokens,
                cost_micro_usd=cost.micro_usd,
                cost_basis=cost.basis,
                latency_ms=round(timer.elapsed_ms()),
            )
            settle_after_success(quotas, reservation, usage)

    return ChatOutcome(
        completion_id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=request.model,
        backend=served.backend.name,
        route=routed.route,
        result=result,
        deltas=deltas,
        cost=cost,
        rate_limit_headers=reservation.headers if reservation is not None else {},
        redacted_messages=messages,
        redacted_answer=redacted_answer,
        headers=stage_headers,
        retrieval=retrieval,
    )
