"""The screening stage: injection check and PII redaction before anything leaves the
function, and restore plus output scan after the model replies."""

from __future__ import annotations

import logging
from dataclasses import replace

from pydantic import ValidationError

from ..backends.base import ChatMessage
from ..errors import GatewayError
from ..screening import Screener, ScreeningFailedError, ScreeningPolicy, ScreeningSession
from ..tenants.models import Tenant
from .context import RequestContext

logger = logging.getLogger(__name__)

# Entity counts of a session also count injection hits under this name.
_INJECTION_COUNT_KEY = "PROMPT_INJECTION"


class ScreenerRegistry:
    """One ``Screener`` per distinct tenant policy, built on first use."""

    def __init__(self) -> None:
        self._screeners: dict[str, Screener] = {}

    def for_tenant(self, tenant: Tenant) -> Screener:
        raw = tenant.settings.get("screening") or {}
        try:
            policy = ScreeningPolicy.model_validate(raw)
        except ValidationError as exc:
            # A broken policy must not disable screening: fail closed.
            logger.error("invalid screening policy", extra={"tenant_id": tenant.id, "error": str(exc)})
            raise ScreeningFailedError("validation of the tenant's screening policy") from exc
        key = policy.model_dump_json()
        if key not in self._screeners:
            self._screeners[key] = Screener(policy)
        return self._screeners[key]


class RequestScreening:
    """Screening of one request: redact on the way in, restore on the way out."""

    def __init__(self, ctx: RequestContext, session: ScreeningSession) -> None:
        self.ctx = ctx
        self.session = session
        self.injection_score = 0.0
        self.injection_flags: list[str] = []

    def screen_messages(self, messages: tuple[ChatMessage, ...]) -> tuple[ChatMessage, ...]:
        """Check user messages for injection, then redact every message."""
        try:
            for message in messages:
                if message.role == "user":
                    result = self.session.check_injection(message.content)
                    if result.score > self.injection_score:
                        self.injection_score = result.score
                    self.injection_flags.extend(flag for flag in result.flags if flag not in self.injection_flags)
            return tuple(replace(message, content=self.session.redact(message.content)) for message in messages)
        except GatewayError:
            raise
        except Exception as exc:
            raise _failed(self.ctx, "request screening", exc) from exc

    def finish_answer(self, text: str) -> str:
        """Restore placeholders, then apply the policy to PII the request did not contain."""
        try:
            return self.session.scan_output(self.session.restore(text))
        except GatewayError:
            raise
        except Exception as exc:
            raise _failed(self.ctx, "answer restore", exc) from exc

    def record_metrics(self) -> None:
        for entity_type, count in self.session.entity_counts().items():
            if entity_type != _INJECTION_COUNT_KEY:
                self.ctx.metrics.add_single("PiiEntities", count, {"EntityType": entity_type})
        for flag in self.injection_flags:
            self.ctx.metrics.add_single("InjectionFlags", 1, {"Signal": flag})

    def headers(self) -> dict[str, str]:
        headers = {"x-sluicegate-injection-score": f"{self.injection_score:.2f}"}
        if self.injection_flags:
            headers["x-sluicegate-injection-flags"] = ",".join(self.injection_flags)
        return headers


def _failed(ctx: RequestContext, stage: str, exc: Exception) -> ScreeningFailedError:
    logger.error("screening failed", extra={"request_id": ctx.request_id, "stage": stage, "error": type(exc).__name__})
    return ScreeningFailedError(stage)
