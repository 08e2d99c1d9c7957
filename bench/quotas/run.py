"""Benchmark the quota service: reserve+settle pairs per second and their latency.

Runs N worker processes (or threads) against an embedded PostgreSQL of its
own under .local/bench, or DATABASE_URL when set. Each worker opens one
connection and loops reserve then settle for its share of the tenants. Each
run is followed by a reference run of the same shape with trivial SQL (see
worker.py), and the ratio of the two rates is reported with them. The runs are
repeated and the median of each figure is reported.

    .venv/bin/python bench/quotas/run.py --workers 8 --runs 3 --duration 10
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import threading
import uuid
from pathlib import Path
from queue import Queue

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "core"), str(Path(__file__).resolve().parent)]

from worker import REFERENCE_SETUP_SQL, run_worker  # noqa: E402

from sluicegate.db.pool import Database  # noqa: E402
from sluicegate.quotas import QuotaService  # noqa: E402
from sluicegate.quotas.limits import LIMIT_NAMES  # noqa: E402
from sluicegate.settings import load_settings  # noqa: E402
from sluicegate.tenants.models import Principal  # noqa: E402
from sluicegate.tenants.repository import TenantRepository  # noqa: E402

# Limits high enough that no request is rejected, so that every pair does the full work.
NEVER_REACHED = 10**15


def create_principals(database: Database, tenants: int) -> list[Principal]:
    repository = TenantRepository(database)
    quotas = QuotaService(lambda: database)
    run_id = uuid.uuid4().hex[:8]
    principals = []
    for number in range(tenants):
        tenant_id = f"bench-{run_id}-{number}"
        repository.create_tenant(tenant_id, "quota benchmark")
        quotas.limits.set_overrides(tenant_id, values={name: NEVER_REACHED for name in LIMIT_NAMES})
        record, _ = repository.create_key(tenant_id, name="bench")
        principals.append(Principal(tenant_id, record.key_id, "standard"))
    return principals


def cpu_busy_ticks() -> tuple[int, int]:
    """Return (busy, total) CPU ticks of the whole machine from /proc/stat, or (0, 0) off Linux."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_once(args: argparse.Namespace, url: str, principals: list[Principal], workload: str = "quotas") -> dict[str, float]:
    shares = [principals[worker :: args.workers] or principals for worker in range(args.workers)]
    if args.mode == "processes":
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(args.workers), context.Queue()
        runners = [
            context.Process(target=run_worker, args=(url, share, args.warmup, args.duration, barrier, results, workload))
            for share in shares
        ]
    else:
        barrier, results = threading.Barrier(args.workers), Queue()
        runners = [
            threading.Thread(target=run_worker, args=(url, share, args.warmup, args.duration, barrier, results, workload))
            for share in shares
        ]
    load_before = os.getloadavg()[0]
    busy_before, total_before = cpu_busy_ticks()
    for runner in runners:
        runner.start()
    reports = [results.get(timeout=args.warmup + args.duration + 180) for _ in runners]
    for runner in runners:
        runner.join()
    busy_after, total_after = cpu_busy_ticks()

    pairs = [value for report in reports for value in report["pair_us"]]
    reserves = [value for report in reports for value in report["reserve_us"]]
    settles = [value for report in reports for value in report["settle_us"]]
    return {
        "pairs_per_s": len(pairs) / args.duration,
        "pair_p50_ms": percentile(pairs, 0.50) / 1000,
        "pair_p99_ms": percentile(pairs, 0.99) / 1000,
        "reserve_p50_ms": percentile(reserves, 0.50) / 1000,
        "reserve_p99_ms": percentile(reserves, 0.99) / 1000,
        "settle_p50_ms": percentile(settles, 0.50) / 1000,
        "settle_p99_ms": percentile(settles, 0.99) / 1000,
        "errors": sum(report["errors"] for report in reports),
        # CPU per pair of the gateway side (psycopg and the quota service) and of Postgres.
        "client_cpu_ms_per_pair": 1000 * sum(report["client_cpu_s"] for report in reports) / max(1, len(pairs)),
        "server_cpu_ms_per_pair": 1000 * sum(report["server_cpu_s"] for report in reports) / max(1, len(pairs)),
        # The machine's state, to judge how much other work shared the cores.
        "load_before": load_before,
        "machine_cpu_busy_pct": 100 * (busy_after - busy_before) / max(1, total_after - total_before),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=8, help="concurrent workers (default: 8)")
    parser.add_argument("--mode", choices=("processes", "threads"), default="processes", help="worker kind (default: processes)")
    parser.add_argument("--tenants", type=int, default=64, help="tenants spread over the workers; 1 puts every worker on the same counter rows (default: 64)")
    parser.add_argument("--duration", type=float, default=10.0, help="timed seconds per run (default: 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed seconds before each run (default: 2)")
    parser.add_argument("--runs", type=int, default=3, help="runs; the median of each figure is reported (default: 3)")
    args = parser.parse_args()

    settings = load_settings({"SLUICEGATE_LOCAL_DIR": str(ROOT / ".local" / "bench"), **os.environ})
    database = Database.from_settings(settings)
    database.migrate()
    principals = create_principals(database, args.tenants)
    with database.connection() as conn:
        conn.execute(REFERENCE_SETUP_SQL)

    runs = []
    for number in range(1, args.runs + 1):
        figures = run_once(args, database.url, principals)
        reference = run_once(args, database.url, principals, workload="reference")
        figures["reference_pairs_per_s"] = reference["pairs_per_s"]
        figures["reference_pair_p99_ms"] = reference["pair_p99_ms"]
        figures["reference_cpu_ms_per_pair"] = reference["client_cpu_ms_per_pair"] + reference["server_cpu_ms_per_pair"]
        figures["ratio_to_reference"] = figures["pairs_per_s"] / max(1e-9, reference["pairs_per_s"])
        runs.append(figures)
        print(f"run {number}: " + ", ".join(f"{name}={value:.2f}" for name, value in figures.items()), flush=True)
    print(f"median of {args.runs} runs ({args.workers} {args.mode}, {args.tenants} tenants):")
    for name in runs[0]:
        print(f"  {name}: {statistics.median(run[name] for run in runs):.2f}")
    database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
