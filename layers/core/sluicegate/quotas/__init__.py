"""Per-tenant and per-key quotas: rate limits, token and USD budgets, and the usage ledger.

A request reserves its worst case before dispatch, in one transaction that
row-locks the counters of every window that applies. After the response the
reservation is settled with real usage, or released on failure. Holds that
are never settled expire, and the sweeper releases them.
"""

from .clock import Clock, FakeClock, SystemClock
from .limits import LIMIT_NAMES, TENANT_SCOPE, EffectiveLimits, Window
from .models import Charge, Reservation, Usage
from .config import QuotaConfig
from .service import QuotaService
from .sweeper import Sweeper, SweepResult

__all__ = [
    "LIMIT_NAMES",
    "TENANT_SCOPE",
    "Charge",
    "Clock",
    "EffectiveLimits",
    "FakeClock",
    "QuotaConfig",
    "QuotaService",
    "Reservation",
    "SweepResult",
    "Sweeper",
    "SystemClock",
    "Usage",
    "Window",
]
