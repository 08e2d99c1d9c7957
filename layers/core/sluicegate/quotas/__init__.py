"""Per-tenant and per-key quotas: rate limits, token and USD budgets, and the usage ledger.

A request reserves its worst case before dispatch, in one transaction that
row-locks the counters of every window that applies; after the answer the
reservation is settled with real usage, or released on failure. Holds that
are never settled expire and are released by the sweeper.
"""

from .clock import Clock, FakeClock, SystemClock
from .limits import LIMIT_NAMES, TENANT_SCOPE, EffectiveLimits, Window
from .models import Charge, Reservation, Usage
from .service import QuotaConfig, QuotaService
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
