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


def _model_key(settings: Settings) -> tuple[object, ...]:
    """Return the settings that decide which model a ``LocalBackend`` loads, and how."""
    return (settings.local_model, settings.model_dir, settings.model_bucket, settings.model_prefix, settings.inference_threads)


class LocalBackend:
    """Runs requests on a process-wide ``ChatModel``, one generation at a time."""

    name = "local"
    # The process's backends by ``_model_key``: each is loaded once, by
    # ``start_preload`` or by the first ``from_settings``, and then shared.
    _loads: ClassVar[dict[tuple[object, ...], Future[LocalBackend]]] = {}
    _loads_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    @classmethod
    def start_preload(cls, settings: Settings) -> Future[LocalBackend]:
        """Start loading the local model on a helper thread, unless a load for these settings exists.

        Call it early during a cold start, before the remaining imports: the
        checksums and the ONNX model load run without the GIL, so they overlap
        with the imports on the main thread. ``from_settings`` waits for the result.
        """
        future, claimed = cls._claim(settings)
        if claimed:
            # Not a daemon thread: at exit the interpreter waits for the load instead of
            # finalizing while onnxruntime is still inside the C call.
            threading.Thread(target=cls._fulfil, args=(future, settings, None), name="preload-local-model").start()
        return future

    @classmethod
    def from_settings(cls, settings: Settings, s3_client: Any = None) -> LocalBackend:
        """Return the process's backend for ``settings``, loading ``settings.local_model`` on first use.

        The model comes from S3 when a model bucket is set. A load already
        started with the same settings (by ``start_preload`` or another
        thread) is waited for. If that load failed, it is tried once more here.

        Raises ``ServiceUnavailableError`` when the model files are missing,
        corrupt or fail to load; the log has the details.
        """
        return cls._get(settings, s3_client, retry=True)

    @classmethod
    def _get(cls, settings: Settings, s3_client: Any, *, retry: bool) -> LocalBackend:
        future, claimed = cls._claim(settings)
        if claimed:
            cls._fulfil(future, settings, s3_client)
        try:
            return future.result()
        except Exception as exc:
            # A failed load is forgotten, so that a later request tries again.
            with cls._loads_lock:
                if cls._loads.get(_model_key(settings)) is future:
                    del cls._loads[_model_key(settings)]
            if claimed or not retry:
                raise
            logger.warning("an earlier load of the local model failed (%s); loading it again", exc.__cause__ or exc)
            return cls._get(settings, s3_client, retry=False)

    @classmethod
    def _claim(cls, settings: Settings) -> tuple[Future[LocalBackend], bool]:
        """Return the load for ``settings``, and whether the caller created it and must run it."""
        key = _model_key(settings)
        with cls._loads_lock:
            if key in cls._loads:
                return cls._loads[key], False
            future: Future[LocalBackend] = Future()
            cls._loads[key] = future
            return future, True

    @classmethod
    def _fulfil(cls, future: Future[LocalBackend], settings: Settings, s3_client: Any) -> None:
        try:
            future.set_result(cls._load(settings, s3_client))
        except BaseException as exc:  # raised to the callers of from_settings by future.result()
            future.set_exception(exc)

    @classmethod
    def _load(cls, settings: Settings, s3_client: Any) -> LocalBackend:
        try:
            if settings.model_bucket and s3_client is None:
                import boto3

                # A session of its own: boto3's default session is not thread safe.
                s3_client = boto3.session.Session().client("s3")
            location = resolve_model(
                settings.local_model,
                model_dir=settings.model_dir,
                bucket=settings.model_bucket,
                prefix=settings.model_prefix,
                s3_client=s3_client,
            )
            model = ChatModel(location, intra_op_threads=settings.inference_threads)
            model.load()
        except Exception as exc:
            # Missing or corrupt files and onnxruntime errors explain themselves. Anything else (S3
            # network and credential errors, a full /tmp) is logged with its traceback.
            expected = isinstance(exc, (ModelFilesError, RuntimeError))
            logger.error("the local model %s is unavailable: %s", settings.local_model, exc, exc_info=not expected)
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
