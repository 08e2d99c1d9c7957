"""Deployment configuration of the quota service."""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import Settings


@dataclass(frozen=True)
class QuotaConfig:
    # Seconds a hold lives before the sweeper may release it: the gateway timeout plus a margin.
    reservation_ttl_s: float = 60.0
    # Let requests through, unenforced, when the database is unreachable.
    fail_open: bool = False
    # Seconds a container reuses a caller's effective limits; 0 reads them on every reservation.
    limits_cache_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "QuotaConfig":
        return cls(
            reservation_ttl_s=settings.quota_reservation_ttl_s,
            fail_open=settings.quota_fail_open,
            limits_cache_s=settings.quota_limits_cache_s,
        )
