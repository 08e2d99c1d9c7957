"""The tenant's choice when retrieval fails: an answer without context, or an error.

The choice is the ``retrieval_failure`` key of ``tenants.settings``:
``"answer"`` (the default) or ``"error"`` (HTTP 503). It is cached per
container, so a database outage shorter than the cache lifetime still
applies the tenant's choice.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Literal

from ..db.pool import Database
from ..errors import GatewayError

logger = logging.getLogger(__name__)

FailureMode = Literal["answer", "error"]
DEFAULT_MODE: FailureMode = "answer"
SETTING_KEY = "retrieval_failure"


class FailurePolicies:
    def __init__(self, db: Callable[[], Database], ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self.ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, FailureMode]] = {}
        self._lock = threading.Lock()

    def mode(self, tenant_id: str) -> FailureMode:
        """Return the tenant's failure mode; the cached or default one when the database cannot be read."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(tenant_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            with self._db().connection() as conn:
                row = conn.execute("SELECT settings ->> %s FROM tenants WHERE id = %s", (SETTING_KEY, tenant_id)).fetchone()
        except GatewayError as exc:
            # NOTE: a tenant never read before falls back to the default ("answer") during an outage.
            mode = cached[1] if cached is not None else DEFAULT_MODE
            logger.warning(
                "could not read the retrieval failure setting; using %s", mode,
                extra={"tenant_id": tenant_id, "error": type(exc).__name__},
            )
            return mode
        mode = self._parse(tenant_id, row[0] if row else None)
        with self._lock:
            self._cache[tenant_id] = (now + self.ttl_s, mode)
        return mode

    @staticmethod
    def _parse(tenant_id: str, value: str | None) -> FailureMode:
        if value is None or value == "answer":
            return "answer"
        if value == "error":
            return "error"
        logger.warning(
            "invalid tenant setting %s=%r; expected 'answer' or 'error', using 'answer'", SETTING_KEY, value,
            extra={"tenant_id": tenant_id},
        )
        return "answer"
