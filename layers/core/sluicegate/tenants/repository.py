"""SQL for tenants and API keys. Every statement is parameterised."""

from __future__ import annotations

import re
from datetime import datetime

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from ..auth.keys import digest_key, generate_key
from ..db.pool import Database
from .errors import ApiKeyNotFoundError, InvalidTenantIdError, TenantExistsError, TenantNotFoundError
from .models import ApiKeyRecord, Tenant

TENANT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")


class TenantRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create_tenant(self, tenant_id: str, name: str, tier: str = "standard", settings: dict | None = None) -> Tenant:
        if not TENANT_ID_PATTERN.match(tenant_id):
            raise InvalidTenantIdError(
                f"invalid tenant id {tenant_id!r}: use 2-63 lowercase letters, digits, '-' or '_', "
                "starting with a letter or digit",
                param="id",
            )
        with self.db.connection() as conn:
            try:
                conn.execute(
                    "INSERT INTO tenants (id, name, tier, settings) VALUES (%s, %s, %s, %s)",
                    (tenant_id, name, tier, Jsonb(settings or {})),
                )
            except psycopg.errors.UniqueViolation as exc:
                raise TenantExistsError(f"tenant {tenant_id!r} already exists", param="id") from exc
        return Tenant(id=tenant_id, name=name, tier=tier, settings=settings or {})

    def get_tenant(self, tenant_id: str) -> Tenant:
        with self.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "SELECT id, name, tier, settings, disabled_at FROM tenants WHERE id = %s", (tenant_id,)
            ).fetchone()
        if row is None:
            raise TenantNotFoundError(f"tenant {tenant_id!r} does not exist", param="tenant_id")
        return Tenant(**row)

    def list_tenants(self) -> list[Tenant]:
        with self.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute("SELECT id, name, tier, settings, disabled_at FROM tenants ORDER BY id").fetchall()
        return [Tenant(**row) for row in rows]

    def create_key(self, tenant_id: str, name: str = "", expires_at: datetime | None = None) -> tuple[ApiKeyRecord, str]:
        """Create a key and return its record and the full key, which is never stored."""
        self.get_tenant(tenant_id)
        key_id, full_key = generate_key()
        with self.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "INSERT INTO api_keys (key_id, tenant_id, name, key_sha256, expires_at)"
                " VALUES (%s, %s, %s, %s, %s)"
                " RETURNING key_id, tenant_id, name, created_at, expires_at, revoked_at",
                (key_id, tenant_id, name, digest_key(full_key), expires_at),
            ).fetchone()
        return ApiKeyRecord(**row), full_key

    def list_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        with self.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(
                "SELECT key_id, tenant_id, name, created_at, expires_at, revoked_at"
                " FROM api_keys WHERE tenant_id = %s ORDER BY created_at",
                (tenant_id,),
            ).fetchall()
        return [ApiKeyRecord(**row) for row in rows]

    def revoke_key(self, tenant_id: str, key_id: str) -> ApiKeyRecord:
        """Revoke a key (a second call keeps the first revocation time) and return its record."""
        with self.db.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())"
                " WHERE tenant_id = %s AND key_id = %s"
                " RETURNING key_id, tenant_id, name, created_at, expires_at, revoked_at",
                (tenant_id, key_id),
            ).fetchone()
        if row is None:
            raise ApiKeyNotFoundError(f"tenant {tenant_id!r} has no API key {key_id!r}", param="key_id")
        return ApiKeyRecord(**row)

    def find_active_key(self, key_id: str) -> tuple[bytes, str, str] | None:
        """Return ``(stored digest, tenant id, tier)`` for a usable key, else ``None``."""
        with self.db.connection() as conn:
            row = conn.execute(
                "SELECT k.key_sha256, t.id, t.tier FROM api_keys k JOIN tenants t ON t.id = k.tenant_id"
                " WHERE k.key_id = %s AND k.revoked_at IS NULL AND t.disabled_at IS NULL"
                " AND (k.expires_at IS NULL OR k.expires_at > now())",
                (key_id,),
            ).fetchone()
        if row is None:
            return None
        return bytes(row[0]), row[1], row[2]
