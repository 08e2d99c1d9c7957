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
from . import admin
from .admin import ID_PATTERN, KEY_ID_PATTERN
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
    # Response headers of a success, by name: (schema, required).
    headers: dict[str, tuple[dict[str, Any], bool]] = field(default_factory=dict)
    # 201 for the routes that create something.
    success_status: int = 200


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


def _component_schemas(
    operations: tuple[Operation, ...], extra: tuple[type[BaseModel], ...] = ()
) -> tuple[References, dict[str, Any]]:
    """Return the reference of each request and response model, and every schema they need by name."""
    models: list[tuple[type[BaseModel], str]] = [(op.request, "validation") for op in operations if op.request]
    models += [(op.response, "serialization") for op in operations if op.response]
    models += [(model, "serialization") for model in (*extra, out.ErrorResponse)]
    references, top = models_json_schema(list(dict.fromkeys(models)), ref_template=REF_TEMPLATE)
    return references, top.get("$defs", {})


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


def _error_response(status: int, descriptions: dict[int, str]) -> dict[str, Any]:
    return {
        "description": descriptions[status],
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


def _operation_object(operation: Operation, references: References, descriptions: dict[int, str]) -> dict[str, Any]:
    document: dict[str, Any] = {"operationId": operation.operation_id, "summary": operation.summary}
    if operation.parameters:
        document["parameters"] = [copy.deepcopy(parameter) for parameter in operation.parameters]
    if operation.request is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": references[(operation.request, "validation")]}},
        }
    responses = {str(operation.success_status): _success_response(operation, references)}
    responses.update({str(status): _error_response(status, descriptions) for status in sorted(operation.errors)})
    document["responses"] = responses
    if not operation.authenticated:
        document["security"] = []
    return document


def _paths(
    operations: tuple[Operation, ...], references: References, descriptions: dict[int, str]
) -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method] = _operation_object(operation, references, descriptions)
    return paths


SERVERS = [
    {
        "url": "https://{apiId}.execute-api.{region}.amazonaws.com/{stage}",
        "variables": {
            "apiId": {"default": "api-id"},
            "region": {"default": "us-east-1"},
            "stage": {"default": "prod"},
        },
    },
    {"url": "http://127.0.0.1:3000", "description": "make run"},
]


@lru_cache(maxsize=1)
def _build() -> dict[str, Any]:
    references, schemas = _component_schemas(OPERATIONS, extra=(out.ChatCompletionChunk,))
    _describe_batch_item_body(schemas)
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
        "servers": SERVERS,
        "security": [{SECURITY_SCHEME: []}],
        "paths": _paths(OPERATIONS, references, ERROR_DESCRIPTIONS),
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


# The admin API, for operators: a document of its own, because its routes use IAM
# authorization and are not part of the API that tenants see.
ADMIN_SECURITY_SCHEME = "sigv4"
ADMIN_ERROR_DESCRIPTIONS = {
    **ERROR_DESCRIPTIONS,
    403: "The request has no valid AWS Signature Version 4 (service execute-api) from a principal the "
    "AdminInvokePolicy allows; tenant API keys are rejected.",
    404: "The tenant, API key or tier does not exist.",
    409: "A tenant with this id already exists.",
    429: "API Gateway's throttling rejected the request.",
    503: "The database is unavailable; retry later.",
}
ADMIN_COMMON_ERRORS = (403, 429, 500, 502, 503, 504)
_TENANT_ID = _path_parameter("tenant_id", "The tenant's id.", ID_PATTERN)
_KEY_ID = _path_parameter("key_id", "The key id: the 12 hex characters after 'sk-sg_'.", KEY_ID_PATTERN)
_TIER = _path_parameter("tier", "The tier's name.", ID_PATTERN)

ADMIN_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "post", "/admin/tenants", "createTenant", "Create a tenant.",
        out.TenantOut, (400, 409, 413, *ADMIN_COMMON_ERRORS), request=admin.TenantCreateRequest, success_status=201,
    ),
    Operation("get", "/admin/tenants", "listTenants", "List the tenants.", out.TenantList, ADMIN_COMMON_ERRORS),
    Operation(
        "get", "/admin/tenants/{tenant_id}", "retrieveTenant", "Show a tenant.",
        out.TenantOut, (400, 404, *ADMIN_COMMON_ERRORS), parameters=(_TENANT_ID,),
    ),
    Operation(
        "post", "/admin/tenants/{tenant_id}/keys", "createApiKey",
        "Create an API key for a tenant; the response is the only place the whole key appears.",
        out.ApiKeyCreated, (400, 404, 413, *ADMIN_COMMON_ERRORS),
        request=admin.KeyCreateRequest, parameters=(_TENANT_ID,), success_status=201,
    ),
    Operation(
        "get", "/admin/tenants/{tenant_id}/keys", "listApiKeys", "List a tenant's API keys (ids and prefixes only).",
        out.ApiKeyList, (400, 404, *ADMIN_COMMON_ERRORS), parameters=(_TENANT_ID,),
    ),
    Operation(
        "delete", "/admin/tenants/{tenant_id}/keys/{key_id}", "revokeApiKey", "Revoke an API key at once.",
        out.ApiKeyOut, (400, 404, *ADMIN_COMMON_ERRORS), parameters=(_TENANT_ID, _KEY_ID),
    ),
    Operation(
        "get", "/admin/tenants/{tenant_id}/limits", "retrieveTenantLimits",
        "Show a tenant's tier defaults, overrides and effective limits.",
        out.LimitsView, (400, 404, *ADMIN_COMMON_ERRORS), parameters=(_TENANT_ID,),
    ),
    Operation(
        "patch", "/admin/tenants/{tenant_id}/limits", "updateTenantLimits",
        "Set, remove ('inherit') or lift (null) a tenant's limit overrides.",
        out.LimitsView, (400, 404, 413, *ADMIN_COMMON_ERRORS),
        request=admin.LimitOverridesRequest, parameters=(_TENANT_ID,),
    ),
    Operation(
        "get", "/admin/tenants/{tenant_id}/keys/{key_id}/limits", "retrieveApiKeyLimits",
        "Show a tenant's limits and the limits set on one of its keys.",
        out.LimitsView, (400, 404, *ADMIN_COMMON_ERRORS), parameters=(_TENANT_ID, _KEY_ID),
    ),
    Operation(
        "patch", "/admin/tenants/{tenant_id}/keys/{key_id}/limits", "updateApiKeyLimits",
        "Set, remove ('inherit') or lift (null) the limits of one API key.",
        out.LimitsView, (400, 404, 413, *ADMIN_COMMON_ERRORS),
        request=admin.LimitOverridesRequest, parameters=(_TENANT_ID, _KEY_ID),
    ),
    Operation(
        "get", "/admin/tiers/{tier}/limits", "retrieveTierLimits", "Show a tier's default limits.",
        out.TierLimits, (400, 404, *ADMIN_COMMON_ERRORS), parameters=(_TIER,),
    ),
    Operation(
        "patch", "/admin/tiers/{tier}/limits", "updateTierLimits", "Set a tier's default limits, creating the tier.",
        out.TierLimits, (400, 413, *ADMIN_COMMON_ERRORS), request=admin.TierLimitsRequest, parameters=(_TIER,),
    ),
    Operation(
        "get", "/admin/tenants/{tenant_id}/usage", "retrieveTenantUsage",
        "Show a tenant's usage and what remains in each current window, with one key's windows if named.",
        # 409: the tenant's tier has no limits, so there is nothing to report against.
        out.UsageReport, (400, 404, 409, *ADMIN_COMMON_ERRORS),
        parameters=(
            _TENANT_ID,
            {
                "name": "key_id",
                "in": "query",
                "required": False,
                "description": "Also show the windows of this key's limits.",
                "schema": {"type": "string", "pattern": KEY_ID_PATTERN},
            },
        ),
    ),
)


@lru_cache(maxsize=1)
def _build_admin() -> dict[str, Any]:
    references, schemas = _component_schemas(ADMIN_OPERATIONS)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "sluicegate admin API",
            "version": API_VERSION,
            "description": (
                "Tenants, API keys, quota limits and usage, for operators. Every request must be signed with "
                "AWS Signature Version 4 for the service execute-api (docs/admin.md)."
            ),
        },
        "servers": SERVERS,
        "security": [{ADMIN_SECURITY_SCHEME: []}],
        "paths": _paths(ADMIN_OPERATIONS, references, ADMIN_ERROR_DESCRIPTIONS),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                ADMIN_SECURITY_SCHEME: {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "AWS Signature Version 4 (AWS4-HMAC-SHA256) with X-Amz-Date.",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                }
            },
        },
    }


def build_admin_openapi() -> dict[str, Any]:
    """Return a copy of the admin API's OpenAPI document, which the caller may change."""
    return copy.deepcopy(_build_admin())
