"""Clients and models built once per container and shared by every request."""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .backends.catalog import ModelCatalog
from .db.pool import Database
from .pricing.table import PriceTable
from .quotas.service import QuotaConfig, QuotaService
from .settings import Settings, get_settings
from .pipeline.context import RequestContext
from .pipeline.screen import RequestScreening, ScreenerRegistry
from .tenants.cache import TenantCache
from .tenants.repository import TenantRepository

if TYPE_CHECKING:
    from .batches.service import BatchService
    from .backends.breaker import BreakerRegistry
    from .retrieval.embedder import EmbeddingService
    from .retrieval.ingest import Ingestor
    from .retrieval.retriever import Retriever
    from .routing.config import RoutingConfig
    from .routing.router import Router

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
    def quotas(self) -> QuotaService:
        # The database is looked up per call, so that a cold start with the database down can still fail open.
        return QuotaService(lambda: self.db, QuotaConfig.from_settings(self.settings))

    @cached_property
    def tenant_cache(self) -> TenantCache:
        return TenantCache(self.tenants)

    @cached_property
    def screeners(self) -> ScreenerRegistry:
        return ScreenerRegistry()

    def start_screening(self, ctx: RequestContext) -> RequestScreening:
        """Start screening one request with its tenant's policy."""
        tenant = self.tenant_cache.get(ctx.principal.tenant_id)
        return RequestScreening(ctx, self.screeners.for_tenant(tenant).start())

    @cached_property
    def embedder(self) -> "EmbeddingService":
        # Imported here so that functions without the inference layer never import onnxruntime.
        from .retrieval.embedder import EmbeddingService, load_embedding_model

        return EmbeddingService(load_embedding_model(self.settings), batch_size=self.settings.embedding_batch_size)

    @cached_property
    def ingestor(self) -> "Ingestor":
        from .retrieval.chunking import ChunkingConfig
        from .retrieval.ingest import Ingestor
        from .retrieval.repository import DocumentRepository

        chunking = ChunkingConfig(self.settings.chunk_tokens, self.settings.chunk_overlap_tokens)
        return Ingestor(self.embedder, DocumentRepository(self.db), chunking)

    @cached_property
    def retriever(self) -> "Retriever":
        from .retrieval.policy import FailurePolicies
        from .retrieval.retriever import Retriever
        from .retrieval.search import ChunkSearch, SearchConfig

        config = SearchConfig(
            ef_search=self.settings.retrieval_ef_search,
            exact_max_chunks=self.settings.retrieval_exact_max_chunks,
            statement_timeout_ms=self.settings.retrieval_timeout_ms,
        )
        # The database and the model are looked up per call, so that their failure
        # becomes a retrieval failure of one request instead of a broken property.
        search = ChunkSearch(lambda: self.db, config)
        return Retriever(lambda: self.embedder, search, FailurePolicies(lambda: self.db))

    @cached_property
    def sqs(self):
        """The boto3 SQS client of this container."""
        from .batches.queue import build_sqs_client

        return build_sqs_client(self.settings)

    @cached_property
    def batches(self) -> "BatchService":
        from .batches.item_repository import ItemRepository
        from .batches.queue import BatchQueue
        from .batches.repository import BatchRepository
        from .batches.service import BatchService

        # The database and the SQS client are looked up per call, so the worker never builds an SQS client.
        queue = BatchQueue(lambda: self.sqs, self.settings.batch_queue_url)
        return BatchService(BatchRepository(lambda: self.db), ItemRepository(lambda: self.db), queue, lambda model_id: self.router.model(model_id))

    @cached_property
    def catalog(self) -> ModelCatalog:
        catalog = ModelCatalog()
        catalog.register(self.settings.local_model, self._load_local_backend)
        return catalog

    def _load_local_backend(self):
        # Imported here so that functions without the inference layer never import onnxruntime.
        from .backends.local import LocalBackend

        return LocalBackend.from_settings(self.settings)

    @cached_property
    def s3(self):
        """The boto3 S3 client of this container, for the routing folder."""
        import boto3

        return boto3.client("s3")

    @cached_property
    def routing_folder(self) -> Path | None:
        """The routing folder downloaded from the model bucket, or None when the config is a local file."""
        if not self.settings.routing_config_prefix:
            return None
        from .routing.s3_folder import download_routing_folder

        assert self.settings.model_bucket is not None  # checked by Settings
        return download_routing_folder(self.s3, self.settings.model_bucket, self.settings.routing_config_prefix)

    @cached_property
    def routing_config(self) -> "RoutingConfig":
        from .routing.loader import default_routing_config, load_routing_config
        from .routing.s3_folder import ROUTING_FILENAME

        if self.routing_folder is not None:
            return load_routing_config(self.routing_folder / ROUTING_FILENAME)
        if self.settings.routing_config is None:
            return default_routing_config(self.settings.local_model)
        return load_routing_config(self.settings.routing_config)

    @cached_property
    def sagemaker_runtime(self):
        """The boto3 ``sagemaker-runtime`` client shared by every SageMaker backend."""
        from .backends.sagemaker_client import build_sagemaker_runtime_client

        return build_sagemaker_runtime_client(
            connect_timeout_s=self.settings.sagemaker_connect_timeout_s,
            read_timeout_s=self.settings.sagemaker_read_timeout_s,
            endpoint_url=self.settings.sagemaker_endpoint_url,
            region_name=self.settings.sagemaker_region,
        )

    @cached_property
    def breakers(self) -> "BreakerRegistry":
        from .backends.breaker import BreakerRegistry
        from .routing.pool import breaker_settings

        return BreakerRegistry(breaker_settings(self.routing_config))

    @cached_property
    def router(self) -> "Router":
        """Build the router and add the SageMaker endpoints' prices to ``prices`` (entries already there win)."""
        from .routing.pool import build_pool, endpoint_prices
        from .routing.router import Router

        config = self.routing_config
        instances, tokens = endpoint_prices(config)
        self.prices = self.prices.with_overrides(
            endpoints={**instances, **self.prices.endpoints},
            token_prices={**tokens, **self.prices.token_prices},
        )
        pool = build_pool(
            config,
            local_backend=lambda: self.catalog.get(self.settings.local_model).backend(),
            sagemaker_client=lambda: self.sagemaker_runtime,
            # Relative tokenizer paths: in the downloaded routing folder, else under the model folder.
            model_dir=self.routing_folder or self.settings.model_dir,
        )
        logger.info("routing %d model names over backends %s", len(config.models), ", ".join(sorted(config.backends)))
        return Router(config, pool, self.breakers)


_services: Services | None = None


def get_services() -> Services:
    """Return this container's services, built on first use."""
    global _services
    if _services is None:
        _services = Services(get_settings())
    return _services
