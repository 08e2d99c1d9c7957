"""Chunk, embed and store documents."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from typing import Sequence

from .chunking import ChunkingConfig, chunk_text
from .embedder import EmbeddingService
from .errors import EmptyDocumentError
from .models import DocumentInput, PreparedDocument, StoredDocument
from .repository import DocumentRepository

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    documents: list[StoredDocument]
    # Tokens the embedding model read, [CLS] and [SEP] included.
    embedding_tokens: int

    @property
    def chunks_embedded(self) -> int:
        return sum(document.chunks for document in self.documents if document.status != "unchanged")


class Ingestor:
    def __init__(self, embedder: EmbeddingService, repository: DocumentRepository, chunking: ChunkingConfig) -> None:
        self.embedder = embedder
        self.repository = repository
        self.chunking = chunking

    def ingest(self, tenant_id: str, collection: str, documents: Sequence[DocumentInput]) -> IngestReport:
        """Store ``documents`` in the tenant's collection, creating the collection on first use.

        A document whose id is stored already is replaced. When its text,
        the chunking settings and the embedding model are all unchanged, only
        its metadata is updated and its chunks are kept.
        """
        stored = self.repository.fingerprints(tenant_id, collection, [document.id for document in documents])
        prepared: list[PreparedDocument] = []
        to_embed: list[tuple[int, list]] = []
        texts: list[str] = []
        for document in documents:
            digest = hashlib.sha256(document.text.encode("utf-8")).digest()
            fingerprint = (digest, self.chunking.label, self.embedder.name)
            if stored.get(document.id) == fingerprint:
                prepared.append(PreparedDocument(document, *fingerprint, chunks=None, embeddings=None))
                continue
            chunks = chunk_text(document.text, self.embedder.token_offsets, self.chunking)
            if not chunks:
                raise EmptyDocumentError(
                    f"document {document.id!r} has no text to index; send non-empty text or leave it out",
                    param="documents",
                )
            to_embed.append((len(prepared), chunks))
            texts.extend(chunk.text for chunk in chunks)
            prepared.append(PreparedDocument(document, *fingerprint, chunks=chunks, embeddings=None))

        # One embed call for all chunks lets the model batch chunks of similar length together.
        vectors = self.embedder.embed(texts)
        tokens = sum(self.embedder.count_tokens(texts))
        start = 0
        for index, chunks in to_embed:
            prepared[index] = replace(prepared[index], embeddings=vectors[start : start + len(chunks)])
            start += len(chunks)

        written = self.repository.write(tenant_id, collection, prepared)
        logger.info(
            "ingested documents",
            extra={"tenant_id": tenant_id, "collection": collection, "documents": len(written), "chunks": len(texts)},
        )
        return IngestReport(written, tokens)
