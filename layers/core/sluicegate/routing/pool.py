"""Backends named in the routing config, built on first use and kept for the container's life."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from ..backends.base import Backend
from ..backends.breaker import BreakerSettings
from ..backends.retry import RetrySettings
from ..backends.sagemaker import EndpointSettings, SageMakerBackend
from ..pricing.table import EndpointPrice, TokenPrice
from .backend_specs import InstancePriceSpec, SageMakerBackendSpec
from .config import RoutingConfig


class BackendPool:
    """Looks backends up by name. Factories build or cache their backend themselves."""

    def __init__(self, factories: dict[str, Callable[[], Backend]]) -> None:
        self._factories = factories

    def names(self) -> list[str]:
        return sorted(self._factories)

    def get(self, name: str) -> Backend:
        return self._factories[name]()


class _Once:
    """Calls ``build`` on first use and returns the same object afterwards."""

    def __init__(self, build: Callable[[], Backend]) -> None:
        self._build = build
        self._value: Backend | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Backend:
        with self._lock:
            if self._value is None:
                self._value = self._build()
            return self._value


def endpoint_settings(name: str, spec: SageMakerBackendSpec, model_dir: Path) -> EndpointSettings:
    tokenizer = spec.tokenizer if spec.tokenizer.is_absolute() else model_dir / spec.tokenizer
    return EndpointSettings(
        backend=name,
        endpoint_name=spec.endpoint_name,
        dialect=spec.dialect,
        context_window=spec.context_window,
        tokenizer=tokenizer,
        prefill_details=spec.prefill_details,
        served_model=spec.served_model,
        retry=RetrySettings(**spec.retry.model_dump()),
    )


def build_pool(
    config: RoutingConfig,
    *,
    local_backend: Callable[[], Backend],
    sagemaker_client: Callable[[], Any],
    model_dir: Path,
) -> BackendPool:
    """Map each configured backend to a factory; SageMaker backends share one boto3 client.

    ``local_backend`` is called on every lookup, so it should return a cached
    backend (the model catalog does).
    """
    factories: dict[str, Callable[[], Backend]] = {}
    for name, spec in config.backends.items():
        if isinstance(spec, SageMakerBackendSpec):
            settings = endpoint_settings(name, spec, model_dir)
            factories[name] = _Once(lambda settings=settings: SageMakerBackend(settings, sagemaker_client()))
        else:
            factories[name] = local_backend
    return BackendPool(factories)


def endpoint_prices(config: RoutingConfig) -> tuple[dict[str, EndpointPrice], dict[str, TokenPrice]]:
    """Return the price table entries of the SageMaker backends, keyed by backend name."""
    instances: dict[str, EndpointPrice] = {}
    tokens: dict[str, TokenPrice] = {}
    for name, spec in config.backends.items():
        if not isinstance(spec, SageMakerBackendSpec):
            continue
        if isinstance(spec.price, InstancePriceSpec):
            instances[name] = EndpointPrice(spec.price.instance_usd_per_hour, spec.price.tokens_per_second)
        else:
            tokens[name] = TokenPrice(spec.price.input_usd_per_million, spec.price.output_usd_per_million)
    return instances, tokens


def breaker_settings(config: RoutingConfig) -> dict[str, BreakerSettings]:
    return {name: BreakerSettings(**spec.breaker.model_dump()) for name, spec in config.backends.items()}
