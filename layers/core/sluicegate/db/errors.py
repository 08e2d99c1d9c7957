"""Database errors as the gateway reports them."""

from __future__ import annotations

from ..errors import ServiceUnavailableError


class DatabaseUnavailableError(ServiceUnavailableError):
    """Postgres could not be reached or did not answer in time."""

    code = "database_unavailable"


class MigrationError(Exception):
    """A schema migration failed; the database is left at the previous version."""
