"""Response bodies of the public API as pydantic models, for the OpenAPI document.

The routes build their bodies as plain dicts (``responses.py``,
``quotas/usage_report.py``, ``batches/views.py`` and the route modules), and
these models describe the same shapes. ``tests/security/test_openapi_fuzz.py``
and ``tests/security/test_openapi.py`` validate responses against them, so a
body that drifts from its model fails the test suite.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..batches.models import BatchStatus, ItemStatus
from ..quotas.limits import Metric, Window
from ..screening.entities import EntityType
from ..screening.policy import ScreeningPolicy


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Body):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(_Body):
    """The body of every 4xx and 5xx, from the gateway function and from API Gateway alike."""

    error: ErrorDetail


class ModelObject(_Body):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(_Body):
    object: Literal["list"]
    data: list[ModelObject]


class CompletionUsage(_Body):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(_Body):
    role: Literal["assistant"]
    content: str
    refusal: None


class ChatChoice(_Body):
    index: int
    message: AssistantMessage
    logprobs: None
    finish_reason: Literal["stop", "length"]


class RetrievedPassage(_Body):
    index: int
    document_id: str
    chunk_id: str
    chunk_index: int
    score: float
    metadata: dict[str, Any]


class RetrievalExtension(_Body):
    collection: str
    status: Literal["ok", "failed"]
    template_version: str | None
    passages: list[RetrievedPassage]


class SluicegateExtension(_Body):
    """Present only when the request asked for retrieval."""

    retrieval: RetrievalExtension


class ChatCompletion(_Body):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    system_fingerprint: None
    choices: list[ChatChoice]
    usage: CompletionUsage
    sluicegate: SluicegateExtension | None = None


class ChunkDelta(_Body):
    """The first chunk carries the role, the middle ones the text, the last one nothing."""

    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(_Body):
    index: int
    delta: ChunkDelta
    logprobs: None
    finish_reason: Literal["stop", "length"] | None


class ChatCompletionChunk(_Body):
    """One ``data:`` event of a streamed chat completion."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    system_fingerprint: None
    choices: list[ChunkChoice]
    # With stream_options.include_usage: null in every chunk but the last, which has no choices.
    usage: CompletionUsage | None = None
    sluicegate: SluicegateExtension | None = None


class RedactedEntity(_Body):
    """A detected value's type and code point offsets in the caller's text, never the value itself."""

    type: EntityType
    start: int
    end: int
    score: float


class InjectionScore(_Body):
    score: float
    flags: list[str]


class RedactionResult(_Body):
    index: int
    text: str
    entities: list[RedactedEntity]
    injection: InjectionScore | None = None


class Redaction(_Body):
    object: Literal["redaction"]
    policy: ScreeningPolicy
    results: list[RedactionResult]


class UsageLimit(_Body):
    name: str
    scope: Literal["tenant", "key"]
    unit: Metric
    window: Window
    window_start: str
    window_end: str
    resets_in_seconds: int
    limit: int | None
    used: int
    reserved: int
    remaining: int | None


class UsageReport(_Body):
    object: Literal["usage"]
    tenant_id: str
    key_id: str
    tier: str
    as_of: str
    limits: list[UsageLimit]


class StoredDocumentOut(_Body):
    object: Literal["document"]
    id: str
    status: Literal["created", "replaced", "unchanged"]
    chunks: int


class EmbeddingUsage(_Body):
    prompt_tokens: int
    total_tokens: int


class DocumentsResult(_Body):
    object: Literal["list"]
    collection: str
    data: list[StoredDocumentOut]
    usage: EmbeddingUsage


class DeletedDocument(_Body):
    object: Literal["document"]
    id: str
    collection: str
    deleted: Literal[True]
    chunks: int


class Embedding(_Body):
    object: Literal["embedding"]
    index: int
    # A list of floats, or little-endian float32 values in base64 with encoding_format "base64".
    embedding: list[float] | str


class EmbeddingList(_Body):
    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage


class BatchError(_Body):
    code: str | None
    message: str
    param: str | None
    line: int | None


class BatchErrorList(_Body):
    object: Literal["list"]
    data: list[BatchError]


class BatchRequestCounts(_Body):
    total: int
    queued: int
    running: int
    succeeded: int
    failed: int


class BatchItemResult(_Body):
    custom_id: str
    status: ItemStatus
    attempts: int
    request_id: str | None
    status_code: int | None
    # A chat completion body, present once the item succeeded.
    response: dict[str, Any] | None
    error: dict[str, Any] | None
    last_error: dict[str, Any] | None


class BatchResultsPage(_Body):
    object: Literal["list"]
    data: list[BatchItemResult]
    first_id: str | None
    last_id: str | None
    has_more: bool


class BatchObject(_Body):
    id: str
    object: Literal["batch"]
    endpoint: str
    status: BatchStatus
    created_at: int
    in_progress_at: int | None
    completed_at: int | None
    failed_at: int | None
    errors: BatchErrorList | None
    metadata: dict[str, str] | None
    request_counts: BatchRequestCounts
    # Only GET /v1/batches/{batch_id} returns a page of results.
    results: BatchResultsPage | None = None


# Admin API (routes/admin.py), for operators.


class TenantOut(_Body):
    object: Literal["tenant"]
    id: str
    name: str
    tier: str
    disabled_at: int | None


class TenantList(_Body):
    object: Literal["list"]
    data: list[TenantOut]


class ApiKeyOut(_Body):
    object: Literal["api_key"]
    id: str
    tenant_id: str
    name: str
    prefix: str
    created_at: int
    expires_at: int | None
    revoked_at: int | None


class ApiKeyCreated(ApiKeyOut):
    """A new key: the only response that contains the whole key."""

    api_key: str


class ApiKeyList(_Body):
    object: Literal["list"]
    data: list[ApiKeyOut]


class LimitValues(_Body):
    """Limits by name; null means no limit. A partial map lists only the limits that are set."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    tokens_per_day: int | None = None
    micro_usd_per_day: int | None = None
    micro_usd_per_month: int | None = None


class LimitsView(_Body):
    tenant_id: str
    tier: str
    tier_defaults: LimitValues
    tenant_overrides: LimitValues
    effective_tenant_limits: LimitValues | None
    problem: str | None = None
    key_id: str | None = None
    key_limits: LimitValues | None = None


class TierLimits(_Body):
    object: Literal["tier"]
    tier: str
    limits: LimitValues
