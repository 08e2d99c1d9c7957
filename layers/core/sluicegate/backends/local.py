"""The in-function backend: a small ONNX chat model running inside the Lambda."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import BackendError, ContextLengthExceededError, ServiceUnavailableError
from ..inference.chat_model import ChatModel
from ..inference.manifest import ModelFilesError
from ..inference.model_store import resolve_model
from .base import ChatMessage, GenerationChunk, GenerationRequest, GenerationResult

if TYPE_CHECKING:
    from ..settings import Settings

logger = logging.getLogger(__name__)


class LocalBackend:
    """Runs requests on a process-wide ``ChatModel``, one generation at a time."""

    name = "local"

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    @classmethod
    def from_settings(cls, settings: Settings, s3_client: Any = None) -> LocalBackend:
        """Find ``settings.local_model`` (in S3 when a model bucket is set) and load it.

        Raises ``ServiceUnavailableError`` when the model files are missing,
        corrupt or fail to load; the log has the details.
        """
        if settings.model_bucket and s3_client is None:
            import boto3

            s3_client = boto3.client("s3")
        try:
            location = resolve_model(
                settings.local_model,
                model_dir=settings.model_dir,
                bucket=settings.model_bucket,
                prefix=settings.model_prefix,
                s3_client=s3_client,
            )
            model = ChatModel(location, intra_op_threads=settings.inference_threads)
            model.load()
        except (ModelFilesError, RuntimeError) as exc:
            logger.error("the local model %s is unavailable: %s", settings.local_model, exc)
            raise ServiceUnavailableError(
                f"the model {settings.local_model!r} is not available on this gateway; retry later"
            ) from exc
        return cls(model)

    def count_prompt_tokens(self, messages: tuple[ChatMessage, ...]) -> int:
        return self.model.count_prompt_tokens(messages)

    def context_window(self) -> int:
        return self.model.context_window

    def generate(self, request: GenerationRequest) -> GenerationResult:
        for chunk in self.stream(request):
            if chunk.result is not None:
                return chunk.result
        raise AssertionError("LocalBackend.stream ended without a result chunk")

    def stream(self, request: GenerationRequest) -> Iterator[GenerationChunk]:
        prompt_ids = self.model.render_prompt_ids(request.messages)
        window = self.model.context_window
        if len(prompt_ids) >= window:
            raise ContextLengthExceededError(
                f"This model's maximum context length is {window} tokens, but the messages "
                f"use {len(prompt_ids)} tokens. Shorten the messages.",
                param="messages",
            )
        # The completion is cut short with finish_reason "length" at the context window.
        max_tokens = min(request.params.max_tokens, window - len(prompt_ids))
        params = replace(request.params, max_tokens=max_tokens)

        completion = self.model.stream(prompt_ids, params)
        try:
            for delta in completion:
                yield GenerationChunk(text=delta)
        except RuntimeError as exc:  # onnxruntime-genai reports failures as RuntimeError
            logger.error("local generation failed after %d tokens: %s", completion.completion_tokens, exc)
            raise BackendError("the local model failed while generating; retry the request") from exc

        assert completion.finish_reason is not None
        result = GenerationResult(
            text=completion.text,
            finish_reason=completion.finish_reason,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            time_to_first_token_s=completion.time_to_first_token_s or 0.0,
            extra={"model": self.model.name, "decode_s": completion.decode_seconds},
        )
        yield GenerationChunk(text="", result=result)
