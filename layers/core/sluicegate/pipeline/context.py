"""The state of one request as it passes through the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..observability.metrics import RequestMetrics
from ..tenants.models import Principal
from .timing import StageTimer


@dataclass
class RequestContext:
    request_id: str
    principal: Principal
    # Seconds the Lambda has left when the pipeline starts; bounds retries.
    remaining_time_s: float | None = None
    timer: StageTimer = field(default_factory=StageTimer)
    metrics: RequestMetrics | None = None

    def __post_init__(self) -> None:
        if self.metrics is None:
            self.metrics = RequestMetrics(self.request_id)
            self.metrics.add_metadata(tenant_id=self.principal.tenant_id, key_id=self.principal.key_id)
