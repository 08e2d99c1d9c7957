"""CPU facts that size the inference thread pools."""

from __future__ import annotations

import os


def available_cores() -> int:
    """Return the cores this process may run on (a container's share, not the host's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
