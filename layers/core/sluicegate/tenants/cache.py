"""Tenant records cached per container for a short time.

Changing a tenant's settings takes effect within ``ttl_s`` seconds in every
warm container; the cache saves a database round trip on each request.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from .models import Tenant
from .repository import TenantRepository


class TenantCache:
    def __init__(self, repository: TenantRepository, ttl_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._repository = repository
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[float, Tenant]] = {}
        self._lock = threading.Lock()

    def get(self, tenant_id: str) -> Tenant:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(tenant_id)
            if entry is not None and entry[0] > now:
                return entry[1]
        tenant = self._repository.get_tenant(tenant_id)
        with self._lock:
            self._entries[tenant_id] = (now + self._ttl_s, tenant)
        return tenant
