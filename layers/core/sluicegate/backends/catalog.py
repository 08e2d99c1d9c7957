"""The models a caller may name, and the backend serving each."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from ..errors import ModelNotFoundError
from .base import Backend


@dataclass
class CatalogEntry:
    model_id: str
    owned_by: str
    loader: Callable[[], Backend]
    created: int
    _backend: Backend | None = None
    # A request that arrives while the backend loads (for example during a preload) waits for that load.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def backend(self) -> Backend:
        """Load the backend on first use; later calls reuse it for the container's life."""
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = self.loader()
        return self._backend


class ModelCatalog:
    def __init__(self) -> None:
        self._entries: dict[str, CatalogEntry] = {}

    def register(self, model_id: str, loader: Callable[[], Backend], owned_by: str = "sluicegate") -> None:
        self._entries[model_id] = CatalogEntry(model_id, owned_by, loader, created=int(time.time()))

    def model_ids(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[CatalogEntry]:
        return [self._entries[model_id] for model_id in self.model_ids()]

    def get(self, model_id: str) -> CatalogEntry:
        if model_id not in self._entries:
            choices = ", ".join(self.model_ids()) or "none"
            raise ModelNotFoundError(
                f"the model {model_id!r} does not exist; available models: {choices}", param="model"
            )
        return self._entries[model_id]
