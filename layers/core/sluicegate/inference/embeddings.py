"""A sentence-embedding model running in-process on onnxruntime."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from .cpu import available_cores
from .model_store import ModelLocation

log = logging.getLogger(__name__)


class EmbeddingModel:
    """A built BERT-style encoder with mean pooling, which loads on first use.

    ``embed`` returns float32 rows of length ``dimension``. When the manifest
    sets ``normalize`` (all-MiniLM-L6-v2 does), rows are L2-normalised, so a dot
    product of two rows is their cosine similarity. Inputs longer than
    ``max_seq_length`` tokens are truncated, as sentence-transformers does.
    When the manifest sets ``rows_per_run`` (the int8 build sets 1), no session
    run gets more texts than that, whatever ``batch_size`` the caller passes.
    """

    def __init__(self, location: ModelLocation, *, intra_op_threads: int = 0) -> None:
        manifest = location.manifest
        if manifest.kind != "embedding":
            raise ValueError(f"model {location.name!r} is a {manifest.kind} model, not an embedding model")
        if manifest["pooling"] != "mean":
            raise ValueError(f"model {location.name!r} uses {manifest['pooling']!r} pooling; only 'mean' is supported")
        self.location = location
        self.name = location.name
        self.dimension = int(manifest["embedding_dimension"])
        self.max_seq_length = int(manifest["max_seq_length"])
        self.normalize = bool(manifest["normalize"])
        self.rows_per_run = manifest.data.get("rows_per_run")
        self.intra_op_threads = intra_op_threads or available_cores()
        self._lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None
        self._session: ort.InferenceSession | None = None
        self.load_seconds: float | None = None

    def load(self) -> None:
        """Load the tokenizer and the ONNX session now instead of on first use."""
        with self._lock:
            if self._session is not None:
                return
            started = time.perf_counter()
            tokenizer = Tokenizer.from_file(str(self.location.path(self.location.manifest["tokenizer"])))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=self.max_seq_length)
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.intra_op_threads
            model_file = self.location.path(self.location.manifest["model_file"])
            self._session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
            self._tokenizer = tokenizer
            self.load_seconds = time.perf_counter() - started
            log.info("loaded embedding model %s in %.2f s", self.name, self.load_seconds)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return the number of tokens the model reads for each text, after truncation and with [CLS]/[SEP]."""
        return [len(encoding.ids) for encoding in self._encode(texts)]

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Return an array of shape ``(len(texts), dimension)``, in input order."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if self.rows_per_run:
            batch_size = min(batch_size, int(self.rows_per_run))
        output = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encodings = self._encode(texts)
        # Batching texts of similar length keeps padding, and wasted compute, small.
        order = sorted(range(len(texts)), key=lambda index: len(encodings[index].ids))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            output[batch] = self._embed_batch([encodings[index] for index in batch])
        return output

    def _encode(self, texts: Sequence[str]) -> list[Encoding]:
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not one string")
        self.load()
        assert self._tokenizer is not None
        return self._tokenizer.encode_batch(list(texts))

    def _embed_batch(self, encodings: list[Encoding]) -> np.ndarray:
        length = max(len(encoding.ids) for encoding in encodings)
        input_ids = np.zeros((len(encodings), length), dtype=np.int64)
        attention_mask = np.zeros_like(input_ids)
        for row, encoding in enumerate(encodings):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            attention_mask[row, : len(encoding.ids)] = 1
        assert self._session is not None
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": np.zeros_like(input_ids)},
        )
        mask = attention_mask[:, :, None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        if self.normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)
