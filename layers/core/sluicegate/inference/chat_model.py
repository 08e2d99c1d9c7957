"""A chat model running in-process on onnxruntime-genai."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from tokenizers import Tokenizer

from ..backends.base import ChatMessage, SamplingParams
from . import genai
from .chat_prompt import ChatPromptEncoder, load_tokenizer
from .completion import CompletionStream
from .cpu import available_cores
from .model_store import ModelLocation

log = logging.getLogger(__name__)


class ChatModel:
    """A built ChatML model whose tokenizer and ONNX model load on first use.

    Create one per process and share it. Generation runs one request at a
    time, because a completion holds a lock while its iterator runs.
    """

    def __init__(self, location: ModelLocation, *, intra_op_threads: int = 0) -> None:
        """``intra_op_threads`` sets onnxruntime's threads per operator; 0 uses every core."""
        if location.manifest.kind != "chat":
            raise ValueError(f"model {location.name!r} is a {location.manifest.kind} model, not a chat model")
        self.location = location
        self.name = location.name
        self.context_window = int(location.manifest["context_window"])
        self.intra_op_threads = intra_op_threads or available_cores()
        self._stop_token_ids = frozenset(int(i) for i in location.manifest["stop_token_ids"])
        self._vocab_size = int(location.manifest["vocab_size"])
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None
        self._encoder: ChatPromptEncoder | None = None
        self._model: genai.Model | None = None
        self.load_seconds: float | None = None

    @property
    def tokenizer(self) -> Tokenizer:
        """The model's tokenizer: it decodes every id and encodes special-token strings as plain text."""
        self._load_tokenizer()
        assert self._tokenizer is not None
        return self._tokenizer

    def render_prompt_ids(self, messages: Sequence[ChatMessage]) -> list[int]:
        self._load_tokenizer()
        assert self._encoder is not None
        return self._encoder.render_prompt_ids(messages)

    def count_prompt_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(self.render_prompt_ids(messages))

    def load(self) -> None:
        """Load the tokenizer and the ONNX model now instead of on the first request.

        The ONNX model loads through onnxruntime-genai's C API, which runs
        without the GIL, so other threads go on meanwhile (see
        ``LocalBackend.start_preload``). Loading the tokenizer on a second
        thread at the same time measured no faster than one after the other.
        """
        with self._load_lock:
            if self._model is not None:
                return
            started = time.perf_counter()
            self._load_tokenizer_locked()
            session_options = {"intra_op_num_threads": self.intra_op_threads}
            self._model = genai.Model.load(self.location.root, {"model": {"decoder": {"session_options": session_options}}})
            self.load_seconds = time.perf_counter() - started
            log.info(
                "loaded chat model %s from %s in %.2f s with %d threads",
                self.name, self.location.root, self.load_seconds, self.intra_op_threads,
            )

    def stream(self, prompt_ids: Sequence[int], params: SamplingParams) -> CompletionStream:
        """Start a completion and return it as an iterator of text deltas.

        The iterator's attributes contain the token counts and the finish
        reason once iteration ends.
        """
        if not prompt_ids:
            raise ValueError("prompt_ids is empty; render the messages first")
        if params.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {params.max_tokens}")
        self.load()
        assert self._model is not None
        return CompletionStream(
            self.search_options(len(prompt_ids), params),
            list(prompt_ids),
            params,
            model=self._model,
            tokenizer=self.tokenizer,
            stop_token_ids=self._stop_token_ids,
            lock=self._generate_lock,
        )

    def _load_tokenizer(self) -> None:
        with self._load_lock:
            self._load_tokenizer_locked()

    def _load_tokenizer_locked(self) -> None:
        if self._tokenizer is not None:
            return
        tokenizer_file = self.location.path(self.location.manifest["tokenizer"])
        self._tokenizer = load_tokenizer(tokenizer_file)
        self._encoder = ChatPromptEncoder(self.location.manifest, self._tokenizer)

    def search_options(self, prompt_length: int, params: SamplingParams) -> dict[str, float | int | bool]:
        """Return onnxruntime-genai's search options for a prompt of ``prompt_length`` tokens."""
        # max_length counts prompt and completion tokens, and it also sizes the KV-cache buffer.
        options: dict[str, float | int | bool] = {
            "max_length": prompt_length + params.max_tokens,
            "repetition_penalty": params.repetition_penalty,
        }
        if params.temperature == 0:
            options["do_sample"] = False
        else:
            options.update(
                do_sample=True,
                temperature=params.temperature,
                top_p=params.top_p,
                # onnxruntime-genai has no "disabled" value for top_k, so 0 becomes the whole vocabulary,
                # and it raises RuntimeError for a top_k above the vocabulary size, which filters nothing.
                top_k=min(params.top_k, self._vocab_size) if params.top_k else self._vocab_size,
            )
            if params.seed is not None:
                options["random_seed"] = params.seed
        return options
