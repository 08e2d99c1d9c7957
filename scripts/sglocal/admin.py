"""``scripts/admin``: manage tenants, API keys and quotas in the gateway's database.

Uses DATABASE_URL when set, else the embedded PostgreSQL under .local/.
A new API key is printed once and never stored in clear.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Any

from sluicegate.auth.keys import display_prefix
from sluicegate.errors import GatewayError
from sluicegate.quotas.cli import add_quota_commands, run_quota_command
from sluicegate.services import get_services


def _print(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def _key_view(record) -> dict[str, Any]:
    view = asdict(record)
    view["prefix"] = display_prefix(record.key_id)
    return view


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    create = sub.add_parser("create-tenant", help="create a tenant")
    create.add_argument("tenant_id", help="2-63 lowercase letters, digits, '-' or '_'")
    create.add_argument("--name", default="", help="display name (default: the id)")
    create.add_argument("--tier", default="standard", help="quota tier (default: standard)")

    sub.add_parser("list-tenants", help="list tenants")

    create_key = sub.add_parser("create-key", help="create an API key for a tenant; the key is shown once")
    create_key.add_argument("tenant_id")
    create_key.add_argument("--name", default="", help="label to recognise the key by")
    create_key.add_argument("--expires-in-days", type=float, default=None, help="days until the key stops working (default: never)")

    list_keys = sub.add_parser("list-keys", help="list a tenant's keys (prefixes only)")
    list_keys.add_argument("tenant_id")

    revoke = sub.add_parser("revoke-key", help="revoke a key at once")
    revoke.add_argument("tenant_id")
    revoke.add_argument("key_id", help="the 12 hex characters after 'sk-sg_'")

    add_quota_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tenants = get_services().tenants
    try:
        if args.command == "create-tenant":
            if not get_services().quotas.limits.tier_limits(args.tier):
                print(
                    f"error: tier {args.tier!r} has no limits, so every request of the tenant would fail; "
                    f"create it first with 'scripts/admin set-tier-limits {args.tier} ...', or use an existing tier "
                    "such as free, standard or enterprise",
                    file=sys.stderr,
                )
                return 1
            _print(asdict(tenants.create_tenant(args.tenant_id, args.name or args.tenant_id, tier=args.tier)))
        elif args.command == "list-tenants":
            _print([asdict(tenant) for tenant in tenants.list_tenants()])
        elif args.command == "create-key":
            expires = None
            if args.expires_in_days is not None:
                expires = datetime.now(timezone.utc) + timedelta(days=args.expires_in_days)
            record, full_key = tenants.create_key(args.tenant_id, name=args.name, expires_at=expires)
            _print({**_key_view(record), "api_key": full_key})
            print("store this key now: it cannot be shown again", file=sys.stderr)
        elif args.command == "list-keys":
            _print([_key_view(record) for record in tenants.list_keys(args.tenant_id)])
        elif args.command == "revoke-key":
            tenants.revoke_key(args.tenant_id, args.key_id)
            _print({"revoked": args.key_id})
        else:
            _print(run_quota_command(args, get_services().quotas))
    except GatewayError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
