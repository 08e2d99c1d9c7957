"""The chat completion pipeline: validate limits, dispatch, price, report."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from ..api.chat import ChatCompletionRequest
from ..backends.base import Backend, ChatMessage, GenerationRequest, GenerationResult, SamplingParams
from ..errors import BackendError, ContextLengthExceededError
from ..pricing.table import Cost, PriceTable, lambda_cost
from ..settings import Settings
from .context import RequestContext

# The chat template knows system, user and assistant; OpenAI's newer "developer"
# role carries system instructions.
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


def run_chat(
    ctx: RequestContext,
    request: ChatCompletionRequest,
    backend: Backend,
    settings: Settings,
    prices: PriceTable,
) -> ChatOutcome:
    """Serve one chat completion on ``backend`` and return the answer with its cost."""
    timer = ctx.timer
    with timer.stage("validate"):
        messages = to_backend_messages(request)
        prompt_tokens = backend.count_prompt_tokens(messages)
        max_tokens = resolve_max_tokens(request, prompt_tokens, backend.context_window(), settings.default_max_tokens)
        generation = GenerationRequest(messages=messages, params=sampling_params(request, max_tokens))

    deltas: list[str] = []
    result: GenerationResult | None = None
    with timer.stage("dispatch"):
        dispatch_start = time.perf_counter()
        for chunk in backend.stream(generation):
            if chunk.text:
                deltas.append(chunk.text)
            if chunk.result is not None:
                result = chunk.result
        dispatch_s = time.perf_counter() - dispatch_start
    if result is None:
        raise BackendError(f"the {backend.name} backend ended its stream without a result")

    with timer.stage("settle"):
        cost = lambda_cost(prices, dispatch_s, settings.lambda_memory_mb)

    return ChatOutcome(
        completion_id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=request.model,
        backend=backend.name,
        result=result,
        deltas=deltas,
        cost=cost,
    )
