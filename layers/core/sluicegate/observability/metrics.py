"""EMF metrics through Powertools; one flush per request, errors included.

Tenant ids go into EMF metadata only (never dimensions), so metric cardinality
stays bounded by backends and models.
"""

from __future__ import annotations

import logging

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import single_metric

from .catalog import CATALOG, NAMESPACE

logger = logging.getLogger(__name__)

metrics = Metrics(namespace=NAMESPACE)


class RequestMetrics:
    """Collects the metrics of one request and writes them as EMF records."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self._values: list[tuple[str, float]] = []
        self._stage_ms: dict[str, float] = {}
        self._dimensions: dict[str, str] = {}
        self._metadata: dict[str, object] = {"request_id": request_id}
        self._error_type: str | None = None
        self._singles: list[tuple[str, float, dict[str, str]]] = []

    def set_dimensions(self, **dimensions: str) -> None:
        self._dimensions.update(dimensions)

    def add_metadata(self, **metadata: object) -> None:
        self._metadata.update(metadata)

    def add(self, name: str, value: float) -> None:
        if name not in CATALOG:
            raise KeyError(f"metric {name!r} is not in the catalogue")
        self._values.append((name, value))

    def add_single(self, name: str, value: float, dimensions: dict[str, str]) -> None:
        """Record a metric with its own dimensions, written as a separate EMF record."""
        if name not in CATALOG:
            raise KeyError(f"metric {name!r} is not in the catalogue")
        self._singles.append((name, value, dimensions))

    def stage(self, name: str, milliseconds: float) -> None:
        self._stage_ms[name] = milliseconds

    def error(self, error_type: str) -> None:
        self._error_type = error_type

    def flush(self) -> None:
        """Write every collected metric; called once, in a ``finally``."""
        dimensions = self._dimensions or {"Backend": "none", "Model": "none"}
        for name, value in self._values:
            metrics.add_metric(name=name, unit=CATALOG[name].unit, value=value)
        if self._values:
            for key, value in dimensions.items():
                metrics.add_dimension(name=key, value=value)
            for key, value in self._metadata.items():
                if key not in dimensions:
                    metrics.add_metadata(key=key, value=value)
            metrics.flush_metrics()
        for stage, milliseconds in self._stage_ms.items():
            self._single("StageLatency", milliseconds, {"Stage": stage})
        for name, value, dimensions in self._singles:
            self._single(name, value, dimensions)
        if self._error_type is not None:
            self._single("Errors", 1, {"ErrorType": self._error_type})

    def _single(self, name: str, value: float, dimensions: dict[str, str]) -> None:
        spec = CATALOG[name]
        with single_metric(name=name, unit=spec.unit, value=value, namespace=NAMESPACE) as metric:
            for key, dim_value in dimensions.items():
                metric.add_dimension(name=key, value=dim_value)
            # The request's own dimensions (Backend, Model...) ride along as properties, so
            # reports can group these records too. Powertools writes metadata after
            # dimensions, so a key that is also a dimension here must be skipped.
            for key, meta_value in {**self._dimensions, **self._metadata}.items():
                if key not in dimensions:
                    metric.add_metadata(key=key, value=meta_value)
