"""Benchmark the batch worker: items per second with the local model.

Starts moto's SQS on 127.0.0.1 with the queues of template.yaml and uses an
embedded PostgreSQL of its own under .local/bench-batches (or DATABASE_URL). Each run submits a
batch of --items chat requests through the batch service. It then times the
batch worker function, which is loaded from functions/batch_worker as the
Lambda runtime loads it. The local poller feeds the worker batches of the
template's BatchSize until every item has finished. Submitting is not timed,
and the median of the runs is reported.

    .venv/bin/python bench/batches/run.py --items 20 --max-tokens 32 --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "core"), str(ROOT / "scripts")]
# The worker's per-item logs would dominate the output, but errors still show.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import sluicegate.services as services_module  # noqa: E402
from sglocal.runtime import FunctionRunner  # noqa: E402
from sglocal.sqs import start_local_sqs  # noqa: E402
from sglocal.sqs_events import load_sqs_template  # noqa: E402
from sglocal.sqs_poller import SqsPoller  # noqa: E402
from sglocal.template import load_template  # noqa: E402
from sluicegate.api.batches import parse_batch_request  # noqa: E402
from sluicegate.backends.base import ChatMessage, GenerationRequest, SamplingParams  # noqa: E402
from sluicegate.quotas.limits import LIMIT_NAMES  # noqa: E402
from sluicegate.services import Services  # noqa: E402
from sluicegate.settings import load_settings  # noqa: E402
from sluicegate.tenants.models import Principal  # noqa: E402

WORKER = "BatchWorkerFunction"
# Limits high enough that no item is rejected.
NEVER_REACHED = 10**15
TOPICS = ("rivers", "bread", "comets", "bridges", "bees", "glaciers", "violins", "tides", "maps", "owls")


def create_principal(services: Services) -> Principal:
    tenant_id = f"bench-batches-{uuid.uuid4().hex[:8]}"
    services.tenants.create_tenant(tenant_id, "batch benchmark")
    services.quotas.limits.set_overrides(tenant_id, values={name: NEVER_REACHED for name in LIMIT_NAMES})
    record, _ = services.tenants.create_key(tenant_id, name="bench")
    return Principal(tenant_id, record.key_id, "standard")


def submit(services: Services, principal: Principal, items: int, max_tokens: int) -> str:
    payload = {
        "items": [
            {
                "custom_id": f"item-{index}",
                "body": {
                    "model": services.settings.local_model,
                    "messages": [{"role": "user", "content": f"Write one sentence about {TOPICS[index % len(TOPICS)]}."}],
                    "max_tokens": max_tokens,
                    "temperature": 0,
                },
            }
            for index in range(items)
        ]
    }
    batch, requests = parse_batch_request(json.dumps(payload))
    return services.batches.submit(principal, batch, requests)["id"]


def run_once(services: Services, principal: Principal, poller: SqsPoller, args: argparse.Namespace) -> dict[str, float]:
    batch_id = submit(services, principal, args.items, args.max_tokens)
    started = time.perf_counter()
    deadline = time.monotonic() + args.timeout
    body: dict = {}
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # EMF records go to stdout
        while time.monotonic() < deadline:
            poller.poll_once(wait_s=1)
            body = services.batches.status(principal, batch_id, after=None, limit=100)
            if body["status"] == "completed":
                break
    elapsed = time.perf_counter() - started
    if body.get("status") != "completed":
        raise SystemExit(f"batch {batch_id} did not complete within {args.timeout} s: {body.get('request_counts')}")
    for item in body["results"]["data"]:
        error = item["error"] or item["last_error"]
        if error:
            print(f"item {item['custom_id']} (attempts {item['attempts']}): {error['code'] or error['type']}: {error['message']}", file=sys.stderr)
    answers = [item["response"] for item in body["results"]["data"] if item["response"]]
    completion_tokens = sum(answer["usage"]["completion_tokens"] for answer in answers)
    return {
        "items_per_s": args.items / elapsed,
        "completion_tokens_per_s": completion_tokens / elapsed,
        "seconds": elapsed,
        "succeeded": body["request_counts"]["succeeded"],
        "failed": body["request_counts"]["failed"],
        # More attempts than items means some items failed and were retried.
        "attempts": sum(item["attempts"] for item in body["results"]["data"]),
    }


def run_direct(services: Services, args: argparse.Namespace) -> float:
    """Return the seconds the backend alone takes for the same prompts, one after another."""
    backend = services.catalog.get(services.settings.local_model).backend()
    started = time.perf_counter()
    for index in range(args.items):
        message = ChatMessage("user", f"Write one sentence about {TOPICS[index % len(TOPICS)]}.")
        backend.generate(GenerationRequest((message,), SamplingParams(max_tokens=args.max_tokens, temperature=0)))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20, help="items per batch (default: 20)")
    parser.add_argument("--max-tokens", type=int, default=32, help="max_tokens of every item (default: 32)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the median is reported (default: 3)")
    parser.add_argument("--direct", action="store_true", help="after each run, time the same prompts on the backend alone, without queue, database or pipeline (direct_items_per_s)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a run may take before it is abandoned (default: 600)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    sqs_template = load_sqs_template(ROOT / "template.yaml")
    queues = start_local_sqs(sqs_template)
    environment = {
        "SLUICEGATE_LOCAL_DIR": str(ROOT / ".local" / "bench-batches"),
        "SLUICEGATE_MODEL_DIR": str(ROOT / "models"),
        **os.environ,
        "SLUICEGATE_BATCH_QUEUE_URL": queues.urls["BatchQueue"],
        "SLUICEGATE_SQS_ENDPOINT_URL": queues.endpoint_url,
    }
    services = Services(load_settings(environment))
    services_module._services = services  # the worker function's get_services() returns these
    services.db.migrate()
    principal = create_principal(services)
    services.catalog.get(services.settings.local_model).backend()  # load the model before timing

    [source] = [source for source in sqs_template.event_sources if source.function == WORKER]
    worker = FunctionRunner(load_template(ROOT / "template.yaml").functions[WORKER])
    poller = SqsPoller(
        queues.client, queues.urls[source.queue], queues.arns[source.queue], worker.invoke,
        batch_size=source.batch_size, batching_window_s=source.batching_window_s,
        report_batch_item_failures=source.report_batch_item_failures,
        # A retried item comes back after 10 s instead of the template's visibility timeout.
        visibility_timeout_s=10,
    )
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    print(f"{args.items} items, max_tokens {args.max_tokens}, batch size {source.batch_size}, model {services.settings.local_model}")
    print(f"machine: {cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}", flush=True)

    warmup = run_once(services, principal, poller, argparse.Namespace(**{**vars(args), "items": 2}))
    print(f"warm-up: {warmup['seconds']:.1f} s for 2 items (not counted)", flush=True)
    runs = []
    for number in range(1, args.runs + 1):
        figures = run_once(services, principal, poller, args)
        if args.direct:
            # Right after the batch run, so that both see about the same load on a shared machine.
            figures["direct_items_per_s"] = args.items / run_direct(services, args)
        runs.append(figures)
        print(f"run {number}: " + ", ".join(f"{name}={value:.2f}" for name, value in figures.items()), flush=True)
    print(f"median of {args.runs} runs:")
    for name in ("items_per_s", "completion_tokens_per_s", "seconds", "direct_items_per_s"):
        if name in runs[0]:
            print(f"  {name}: {statistics.median(run[name] for run in runs):.2f}")
    queues.stop()
    services.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
