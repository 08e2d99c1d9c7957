"""``POST /v1/documents`` and ``DELETE /v1/documents/{id}``: a tenant's retrieval collections."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from ...api.documents import DocumentsRequest, check_collection_name, check_document_id
from ...api.parsing import parse_model
from ...errors import GatewayError, InvalidRequestError
from ...retrieval.errors import DocumentsTooLargeError
from ...retrieval.models import DocumentInput
from ...retrieval.repository import DocumentRepository
from ...settings import Settings
from ..deps import RouteDeps
from ..responses import json_response


def check_limits(request: DocumentsRequest, settings: Settings) -> None:
    """Reject too many documents (400) and too much text (413) before any embedding work."""
    count = len(request.documents)
    if count > settings.documents_max_per_request:
        raise InvalidRequestError(
            f"the request has {count} documents; send at most {settings.documents_max_per_request} per request",
            param="documents",
            code="too_many_documents",
        )
    total = 0
    for index, document in enumerate(request.documents):
        size = len(document.text.encode("utf-8"))
        if size > settings.document_max_bytes:
            raise DocumentsTooLargeError(
                f"document {document.id!r} has {size} bytes of text; the limit is {settings.document_max_bytes} "
                "bytes per document: split it into several documents",
                param=f"documents[{index}].text",
            )
        total += size
    if total > settings.documents_max_total_bytes:
        raise DocumentsTooLargeError(
            f"the documents have {total} bytes of text together; the limit is {settings.documents_max_total_bytes} "
            "bytes per request: send them in several requests",
            param="documents",
        )


def register(app: APIGatewayRestResolver, deps: RouteDeps) -> None:
    @app.post("/v1/documents")
    def add_documents() -> Response:
        ctx = deps.request_context()
        services = deps.services()
        try:
            request = parse_model(DocumentsRequest, deps.body())
            check_limits(request, services.settings)
            documents = [DocumentInput(item.id, item.text, item.metadata) for item in request.documents]
            ingestor = services.ingestor
            report = ingestor.ingest(ctx.principal.tenant_id, request.collection, documents)
            ctx.metrics.add_single("EmbeddingTokens", report.embedding_tokens, {"Model": ingestor.embedder.name})
            ctx.metrics.add_single("IngestedChunks", report.chunks_embedded, {})
        except GatewayError as exc:
            ctx.metrics.error(exc.code or exc.error_type)
            raise
        finally:
            ctx.metrics.flush()
        body = {
            "object": "list",
            "collection": request.collection,
            "data": [
                {"object": "document", "id": item.id, "status": item.status, "chunks": item.chunks}
                for item in report.documents
            ],
            "usage": {"prompt_tokens": report.embedding_tokens, "total_tokens": report.embedding_tokens},
        }
        return json_response(200, body, {"x-sluicegate-request-id": ctx.request_id})

    @app.delete("/v1/documents/<document_id>")
    def delete_document(document_id: str) -> Response:
        ctx = deps.request_context()
        collection = app.current_event.get_query_string_value("collection")
        if not collection:
            raise InvalidRequestError(
                "missing query parameter 'collection'; call DELETE /v1/documents/{id}?collection=NAME",
                param="collection",
                code="missing_required_parameter",
            )
        try:
            check_collection_name(collection)
        except ValueError as exc:
            raise InvalidRequestError(f"invalid collection name {collection!r}: {exc}", param="collection") from exc
        try:
            check_document_id(document_id)
        except ValueError as exc:
            raise InvalidRequestError(f"invalid document id {document_id[:80]!r}: {exc}", param="document_id") from exc
        repository = DocumentRepository(deps.services().db)
        removed = repository.delete(ctx.principal.tenant_id, collection, document_id)
        body = {"object": "document", "id": document_id, "collection": collection, "deleted": True, "chunks": removed}
        return json_response(200, body, {"x-sluicegate-request-id": ctx.request_id})
