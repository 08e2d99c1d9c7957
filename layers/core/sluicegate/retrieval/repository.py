"""SQL that writes and deletes documents and their chunks. Every statement is parameterised
and filtered by tenant_id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import psycopg
from psycopg.types.json import Jsonb

from ..db.pool import Database
from ..errors import ConflictError
from .errors import CollectionNotFoundError, DocumentNotFoundError
from .models import PreparedDocument, StoredDocument

if TYPE_CHECKING:  # numpy is in the inference layer, which not every function has
    import numpy as np

# Nine significant digits restore a float32 exactly.
_VECTOR_FORMATS: dict[int, str] = {}


def vector_literal(row: np.ndarray) -> str:
    """Render one embedding in pgvector's text form, ``[x1,x2,...]``."""
    template = _VECTOR_FORMATS.setdefault(len(row), "[" + ",".join(["%.9g"] * len(row)) + "]")
    return template % tuple(row.tolist())


class DocumentRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def fingerprints(self, tenant_id: str, collection: str, ids: Sequence[str]) -> dict[str, tuple[bytes, str, str]]:
        """Return ``id -> (content sha256, chunking, embedding model)`` for the stored documents among ``ids``."""
        with self.db.connection() as conn:
            rows = conn.execute(
                "SELECT d.external_id, d.content_sha256, d.chunking, d.embedding_model"
                " FROM documents d JOIN collections c ON c.tenant_id = d.tenant_id AND c.id = d.collection_id"
                " WHERE d.tenant_id = %s AND c.name = %s AND d.external_id = ANY(%s)",
                (tenant_id, collection, list(ids)),
            ).fetchall()
        return {row[0]: (bytes(row[1]), row[2], row[3]) for row in rows}

    def write(self, tenant_id: str, collection: str, prepared: Sequence[PreparedDocument]) -> list[StoredDocument]:
        """Create or replace documents in one transaction; a replaced document's old chunks are deleted."""
        stored: list[StoredDocument] = []
        with self.db.connection() as conn, conn.transaction():
            collection_id = conn.execute(
                "INSERT INTO collections (tenant_id, name) VALUES (%s, %s)"
                " ON CONFLICT (tenant_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                (tenant_id, collection),
            ).fetchone()[0]
            chunk_delta = 0
            for item in prepared:
                if item.chunks is None:
                    stored.append(self._update_metadata(conn, tenant_id, collection_id, item))
                    continue
                result, delta = self._replace(conn, tenant_id, collection_id, item)
                stored.append(result)
                chunk_delta += delta
            conn.execute(
                "UPDATE collections SET chunk_count = chunk_count + %s WHERE tenant_id = %s AND id = %s",
                (chunk_delta, tenant_id, collection_id),
            )
        return stored

    def _update_metadata(self, conn: psycopg.Connection, tenant_id: str, collection_id: int, item: PreparedDocument) -> StoredDocument:
        row = conn.execute(
            "UPDATE documents SET metadata = %s, updated_at = now()"
            " WHERE tenant_id = %s AND collection_id = %s AND external_id = %s"
            " AND content_sha256 = %s AND chunking = %s AND embedding_model = %s"
            " RETURNING (SELECT count(*) FROM chunks WHERE chunks.tenant_id = documents.tenant_id"
            " AND chunks.document_id = documents.id)",
            (Jsonb(item.document.metadata), tenant_id, collection_id, item.document.id,
             item.content_sha256, item.chunking, item.embedding_model),
        ).fetchone()
        if row is None:
            raise ConflictError(
                f"document {item.document.id!r} was changed or deleted by another request while this one ran; "
                "send it again",
                param="documents",
            )
        return StoredDocument(item.document.id, "unchanged", int(row[0]))

    def _replace(self, conn: psycopg.Connection, tenant_id: str, collection_id: int, item: PreparedDocument) -> tuple[StoredDocument, int]:
        document = item.document
        document_pk, created = conn.execute(
            "INSERT INTO documents (tenant_id, collection_id, external_id, metadata, content_sha256,"
            " char_count, chunking, embedding_model) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (tenant_id, collection_id, external_id) DO UPDATE SET"
            " metadata = EXCLUDED.metadata, content_sha256 = EXCLUDED.content_sha256,"
            " char_count = EXCLUDED.char_count, chunking = EXCLUDED.chunking,"
            " embedding_model = EXCLUDED.embedding_model, updated_at = now()"
            " RETURNING id, (xmax = 0)",
            (tenant_id, collection_id, document.id, Jsonb(document.metadata), item.content_sha256,
             len(document.text), item.chunking, item.embedding_model),
        ).fetchone()
        removed = conn.execute(
            "DELETE FROM chunks WHERE tenant_id = %s AND document_id = %s", (tenant_id, document_pk)
        ).rowcount
        assert item.chunks is not None and item.embeddings is not None
        with conn.cursor().copy(
            "COPY chunks (tenant_id, collection_id, document_id, ordinal, content, token_count, embedding) FROM STDIN"
        ) as copy:
            for chunk, embedding in zip(item.chunks, item.embeddings):
                copy.write_row(
                    (tenant_id, collection_id, document_pk, chunk.ordinal, chunk.text, chunk.token_count,
                     vector_literal(embedding))
                )
        status = "created" if created else "replaced"
        return StoredDocument(document.id, status, len(item.chunks)), len(item.chunks) - removed

    def delete(self, tenant_id: str, collection: str, document_id: str) -> int:
        """Delete a document and its chunks; return the number of chunks deleted."""
        with self.db.connection() as conn, conn.transaction():
            row = conn.execute(
                "SELECT id FROM collections WHERE tenant_id = %s AND name = %s FOR UPDATE", (tenant_id, collection)
            ).fetchone()
            if row is None:
                raise CollectionNotFoundError(f"collection {collection!r} does not exist", param="collection")
            collection_id = row[0]
            removed = conn.execute(
                "DELETE FROM chunks WHERE tenant_id = %s AND collection_id = %s AND document_id ="
                " (SELECT id FROM documents WHERE tenant_id = %s AND collection_id = %s AND external_id = %s)",
                (tenant_id, collection_id, tenant_id, collection_id, document_id),
            ).rowcount
            deleted = conn.execute(
                "DELETE FROM documents WHERE tenant_id = %s AND collection_id = %s AND external_id = %s",
                (tenant_id, collection_id, document_id),
            ).rowcount
            if deleted == 0:
                raise DocumentNotFoundError(
                    f"document {document_id!r} does not exist in collection {collection!r}", param="id"
                )
            conn.execute(
                "UPDATE collections SET chunk_count = chunk_count - %s WHERE tenant_id = %s AND id = %s",
                (removed, tenant_id, collection_id),
            )
        return removed
