"""``make run``: serve the gateway on http://127.0.0.1:3000 as API Gateway would."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from .runtime import apply_template_environment
from .server import LocalApiGateway, make_http_server
from .setup import ensure_demo_tenant
from .sigv4 import REGION, SERVICE, load_or_create_credentials
from .sqs import start_event_sources
from .sqs_events import load_sqs_template
from .template import load_template

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="TCP port (default 3000)")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--key-file", type=Path, default=ROOT / ".local" / "demo-api-key", help="where the demo tenant's API key is saved")
    parser.add_argument(
        "--admin-credentials-file",
        type=Path,
        default=ROOT / ".local" / "admin-credentials.json",
        help="access key and secret that sign requests to the admin routes (created on first use)",
    )
    parser.add_argument("--warm", action="store_true", help="load the local chat and embedding models before accepting requests")
    parser.add_argument("--routing-config", type=Path, help="routing YAML (default: only the local model; config/routing.yaml with --sagemaker-emulator)")
    parser.add_argument(
        "--sagemaker-emulator",
        action="store_true",
        help="serve the routing config's SageMaker endpoints from a local emulator that runs the local model",
    )
    parser.add_argument(
        "--queue-visibility-timeout",
        type=int,
        default=30,
        help="seconds a delivered SQS message stays hidden before a failed batch item is retried locally "
        "(default 30; the template's value applies in AWS)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    template = load_template(args.template)
    apply_template_environment(template.functions)
    # Started before the services are built, because the settings read the queue URLs once.
    event_sources = start_event_sources(load_sqs_template(args.template), args.queue_visibility_timeout)

    from sluicegate.services import get_services

    routing_config = args.routing_config or (ROOT / "config" / "routing.yaml" if args.sagemaker_emulator else None)
    if routing_config is not None:
        os.environ["SLUICEGATE_ROUTING_CONFIG"] = str(routing_config)
    if args.sagemaker_emulator:
        from .sagemaker_emulator import DeferredBackend, start_for_gateway

        local_model = lambda: get_services().catalog.get(get_services().settings.local_model).backend()  # noqa: E731
        start_for_gateway(routing_config, DeferredBackend(local_model))

    services = get_services()
    # Read and check the routing config now, so that an invalid file stops the server at startup.
    services.router
    key = ensure_demo_tenant(services, args.key_file)
    if args.warm:
        for entry in services.catalog.entries():
            entry.backend()
        services.embedder

    admin_credentials = load_or_create_credentials(args.admin_credentials_file)
    gateway = LocalApiGateway(template, admin_credentials=admin_credentials)
    event_sources.start_pollers(gateway.runners)
    server = make_http_server(gateway, args.host, args.port)
    base_url = f"http://{args.host}:{server.server_address[1]}/v1"
    print(f"sluicegate is serving {base_url}", file=sys.stderr)
    print(f"demo tenant API key (also saved in {args.key_file}):\n  {key}", file=sys.stderr)
    print(f"try: curl {base_url}/models -H 'Authorization: Bearer {key}'", file=sys.stderr)
    admin_url = base_url.removesuffix("/v1") + "/admin"
    print(
        f"admin API: {admin_url}, signed with the access key in {args.admin_credentials_file}, e.g.\n"
        f"  curl {admin_url}/tenants --aws-sigv4 'aws:amz:{REGION}:{SERVICE}' --user ACCESS_KEY_ID:SECRET",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        event_sources.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
