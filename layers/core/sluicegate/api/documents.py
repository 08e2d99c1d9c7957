"""Request models of ``POST /v1/documents`` and the names shared with chat retrieval."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

COLLECTION_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
# Ids travel in URL paths (DELETE /v1/documents/{id}), so they avoid '/', '#', '?' and '%'.
DOCUMENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@=+-]{0,199}$"
MAX_METADATA_BYTES = 8 * 1024



def check_collection_name(value: str) -> str:
    # fullmatch, because "$" alone also matches before a final newline.
    if not re.fullmatch(COLLECTION_NAME_PATTERN, value):
        raise ValueError("use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value


def check_document_id(value: str) -> str:
    if not re.fullmatch(DOCUMENT_ID_PATTERN, value):
        raise ValueError("use 1-200 letters, digits or '._:@=+-', starting with a letter or digit (no '/')")
    return value


CollectionName = Annotated[
    str, AfterValidator(check_collection_name), WithJsonSchema({"type": "string", "pattern": COLLECTION_NAME_PATTERN})
]
DocumentId = Annotated[str, AfterValidator(check_document_id), WithJsonSchema({"type": "string", "pattern": DOCUMENT_ID_PATTERN})]


def check_json_size(value: dict[str, Any] | None, limit: int, what: str) -> dict[str, Any] | None:
    """Reject an object whose compact JSON is larger than ``limit`` bytes."""
    if value is None:
        return value
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > limit:
        raise ValueError(f"{what} is {size} bytes as JSON; the limit is {limit} bytes")
    return value


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: DocumentId
    text: str
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _metadata_size(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_json_size(value, MAX_METADATA_BYTES, "metadata")


class DocumentsRequest(BaseModel):
    """The body of ``POST /v1/documents``; a document whose id exists in the collection is replaced."""

    model_config = ConfigDict(extra="forbid", strict=True)

    collection: CollectionName
    documents: Annotated[list[DocumentIn], Field(min_length=1)]

    @field_validator("documents")
    @classmethod
    def _unique_ids(cls, value: list[DocumentIn]) -> list[DocumentIn]:
        seen: set[str] = set()
        for document in value:
            if document.id in seen:
                raise ValueError(f"document id {document.id!r} appears more than once; send each id once")
            seen.add(document.id)
        return value
