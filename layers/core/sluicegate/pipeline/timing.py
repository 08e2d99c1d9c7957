"""Per-stage timing of one request."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from ..observability.tracing import stage_subsegment


class StageTimer:
    """Measures named pipeline stages and the total time since the request started."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.started = clock()
        self.stages_ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` and trace it as an X-Ray subsegment."""
        start = self._clock()
        try:
            with stage_subsegment(name):
                yield
        finally:
            self.stages_ms[name] = self.stages_ms.get(name, 0.0) + (self._clock() - start) * 1000

    def elapsed_ms(self) -> float:
        return (self._clock() - self.started) * 1000

    def overhead_ms(self, excluded: tuple[str, ...] = ("dispatch",)) -> float:
        """Time spent in the gateway itself: everything except the excluded stages."""
        return max(0.0, self.elapsed_ms() - sum(self.stages_ms.get(name, 0.0) for name in excluded))
