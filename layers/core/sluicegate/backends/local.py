"""The in-function backend: a small ONNX chat model running inside the Lambda."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import BackendError, ContextLengthExceededError, ServiceUnavailableError
from ..inference.chat_model import ChatModel
from ..inference.manifest import ModelFilesError
from ..inference.model_store import resolve_model
from .base import ChatMessage, GenerationChunk, GenerationRequest, GenerationResult

if TYPE_CHECKING:
    from ..settings import Settings

logger = logging.getLogger(__name__)


def _preload_key(settings: Settings) -> tuple[object, ...]:
    return (settings.local_model, settings.model_dir, settings.model_bucket, settings.model_prefix, settings.inference_threads)


class LocalBackend:
    """Runs requests on a process-wide ``ChatModel``, one generation at a time."""

    name = "local"
    # Loads started by ``start_preload``, by the settings they were started with.
    _preloads: ClassVar[dict[tuple[object, ...], Future[LocalBackend]]] = {}
    _preloads_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    @classmethod
    def start_preload(cls, settings: Settings) -> Future[LocalBackend]:
        """Start loading the local model on a background thread; ``from_settings`` takes the result.

        Call it early during a cold start, before the remaining imports: the
        checksums and the ONNX model load run without the GIL, so they overlap
        with the imports on the main thread.
        """
        # The S3 client is built on this thread: boto3's default session is not thread safe.
        s3_client = None
        if settings.model_bucket:
            import boto3

            s3_client = boto3.client("s3")
        key = _preload_key(settings)
        with cls._preloads_lock:
            if key in cls._preloads:
                return cls._preloads[key]
            future: Future[LocalBackend] = Future()
            cls._preloads[key] = future

        def load() -> None:
            try:
                future.set_result(cls._load(settings, s3_client))
            except BaseException as exc:  # handed to from_settings, which loads again and raises
                future.set_exception(exc)

        # Not a daemon thread: at exit the interpreter waits for the load instead of
        # finalizing while onnxruntime is still inside the C call.
        threading.Thread(target=load, name="preload-local-model").start()
        return future

    @classmethod
    def from_settings(cls, settings: Settings, s3_client: Any = None) -> LocalBackend:
        """Find ``settings.local_model`` (in S3 when a model bucket is set) and load it.

        A load started by ``start_preload`` with the same settings is waited
        for and used; if it failed, the load is tried once more here.

        Raises ``ServiceUnavailableError`` when the model files are missing,
        corrupt or fail to load; the log has the details.
        """
        with cls._preloads_lock:
            preload = cls._preloads.pop(_preload_key(settings), None)
        if preload is not None:
            try:
                return preload.result()
            except ServiceUnavailableError as exc:
                logger.warning("the preload of the local model failed (%s); loading it again", exc.__cause__ or exc)
        return cls._load(settings, s3_client)

    @classmethod
    def _load(cls, settings: Settings, s3_client: Any) -> LocalBackend:
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
