"""A SageMaker real-time endpoint as a ``Backend``, called with boto3 ``invoke_endpoint``.

Streaming: ``stream`` makes one ``invoke_endpoint`` call and yields the whole
reply as a single chunk. The gateway's API Gateway REST integration buffers
the response anyway, so ``InvokeEndpointWithResponseStream`` would not bring
the first token to the client any sooner.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from botocore.exceptions import BotoCoreError, ClientError
from tenacity import Retrying

from ..errors import BackendError, BackendTimeoutError
from ..pricing.table import Cost, PriceTable, endpoint_cost
from .base import ChatMessage, GenerationChunk, GenerationRequest, GenerationResult
from .calls import CallOptions
from .dialects import DialectError, DialectName, build_dialect
from .prompts import render_chatml
from .retry import SAGEMAKER_INVOKE, RetrySettings, retrying_for_call
from .sagemaker_errors import to_gateway_error
from .tokens import TokenizerCounter


@dataclass(frozen=True)
class EndpointSettings:
    # The routing name of the backend: also its price table key and its metrics ``Backend`` value.
    backend: str
    endpoint_name: str
    dialect: DialectName
    context_window: int
    # tokenizer.json of the endpoint's model, for counts the response does not report.
    tokenizer: Path
    prefill_details: bool = False
    served_model: str | None = None
    retry: RetrySettings = field(default_factory=RetrySettings)


class SageMakerBackend:
    """Generates with a SageMaker endpoint; retries follow ``SAGEMAKER_INVOKE`` and the call's deadline."""

    def __init__(
        self,
        settings: EndpointSettings,
        client: Any,
        *,
        policy: Retrying = SAGEMAKER_INVOKE,
        counter: TokenizerCounter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = settings.backend
        self.settings = settings
        self._client = client
        self._policy = policy
        self._counter = counter or TokenizerCounter(settings.tokenizer)
        self._clock = clock
        self._dialect = build_dialect(settings.dialect, prefill_details=settings.prefill_details, served_model=settings.served_model)

    def count_prompt_tokens(self, messages: tuple[ChatMessage, ...]) -> int:
        """Count the ChatML rendering of ``messages`` with the endpoint's tokenizer."""
        return self._counter.count(render_chatml(messages))

    def context_window(self) -> int:
        return self.settings.context_window

    def generate(self, request: GenerationRequest) -> GenerationResult:
        return self.invoke(request, CallOptions())

    def stream(self, request: GenerationRequest) -> Iterator[GenerationChunk]:
        return self.stream_with(request, CallOptions())

    def stream_with(self, request: GenerationRequest, options: CallOptions) -> Iterator[GenerationChunk]:
        result = self.invoke(request, options)
        yield GenerationChunk(result.text, result=result)

    def invoke(self, request: GenerationRequest, options: CallOptions) -> GenerationResult:
        """Call the endpoint with retries and return the decoded reply with token counts."""
        endpoint = self.settings.endpoint_name
        if options.deadline is not None and self._clock() >= options.deadline:
            raise BackendTimeoutError(f"no time was left to call the SageMaker endpoint {endpoint!r}")
        prompt = render_chatml(request.messages)
        body = json.dumps(self._dialect.encode(request, prompt)).encode("utf-8")
        retrying = retrying_for_call(self._policy, self.settings.retry, options, self.name, self._clock)
        started = time.perf_counter()
        try:
            raw = retrying(self._invoke_once, body)
        except (ClientError, BotoCoreError) as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise to_gateway_error(exc, endpoint, attempts) from exc
        elapsed_s = time.perf_counter() - started
        try:
            reply = self._dialect.decode(json.loads(raw), request)
        except (ValueError, DialectError) as exc:
            raise BackendError(f"the SageMaker endpoint {endpoint!r} returned an invalid {self.settings.dialect} response: {exc}") from exc

        counted_by_endpoint = reply.prompt_tokens is not None and reply.completion_tokens is not None
        return GenerationResult(
            text=reply.text,
            finish_reason=reply.finish_reason,
            prompt_tokens=reply.prompt_tokens if reply.prompt_tokens is not None else self._counter.count(prompt),
            completion_tokens=reply.completion_tokens if reply.completion_tokens is not None else self._counter.count(reply.text),
            # InvokeEndpoint returns the whole reply at once, so the first token arrives with the last.
            time_to_first_token_s=elapsed_s,
            extra={"endpoint": endpoint, "dialect": self.settings.dialect, "token_counts": "endpoint" if counted_by_endpoint else "tokenizer"},
        )

    def cost(self, prices: PriceTable, result: GenerationResult) -> Cost:
        return endpoint_cost(prices, self.name, output_tokens=result.completion_tokens, input_tokens=result.prompt_tokens)

    def _invoke_once(self, body: bytes) -> bytes:
        response = self._client.invoke_endpoint(
            EndpointName=self.settings.endpoint_name,
            Body=body,
            ContentType="application/json",
            Accept="application/json",
        )
        return response["Body"].read()
