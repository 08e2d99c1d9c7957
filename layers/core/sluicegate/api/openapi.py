"""The OpenAPI 3.1 document of the public API, served at ``GET /openapi.json``.

Request bodies are the JSON Schemas of the pydantic models that the routes
validate with, and response bodies those of ``http/response_models.py``, so the
document changes with the code. Every operation lists each status it can
return. Errors share the OpenAI shape ``{"error": {message, type, param, code}}``,
whether the gateway function or API Gateway itself sends them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..http import response_models as out
from .batches import (
    BATCH_ID_PATTERN,
    DEFAULT_RESULTS_LIMIT,
    MAX_CUSTOM_ID_LENGTH,
    MAX_RESULTS_LIMIT,
    BatchCreateRequest,
)
from .chat import ChatCompletionRequest
from .documents import COLLECTION_NAME_PATTERN, DOCUMENT_ID_PATTERN, DocumentsRequest
from .embeddings import EmbeddingsRequest
from .redact import RedactRequest

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"
REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearerAuth"

# Error statuses, each with its description. API Gateway itself returns 401,
# 403, 429 and the authorizer's 503 (GatewayResponses in template.yaml), and
# 502 or 504 when the function crashes or times out.
ERROR_DESCRIPTIONS = {
    400: "Invalid request: the error's param names the field, and code says what is wrong.",
    401: "Missing, incorrect, revoked or expired API key.",
    403: "The API key may not call this route, or no route matches the method and path.",
    404: "The model, document, collection or batch does not exist for this API key's tenant.",
    409: "The request id was already used by another request.",
    413: "The request body, or the documents in it, are larger than the limit.",
    429: "A rate limit or quota of the tenant or key, or API Gateway's throttling, rejected the request.",
    500: "The gateway failed; retry, and report the request id if it persists.",
    502: "The model backend failed after retries and fallbacks, or the function crashed.",
    503: "A dependency (database, queue, screening, embedding model, authorizer) is unavailable; retry later.",
    504: "The model backend or the function timed out.",
}
# Statuses that every authenticated route can return, whatever its input.
COMMON_ERRORS = (401, 403, 429, 500, 502, 503, 504)
# The "$ref" of each (model, JSON Schema mode) pair, as models_json_schema returns them.
References = dict[tuple[type[BaseModel], str], dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    """One route of the API as the document describes it."""

    method: str
    path: str
    operation_id: str
    summary: str
    response: type[BaseModel] | None
    errors: tuple[int, ...]
    request: type[BaseModel] | None = None
    parameters: tuple[dict[str, Any], ...] = ()
    authenticated: bool = True
    # The chat route returns text/event-stream when the request sets "stream".
    streams: bool = False
    # Response headers of a 200, by name: (schema, required).
    headers: dict[str, tuple[dict[str, Any], bool]] = field(default_factory=dict)


def _path_parameter(name: str, description: str, pattern: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


_REQUEST_ID_HEADER = {"x-sluicegate-request-id": ({"type": "string"}, True)}
_DECIMAL = r"^[0-9]+(\.[0-9]+)?$"
_CHAT_HEADERS = {
    **_REQUEST_ID_HEADER,
    "x-sluicegate-backend": ({"type": "string"}, True),
    "x-sluicegate-cost-usd": ({"type": "string", "pattern": _DECIMAL}, True),
    "x-sluicegate-cost-basis": ({"type": "string"}, True),
    "x-sluicegate-overhead-ms": ({"type": "string", "pattern": _DECIMAL}, True),
}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get", "/v1/models", "listModels", "List the model names that chat completions accept.",
        out.ModelList, COMMON_ERRORS,
    ),
    Operation(
        "get", "/v1/models/{model_id}", "retrieveModel", "Describe one model name.",
        out.ModelObject, (404, *COMMON_ERRORS),
        parameters=(_path_parameter("model_id", "A model name from GET /v1/models."),),
    ),
    Operation(
        "post", "/v1/chat/completions", "createChatCompletion",
        "Create a chat completion; PII is redacted before the model sees the messages and restored in the answer.",
        out.ChatCompletion, (400, 404, 409, 413, *COMMON_ERRORS),
        request=ChatCompletionRequest, streams=True, headers=_CHAT_HEADERS,
    ),
    Operation(
        "post", "/v1/redact", "createRedaction",
        "Detect PII with the caller's screening policy and return the redacted texts, entity types and offsets.",
        out.Redaction, (400, 413, *COMMON_ERRORS),
        request=RedactRequest, headers=_REQUEST_ID_HEADER,
    ),
    Operation(
        "get", "/v1/usage", "retrieveUsage", "Show the caller's usage and remaining quota in each current window.",
        out.UsageReport, COMMON_ERRORS,
    ),
    Operation(
        "post", "/v1/documents", "addDocuments",
        "Add documents to one of the tenant's retrieval collections, replacing documents with the same id.",
        out.DocumentsResult, (400, 413, *COMMON_ERRORS),
        request=DocumentsRequest, headers=_REQUEST_ID_HEADER,
    ),
    Operation(
        "delete", "/v1/documents/{document_id}", "deleteDocument",
        "Delete a document and its chunks from a collection.",
        out.DeletedDocument, (400, 404, *COMMON_ERRORS),
        parameters=(
            _path_parameter("document_id", "The document's id, as sent to POST /v1/documents.", DOCUMENT_ID_PATTERN),
            {
                "name": "collection",
                "in": "query",
                "required": True,
                "description": "The collection that holds the document.",
                "schema": {"type": "string", "pattern": COLLECTION_NAME_PATTERN},
            },
        ),
        headers=_REQUEST_ID_HEADER,
    ),
    Operation(
        "post", "/v1/embeddings", "createEmbeddings", "Embed texts with the in-function embedding model.",
        out.EmbeddingList, (400, 404, 413, *COMMON_ERRORS),
        request=EmbeddingsRequest, headers=_REQUEST_ID_HEADER,
    ),
    Operation(
        "post", "/v1/batches", "createBatch",
        "Queue chat completion requests to run in the background; the batch is stored and queued whole or not at all.",
        out.BatchObject, (400, 404, 413, *COMMON_ERRORS),
        request=BatchCreateRequest, headers=_REQUEST_ID_HEADER,
    ),
    Operation(
        "get", "/v1/batches/{batch_id}", "retrieveBatch", "Show a batch, its counts and one page of its results.",
        out.BatchObject, (400, 404, *COMMON_ERRORS),
        parameters=(
            _path_parameter("batch_id", "The id that POST /v1/batches returned.", BATCH_ID_PATTERN),
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "Return results after the item with this custom_id.",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_CUSTOM_ID_LENGTH},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Results per page.",
                "schema": {
                    "type": "integer", "minimum": 1, "maximum": MAX_RESULTS_LIMIT, "default": DEFAULT_RESULTS_LIMIT
                },
            },
        ),
        headers=_REQUEST_ID_HEADER,
    ),
    Operation(
        "get", "/openapi.json", "retrieveOpenApiDocument", "This document. It needs no API key.",
        None, (429, 500, 502, 504), authenticated=False,
    ),
)


def _component_schemas() -> tuple[References, dict[str, Any]]:
    """Return the reference of each request and response model, and every schema they need by name."""
    models: list[tuple[type[BaseModel], str]] = [(op.request, "validation") for op in OPERATIONS if op.request]
    models += [(op.response, "serialization") for op in OPERATIONS if op.response]
    models += [(out.ChatCompletionChunk, "serialization"), (out.ErrorResponse, "serialization")]
    references, top = models_json_schema(list(dict.fromkeys(models)), ref_template=REF_TEMPLATE)
    schemas = top.get("$defs", {})
    _describe_batch_item_body(schemas)
    return references, schemas


def _describe_batch_item_body(schemas: dict[str, Any]) -> None:
    # parse_batch_request validates each item's body as a chat completion
    # request (with "stream" false) and stores it as sent, so the model field
    # is a plain object and the document names the schema here.
    body = schemas["BatchItemInput"]["properties"]["body"]
    body.clear()
    body.update(
        {
            "$ref": REF_TEMPLATE.format(model="ChatCompletionRequest"),
            "description": "A chat completion request; 'stream' must be false or absent.",
        }
    )


# In OpenAPI 3.1 the schema of text/event-stream describes one event. Every
# event but the last carries a chat.completion.chunk as JSON.
_STREAM_EVENT = {
    "type": "object",
    "description": "One server-sent event; the stream ends with the event 'data: [DONE]'.",
    "required": ["data"],
    "properties": {
        "data": {
            "anyOf": [
                {"const": "[DONE]"},
                {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": {"$ref": REF_TEMPLATE.format(model="ChatCompletionChunk")},
                },
            ]
        }
    },
}


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="ErrorResponse")}}},
    }


def _success_response(operation: Operation, references: References) -> dict[str, Any]:
    if operation.response is None:
        schema: dict[str, Any] = {"type": "object", "description": "An OpenAPI 3.1 document."}
    else:
        schema = references[(operation.response, "serialization")]
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if operation.streams:
        content["text/event-stream"] = {"schema": _STREAM_EVENT}
    response: dict[str, Any] = {"description": "Success.", "content": content}
    if operation.headers:
        response["headers"] = {
            name: {"required": required, "schema": schema} for name, (schema, required) in operation.headers.items()
        }
    return response


def _operation_object(operation: Operation, references: References) -> dict[str, Any]:
    document: dict[str, Any] = {"operationId": operation.operation_id, "summary": operation.summary}
    if operation.parameters:
        document["parameters"] = [copy.deepcopy(parameter) for parameter in operation.parameters]
    if operation.request is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": references[(operation.request, "validation")]}},
        }
    responses = {"200": _success_response(operation, references)}
    responses.update({str(status): _error_response(status) for status in sorted(operation.errors)})
    document["responses"] = responses
    if not operation.authenticated:
        document["security"] = []
    return document


@lru_cache(maxsize=1)
def _build() -> dict[str, Any]:
    references, schemas = _component_schemas()
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _operation_object(operation, references)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "sluicegate",
            "version": API_VERSION,
            "description": (
                "An OpenAI-compatible LLM gateway. Paths are relative to the stage URL "
                "(https://{api-id}.execute-api.{region}.amazonaws.com/{stage} in AWS, "
                "http://127.0.0.1:3000 with `make run`). Every route except this document "
                "needs 'Authorization: Bearer <API key>'."
            ),
        },
        "servers": [
            {
                "url": "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
                "variables": {
                    "apiId": {"default": "api-id"},
                    "region": {"default": "us-east-1"},
                    "stage": {"default": "prod"},
                },
            },
            {"url": "http://127.0.0.1:3000", "description": "make run"},
        ],
        "security": [{SECURITY_SCHEME: []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http", "scheme": "bearer", "description": "A sluicegate API key (sk-sg_...)."
                }
            },
        },
    }


def build_openapi() -> dict[str, Any]:
    """Return a copy of the OpenAPI document, which the caller may change."""
    return copy.deepcopy(_build())
