"""Embedded PostgreSQL with pgvector for local runs and tests (the ``pgserver`` package).

Several processes may share one data folder: pgserver starts the server on
first use and stops it when the last process using it exits.
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def start_local_server(local_dir: Path) -> str:
    """Start (or join) the embedded server under ``local_dir/pgdata`` and return its URI."""
    try:
        import pgserver
    except ImportError as exc:  # pgserver is a development dependency only
        raise RuntimeError(
            "no DATABASE_URL is set and the embedded PostgreSQL (package pgserver) "
            "is not installed; set DATABASE_URL or install requirements/dev.txt"
        ) from exc

    data_dir = (local_dir / "pgdata").resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir))
    logger.info("embedded postgres ready", extra={"data_dir": str(data_dir)})
    return server.get_uri()
