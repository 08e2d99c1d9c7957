"""Quota subcommands of ``scripts/admin``: set and read limits, show usage, run a sweep."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import Any

from ..tenants.models import Principal
from .limits import LIMIT_NAMES
from .service import QuotaService
from .sweeper import Sweeper
from .views import limits_view

UNLIMITED = "unlimited"
INHERIT = "inherit"

# Command-line option, the limit it sets, its help text, and whether its value is in USD.
_OPTIONS = (
    ("--requests-per-minute", "requests_per_minute", "requests per UTC minute", False),
    ("--tokens-per-minute", "tokens_per_minute", "prompt + completion tokens per UTC minute", False),
    ("--tokens-per-day", "tokens_per_day", "prompt + completion tokens per UTC day", False),
    ("--usd-per-day", "micro_usd_per_day", "spending per UTC day in USD, e.g. 2.50 (stored as micro-USD)", True),
    ("--usd-per-month", "micro_usd_per_month", "spending per UTC calendar month in USD (stored as micro-USD)", True),
)


def parse_limit(text: str, in_usd: bool, allow_inherit: bool) -> int | str:
    """Parse a limit value: a number (USD become micro-USD), ``UNLIMITED``, or ``INHERIT``."""
    lowered = text.strip().lower()
    if lowered == UNLIMITED or (lowered == INHERIT and allow_inherit):
        return lowered
    try:
        number = Decimal(lowered) * (1_000_000 if in_usd else 1)
    except InvalidOperation:
        number = None
    if number is None or number < 0 or number != number.to_integral_value():
        unit = "USD with at most 6 decimals" if in_usd else "a whole number"
        choices = f"'{UNLIMITED}' or '{INHERIT}'" if allow_inherit else f"'{UNLIMITED}'"
        raise argparse.ArgumentTypeError(f"invalid limit {text!r}: use {unit} >= 0, {choices}")
    return int(number)


def _add_limit_options(parser: argparse.ArgumentParser, allow_inherit: bool) -> None:
    keywords = f"'{UNLIMITED}' for no limit"
    if allow_inherit:
        keywords += f", or '{INHERIT}' to delete the override"
    for option, name, description, in_usd in _OPTIONS:
        parser.add_argument(
            option, dest=name, default=None, metavar="VALUE",
            type=lambda text, in_usd=in_usd: parse_limit(text, in_usd, allow_inherit),
            help=f"{description}; {keywords}",
        )


def add_quota_commands(sub: argparse._SubParsersAction) -> None:
    set_limits = sub.add_parser("set-limits", help="override quota limits of a tenant, or add limits to one of its keys")
    set_limits.add_argument("tenant_id")
    set_limits.add_argument("--key", dest="key_id", default=None, help="key id (12 hex characters) to limit instead of the whole tenant")
    _add_limit_options(set_limits, allow_inherit=True)

    get_limits = sub.add_parser("get-limits", help="show a tenant's tier defaults, overrides and effective limits")
    get_limits.add_argument("tenant_id")
    get_limits.add_argument("--key", dest="key_id", default=None, help="also show the limits of this key")

    set_tier = sub.add_parser("set-tier-limits", help="set the default limits of a tier (creates the tier)")
    set_tier.add_argument("tier")
    _add_limit_options(set_tier, allow_inherit=False)

    get_tier = sub.add_parser("get-tier-limits", help="show the default limits of a tier")
    get_tier.add_argument("tier")

    usage = sub.add_parser("usage", help="show a tenant's usage and remaining quota in the current windows")
    usage.add_argument("tenant_id")
    usage.add_argument("--key", dest="key_id", default="", help="also show the windows of this key's limits")

    sub.add_parser("sweep-quotas", help="release expired reservations now (the sweeper function does this every minute)")


def run_quota_command(args: argparse.Namespace, quotas: QuotaService) -> Any:
    """Run a quota subcommand and return what to print; raises ``KeyError`` for other commands."""
    # Options not given are None; 'unlimited' is stored as a NULL limit.
    option_values = {name: getattr(args, name, None) for name in LIMIT_NAMES}
    values = {name: None if value == UNLIMITED else value for name, value in option_values.items() if value not in (None, INHERIT)}
    if args.command == "set-limits":
        clear = [name for name, value in option_values.items() if value == INHERIT]
        quotas.limits.set_overrides(args.tenant_id, args.key_id, values, clear)
        return limits_view(quotas, args.tenant_id, args.key_id)
    if args.command == "get-limits":
        return limits_view(quotas, args.tenant_id, args.key_id)
    if args.command == "set-tier-limits":
        return {"tier": args.tier, "limits": quotas.limits.set_tier_limits(args.tier, values)}
    if args.command == "get-tier-limits":
        return {"tier": args.tier, "limits": quotas.limits.tier_limits(args.tier)}
    if args.command == "usage":
        tier = quotas.limits.effective_limits(args.tenant_id, args.key_id).tier
        return quotas.usage_report(Principal(args.tenant_id, args.key_id, tier))
    if args.command == "sweep-quotas":
        return Sweeper(quotas).run().as_dict()
    raise KeyError(args.command)
