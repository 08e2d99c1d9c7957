"""``scripts/invoke FUNCTION EVENT.json``: call one function of template.yaml with an event,
like ``sam local invoke``, and print its response as JSON."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

from .runtime import FunctionRunner, apply_template_environment
from .template import load_template

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("function", help="logical id of a function in template.yaml, e.g. GatewayFunction")
    parser.add_argument("event", type=Path, help="JSON event file, e.g. events/gateway/list_models.json")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    args = parser.parse_args(argv)

    template = load_template(args.template)
    if args.function not in template.functions:
        choices = ", ".join(sorted(template.functions))
        parser.error(f"no function {args.function!r} in {args.template}; choose one of: {choices}")
    try:
        event = json.loads(args.event.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        parser.error(f"cannot read event file {args.event}: {exc}")
    # API Gateway gives every request a new id, and the usage ledger charges an id
    # once, so replaying a saved event gets a fresh id too.
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    if isinstance(request_context, dict) and "requestId" in request_context:
        request_context["requestId"] = str(uuid.uuid4())
    apply_template_environment(template.functions)
    from sluicegate.services import get_services

    from .setup import ensure_demo_tenant_exists

    ensure_demo_tenant_exists(get_services())
    result = FunctionRunner(template.functions[args.function]).invoke(event)
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
