"""The embedding model as retrieval uses it: batched embeddings and token offsets for chunking."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Sequence

from ..settings import Settings
from .errors import EmbeddingModelUnavailableError

if TYPE_CHECKING:  # the inference layer (numpy, onnxruntime, tokenizers) is imported on first use
    import numpy as np
    from tokenizers import Tokenizer

    from ..inference.embeddings import EmbeddingModel

logger = logging.getLogger(__name__)


def load_embedding_model(settings: Settings) -> "EmbeddingModel":
    """Find the embedding model (S3 when a model bucket is set, else ``model_dir``); it loads on first use.

    Raises ``EmbeddingModelUnavailableError`` (503) when the model files are missing or invalid.
    """
    from ..inference.embeddings import EmbeddingModel
    from ..inference.manifest import ModelFilesError
    from ..inference.model_store import resolve_model

    s3_client = None
    if settings.model_bucket:
        import boto3

        s3_client = boto3.client("s3")
    try:
        location = resolve_model(
            settings.embedding_model,
            model_dir=settings.model_dir,
            bucket=settings.model_bucket,
            prefix=settings.model_prefix,
            s3_client=s3_client,
        )
    except ModelFilesError as exc:
        logger.error("the embedding model is unavailable: %s", exc)
        raise EmbeddingModelUnavailableError(
            f"the embedding model {settings.embedding_model!r} is not available on this gateway; retry later"
        ) from exc
    return EmbeddingModel(location, intra_op_threads=settings.inference_threads)


class EmbeddingService:
    """Wraps an ``EmbeddingModel`` with a second, untruncated tokenizer.

    The model truncates its inputs to ``max_seq_length`` tokens; chunking and
    the length check of ``/v1/embeddings`` need the full token sequence.
    """

    def __init__(self, model: "EmbeddingModel", batch_size: int = 32) -> None:
        self.model = model
        self.batch_size = batch_size
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def dimension(self) -> int:
        return self.model.dimension

    @property
    def max_input_tokens(self) -> int:
        """Maximum input length in tokens, special tokens included, that the model reads without truncation."""
        return self.model.max_seq_length

    def tokenizer(self) -> "Tokenizer":
        with self._lock:
            if self._tokenizer is None:
                from tokenizers import Tokenizer

                location = self.model.location
                tokenizer = Tokenizer.from_file(str(location.path(location.manifest["tokenizer"])))
                tokenizer.no_truncation()
                tokenizer.no_padding()
                self._tokenizer = tokenizer
            return self._tokenizer

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Return the character span of each token of ``text``, without [CLS] and [SEP]."""
        return list(self.tokenizer().encode(text, add_special_tokens=False).offsets)

    def input_lengths(self, texts: Sequence[str]) -> list[int]:
        """Return the untruncated token count of each text, with [CLS] and [SEP]."""
        return [len(encoding.ids) for encoding in self.tokenizer().encode_batch(list(texts))]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return the tokens the model reads for each text: truncated, with [CLS] and [SEP]."""
        return self.model.count_tokens(list(texts)) if texts else []

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        """Return L2-normalised float32 rows, shape ``(len(texts), dimension)``, in input order."""
        if not texts:
            import numpy as np

            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.model.embed(list(texts), batch_size=self.batch_size)
