"""Find the passages of a tenant's collection that are nearest to a query."""

from __future__ import annotations

import logging
from typing import Any, Callable

import psycopg

from ..errors import GatewayError
from .embedder import EmbeddingService
from .errors import RetrievalFailedError
from .models import Passage
from .policy import FailurePolicies
from .search import ChunkSearch

logger = logging.getLogger(__name__)


class Retriever:
    """Embeds the query and searches the collection.

    Failures of the embedding model or the database raise
    ``RetrievalFailedError``; request errors such as an unknown collection
    propagate unchanged.
    """

    def __init__(self, embedder: Callable[[], EmbeddingService], search: ChunkSearch, policies: FailurePolicies) -> None:
        self._embedder = embedder
        self.search = search
        self.policies = policies

    def retrieve(
        self, tenant_id: str, query: str, collection: str, top_k: int, metadata_filter: dict[str, Any] | None
    ) -> list[Passage]:
        try:
            vector = self._embedder().embed([query])[0]
        except Exception as exc:  # a missing or broken model file, or an onnxruntime failure
            logger.exception("embedding the retrieval query failed", extra={"tenant_id": tenant_id})
            raise RetrievalFailedError(
                "the embedding model failed, so no context could be retrieved; retry later"
            ) from exc
        try:
            return self.search.search(tenant_id, collection, vector, top_k, metadata_filter)
        except GatewayError as exc:
            if exc.status < 500:
                raise
            raise RetrievalFailedError(self._describe(exc)) from exc
        except psycopg.Error as exc:
            logger.error(
                "retrieval query failed",
                extra={"tenant_id": tenant_id, "collection": collection, "error": type(exc).__name__},
            )
            raise RetrievalFailedError("the retrieval query failed; retry later") from exc

    def _describe(self, exc: GatewayError) -> str:
        if isinstance(exc.__cause__, psycopg.errors.QueryCanceled):
            timeout = self.search.config.statement_timeout_ms
            return f"the retrieval query timed out after {timeout} ms; retry later"
        return f"the document database is unavailable ({exc.message})"
