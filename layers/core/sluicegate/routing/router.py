"""The router: model names (aliases) to ordered candidate backends."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from ..backends.base import Backend, ChatMessage
from ..backends.breaker import BreakerRegistry
from ..errors import ModelNotFoundError
from .backend_specs import LocalBackendSpec
from .config import ModelSpec, RoutingConfig
from .facts import RequestFacts
from .pool import BackendPool, breaker_settings
from .strategies import Candidate, Strategy, compile_route


@dataclass(frozen=True)
class RoutePlan:
    model: str
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    owned_by: str
    created: int
    description: str | None


class Router:
    """Compiled routes of every model name in the config, plus the backends and breakers they use."""

    def __init__(
        self,
        config: RoutingConfig,
        pool: BackendPool,
        breakers: BreakerRegistry | None = None,
        *,
        rng: random.Random | None = None,
        created: int | None = None,
    ) -> None:
        self.config = config
        self.pool = pool
        self.breakers = breakers or BreakerRegistry(breaker_settings(config))
        self._rng = rng or random.Random()
        created = int(time.time()) if created is None else created
        self._routes: dict[str, Strategy] = {name: compile_route(spec.route, self._rng) for name, spec in config.models.items()}
        self._models = {
            name: ModelInfo(name, spec.owned_by, created, spec.description) for name, spec in config.models.items()
        }

    def model_ids(self) -> list[str]:
        return sorted(self._models)

    def models(self) -> list[ModelInfo]:
        return [self._models[name] for name in self.model_ids()]

    def model(self, model_id: str) -> ModelInfo:
        if model_id not in self._models:
            choices = ", ".join(self.model_ids())
            raise ModelNotFoundError(f"the model {model_id!r} does not exist; available models: {choices}", param="model")
        return self._models[model_id]

    def count_prompt_tokens(self, messages: tuple[ChatMessage, ...]) -> int:
        """Count with the ``token_counter`` backend, which rules on prompt tokens use."""
        return self.pool.get(self.config.token_counter).count_prompt_tokens(messages)

    def plan(self, model_id: str, facts: RequestFacts) -> RoutePlan:
        """Return the backends to try for this request, in order; raises 404 for an unknown model."""
        self.model(model_id)
        return RoutePlan(model_id, tuple(self._routes[model_id].candidates(facts, model_id)))


def single_backend_router(backend: Backend, model_id: str) -> Router:
    """Build a router that sends ``model_id`` to ``backend`` alone, for callers that already chose the backend."""
    spec = ModelSpec.model_construct(route=backend.name, description=None, owned_by="sluicegate")
    config = RoutingConfig.model_construct(
        version=1,
        token_counter=backend.name,
        backends={backend.name: LocalBackendSpec(type="local")},
        models={model_id: spec},
    )
    return Router(config, BackendPool({backend.name: lambda: backend}))
