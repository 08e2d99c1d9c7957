"""Errors of document ingestion and retrieval, with the HTTP status each maps to."""

from __future__ import annotations

from ..errors import InvalidRequestError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError

# Response header of a chat request with retrieval: "ok", or "failed" when no context could be retrieved.
RETRIEVAL_STATUS_HEADER = "x-sluicegate-retrieval"


class CollectionNotFoundError(NotFoundError):
    code = "collection_not_found"


class DocumentNotFoundError(NotFoundError):
    code = "document_not_found"


class EmptyDocumentError(InvalidRequestError):
    code = "empty_document"


class DocumentsTooLargeError(PayloadTooLargeError):
    """A document, or the documents of one request together, exceed a size limit."""


class EmbeddingInputTooLongError(InvalidRequestError):
    code = "context_length_exceeded"


class EmbeddingModelUnavailableError(ServiceUnavailableError):
    code = "model_unavailable"


class RetrievalFailedError(ServiceUnavailableError):
    """The context for a chat request could not be retrieved (database or embedding model failure)."""

    code = "retrieval_failed"

    def __init__(self, message: str, **kwargs) -> None:
        headers = {RETRIEVAL_STATUS_HEADER: "failed", **(kwargs.pop("headers", None) or {})}
        super().__init__(message, headers=headers, **kwargs)
