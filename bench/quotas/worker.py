"""The loop one benchmark worker runs: reserve then settle, as fast as it can, timing each pair.

The reference workload has the same round trips and commits with almost no
work: a row inserted with an asynchronous commit, as a reservation is, then a
row inserted with a durable commit, as a settlement is. Its rate on the same
machine in the same run is the ceiling that the quota functions are compared
with.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from sluicegate.db.pool import Database
from sluicegate.quotas import QuotaService, Usage
from sluicegate.tenants.models import Principal

USAGE = Usage(
    model="bench-model",
    backend="local",
    prompt_tokens=40,
    completion_tokens=60,
    cost_micro_usd=25,
    cost_basis="lambda_gb_s",
    latency_ms=900,
)


def process_cpu_s(pid: int) -> float:
    """Return the CPU seconds (user + system) used by process ``pid``, read from /proc (Linux only)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


REFERENCE_SETUP_SQL = """
CREATE TABLE IF NOT EXISTS bench_reference (id text PRIMARY KEY, tenant_id text NOT NULL, at timestamptz NOT NULL);
CREATE OR REPLACE FUNCTION bench_reference_async_insert(p_id text, p_tenant_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO bench_reference VALUES (p_id, p_tenant_id, now());
END
$$;
"""


class ReferenceOperations:
    """The reference pair: an asynchronously committed insert, then a durably committed one."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def reserve(self, principal: Principal, request_id: str, **_: int) -> tuple[str, str]:
        with self.database.connection() as conn:
            conn.execute("SELECT bench_reference_async_insert(%s, %s)", (request_id, principal.tenant_id))
        return request_id, principal.tenant_id

    def settle(self, reservation: tuple[str, str], _: Usage) -> None:
        request_id, tenant_id = reservation
        with self.database.connection() as conn:
            conn.execute("INSERT INTO bench_reference VALUES (%s, %s, now())", (request_id + "-settled", tenant_id))


def run_worker(
    database_url: str, principals: list[Principal], warmup_s: float, duration_s: float, start_barrier, results,
    workload: str = "quotas",
) -> None:
    """Loop over ``principals`` for ``warmup_s`` untimed, then ``duration_s`` timed, and report latencies in µs.

    Also reports the CPU seconds that this worker's thread and its Postgres
    backend used during the timed part.
    """
    database = Database(database_url, max_size=1)
    quotas = QuotaService(lambda: database) if workload == "quotas" else ReferenceOperations(database)
    with database.connection() as conn:
        backend_pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    pair_us: list[float] = []
    reserve_us: list[float] = []
    settle_us: list[float] = []
    errors = 0
    index = 0
    cpu_at_start: tuple[float, float] | None = None

    start_barrier.wait(timeout=120)
    timed_from = time.perf_counter() + warmup_s
    stop_at = timed_from + duration_s
    while True:
        started = time.perf_counter()
        if started >= stop_at:
            break
        if cpu_at_start is None and started >= timed_from:
            cpu_at_start = (time.thread_time(), process_cpu_s(backend_pid))
        principal = principals[index % len(principals)]
        index += 1
        try:
            reservation = quotas.reserve(principal, f"bench-{uuid.uuid4().hex}", prompt_tokens=40, max_tokens=200, micro_usd=80)
            reserved = time.perf_counter()
            quotas.settle(reservation, USAGE)
        except Exception:  # counted and reported; the benchmark must not stop on one failure
            errors += 1
            continue
        settled = time.perf_counter()
        if started >= timed_from:
            pair_us.append((settled - started) * 1e6)
            reserve_us.append((reserved - started) * 1e6)
            settle_us.append((settled - reserved) * 1e6)

    client_cpu_s = time.thread_time() - cpu_at_start[0] if cpu_at_start else 0.0
    server_cpu_s = process_cpu_s(backend_pid) - cpu_at_start[1] if cpu_at_start else 0.0
    database.close()
    results.put(
        {
            "pair_us": pair_us,
            "reserve_us": reserve_us,
            "settle_us": settle_us,
            "errors": errors,
            "client_cpu_s": client_cpu_s,
            "server_cpu_s": server_cpu_s,
        }
    )
