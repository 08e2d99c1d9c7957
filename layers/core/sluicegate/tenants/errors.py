"""Tenant administration errors."""

from __future__ import annotations

from ..errors import ConflictError, InvalidRequestError, NotFoundError


class TenantExistsError(ConflictError):
    code = "tenant_exists"


class TenantNotFoundError(NotFoundError):
    code = "tenant_not_found"


class ApiKeyNotFoundError(NotFoundError):
    code = "api_key_not_found"


class InvalidTenantIdError(InvalidRequestError):
    code = "invalid_tenant_id"
