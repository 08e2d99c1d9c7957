"""Clients and models built once per container and shared by every request."""

from __future__ import annotations

import logging
from functools import cached_property

from .backends.catalog import ModelCatalog
from .db.pool import Database
from .pricing.table import PriceTable
from .settings import Settings, get_settings
from .tenants.repository import TenantRepository

logger = logging.getLogger(__name__)


class Services:
    """Lazily built dependencies; tests pass their own settings or replace attributes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prices = PriceTable()

    @cached_property
    def db(self) -> Database:
        database = Database.from_settings(self.settings)
        database.migrate()
        return database

    @cached_property
    def tenants(self) -> TenantRepository:
        return TenantRepository(self.db)

    @cached_property
    def catalog(self) -> ModelCatalog:
        catalog = ModelCatalog()
        catalog.register(self.settings.local_model, self._load_local_backend)
        return catalog

    def _load_local_backend(self):
        # Imported here so that functions without the inference layer never import onnxruntime.
        from .backends.local import LocalBackend

        return LocalBackend.from_settings(self.settings)


_services: Services | None = None


def get_services() -> Services:
    """Return this container's services, built on first use."""
    global _services
    if _services is None:
        _services = Services(get_settings())
    return _services
