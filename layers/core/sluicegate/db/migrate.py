"""Numbered SQL migrations (``migrations/NNN_name.sql``), applied in order and once.

An advisory lock serialises concurrent cold starts; each file runs in its own
transaction together with its ``schema_migrations`` row.
"""

from __future__ import annotations

import logging
import re
from importlib import resources

import psycopg

from .errors import MigrationError

logger = logging.getLogger(__name__)

_FILE_PATTERN = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# Arbitrary constant shared by every process that migrates this schema.
_LOCK_ID = 0x5E1C_E9A7


def list_migrations() -> list[tuple[int, str, str]]:
    """Return ``(version, file name, sql)`` for every migration, sorted by version."""
    found = []
    for entry in resources.files(__package__).joinpath("migrations").iterdir():
        match = _FILE_PATTERN.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"two migration files share a version number: {versions}")
    return found


def apply_migrations(conn: psycopg.Connection) -> list[int]:
    """Apply every migration newer than the database's version."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, name, sql in list_migrations():
            if version in done:
                continue
            try:
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (version, name),
                    )
            except psycopg.Error as exc:
                raise MigrationError(f"migration {name} failed: {exc}") from exc
            logger.info("applied migration", extra={"migration": name})
            applied.append(version)
    return applied
