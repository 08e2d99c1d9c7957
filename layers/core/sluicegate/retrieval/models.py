"""Records passed between ingestion, search and the chat pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .chunking import TextChunk

if TYPE_CHECKING:  # numpy is in the inference layer, which not every function has
    import numpy as np


@dataclass(frozen=True)
class DocumentInput:
    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedDocument:
    """A document ready to write: its chunks and their embeddings, or none when its text is unchanged."""

    document: DocumentInput
    content_sha256: bytes
    chunking: str
    embedding_model: str
    chunks: list[TextChunk] | None
    embeddings: np.ndarray | None


@dataclass(frozen=True)
class StoredDocument:
    """The outcome of writing one document."""

    id: str
    status: Literal["created", "replaced", "unchanged"]
    chunks: int


@dataclass(frozen=True)
class Passage:
    document_id: str
    chunk_index: int
    # Cosine similarity of the chunk to the query, from -1 to 1.
    score: float
    text: str
    metadata: dict[str, Any]

    @property
    def chunk_id(self) -> str:
        # '#' is not allowed in document ids, so the chunk id is unambiguous.
        return f"{self.document_id}#{self.chunk_index}"


@dataclass
class RetrievalReport:
    """The collection, status and passages of the retrieve stage of one chat request."""

    collection: str
    status: Literal["ok", "failed"]
    template_version: str | None = None
    passages: list[Passage] = field(default_factory=list)
    # Passages found but left out because the prompt would not fit the context window.
    dropped: int = 0

    def to_extension(self) -> dict[str, Any]:
        """Render the ``sluicegate.retrieval`` object of a chat response."""
        return {
            "collection": self.collection,
            "status": self.status,
            "template_version": self.template_version,
            "passages": [
                {
                    "index": number,
                    "document_id": passage.document_id,
                    "chunk_id": passage.chunk_id,
                    "chunk_index": passage.chunk_index,
                    "score": round(passage.score, 6),
                    "metadata": passage.metadata,
                }
                for number, passage in enumerate(self.passages, start=1)
            ],
        }
