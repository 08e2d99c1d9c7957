"""One psycopg connection pool per container, created lazily."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ..settings import Settings
from .errors import DatabaseUnavailableError
from .local_server import start_local_server
from .migrate import apply_migrations

logger = logging.getLogger(__name__)


class Database:
    """A connection pool plus the schema migrations applied at start-up."""

    def __init__(self, url: str, *, max_size: int = 4, timeout_s: float = 5.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.pool = ConnectionPool(
            url,
            min_size=0,
            max_size=max_size,
            timeout=timeout_s,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout_s))},
            open=True,
        )
        self._migrated = False

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        url = settings.database_url or start_local_server(settings.local_dir)
        return cls(url, max_size=settings.db_pool_max_size, timeout_s=settings.db_connect_timeout_s)

    def migrate(self) -> list[int]:
        """Apply pending migrations once per process; returns the versions applied."""
        if self._migrated:
            return []
        with self.connection() as conn:
            applied = apply_migrations(conn)
        self._migrated = True
        return applied

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """Yield a pooled connection; infrastructure failures become 503 errors."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise DatabaseUnavailableError(
                f"the database did not accept a connection within {self.timeout_s:.1f} s; "
                "retry later"
            ) from exc
        except psycopg.OperationalError as exc:
            logger.error("database operation failed", extra={"error": type(exc).__name__})
            raise DatabaseUnavailableError("the database is unreachable; retry later") from exc

    def close(self) -> None:
        self.pool.close()
