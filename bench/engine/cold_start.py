"""Cold start of the gateway function, from process start to the first generated token.

``measure_cold_starts`` runs in the benchmark process. Each repetition
starts a fresh interpreter of the dev venv (which has the gateway's
dependencies) that runs this file with ``--child``. The child imports
functions/gateway/app.py through sglocal's ``FunctionRunner``, sends it
events/gateway/chat_completion.json, and times each phase by wrapping the
functions that do the work.

Three set-ups are measured:

* ``db_start``: the embedded PostgreSQL of a temporary SLUICEGATE_LOCAL_DIR is
  stopped, so the first request starts it (pgserver), as on a laptop.
* ``db_running``: another process keeps that server running, so the child
  only connects. This is the Lambda case, where the database is a separate
  service.
* ``db_running_no_preload``: as ``db_running``, with
  SLUICEGATE_PRELOAD_LOCAL_MODEL=false, so the first request loads the model.

The first two use the template's default for the preload (on).

Phase times come from ``time.perf_counter``, which is CLOCK_MONOTONIC on
Linux and so comparable between the parent and the child process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVENT_FILE = ROOT / "events" / "gateway" / "chat_completion.json"
SPAWNED_AT_VARIABLE = "SLUICEGATE_BENCH_SPAWNED_AT"
CHILD_TIMEOUT_S = 300


def _run_child(output: Path) -> None:
    first_line_at = time.perf_counter()
    spawned_at = float(os.environ[SPAWNED_AT_VARIABLE])
    marks: dict[str, float] = {}
    durations: dict[str, float] = {}

    def timed(owner: object, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                durations[phase] = durations.get(phase, 0.0) + time.perf_counter() - started

        setattr(owner, name, wrapper)

    from sglocal.runtime import FunctionRunner, apply_template_environment
    from sglocal.template import load_template

    template = load_template(ROOT / "template.yaml")
    apply_template_environment(template.functions)
    # The local runner skips values built with !Ref, such as this one: a deployment gets the default.
    os.environ.setdefault("SLUICEGATE_PRELOAD_LOCAL_MODEL", _preload_default())
    runner = FunctionRunner(template.functions["GatewayFunction"])

    # The handler module imports these first and may start the model preload
    # right away (SLUICEGATE_PRELOAD_LOCAL_MODEL in template.yaml), so their
    # functions are wrapped before the handler module is imported.
    import_started = time.perf_counter()
    from sluicegate.backends import local
    from sluicegate.inference import chat_model, completion

    durations["inference_imports"] = time.perf_counter() - import_started
    timed(local, "resolve_model", "model_files")
    timed(chat_model.ChatModel, "load", "model_load")
    timed(local.LocalBackend, "from_settings", "request_model_wait")
    original_load = chat_model.ChatModel.load

    def load_and_mark(self):
        original_load(self)
        marks.setdefault("model_ready", time.perf_counter())

    chat_model.ChatModel.load = load_and_mark

    runner._handler = runner._load()
    marks["imported"] = time.perf_counter()
    durations["imports"] = marks["imported"] - import_started

    from sluicegate.db import pool

    timed(pool, "start_local_server", "database_server")
    timed(pool.Database, "__init__", "database_connect")
    timed(pool.Database, "migrate", "database_migrate")
    streams: list[completion.CompletionStream] = []
    original_generate = completion.CompletionStream._generate

    def generate(self):
        marks["generation_started"] = time.perf_counter()
        streams.append(self)
        yield from original_generate(self)

    completion.CompletionStream._generate = generate

    event = json.loads(EVENT_FILE.read_text())
    # The gateway rejects a reused request id, and every run shares one database.
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    invoke_started = time.perf_counter()
    response = runner.invoke(event)
    finished_at = time.perf_counter()
    if response.get("statusCode") != 200 or not streams:
        raise SystemExit(f"the gateway returned status {response.get('statusCode')}: {response.get('body')}")

    stream = streams[0]
    first_token_at = marks["generation_started"] + (stream.time_to_first_token_s or 0.0)
    database = sum(durations.get(key, 0.0) for key in ("database_server", "database_connect", "database_migrate"))
    before_generation = marks["generation_started"] - invoke_started
    # With the preload, the model files and the model load overlap the imports;
    # the request waits only for what is left of them (request_model_wait).
    request_model_wait = durations.get("request_model_wait", 0.0)
    result = {
        "interpreter": first_line_at - spawned_at,
        "imports": marks["imported"] - first_line_at,
        "handler_import": durations["imports"],
        "inference_imports": durations["inference_imports"],
        "database": database,
        "database_server": durations.get("database_server", 0.0),
        "database_connect": durations.get("database_connect", 0.0),
        "database_migrate": durations.get("database_migrate", 0.0),
        "model_files": durations.get("model_files", 0.0),
        "model_load": durations.get("model_load", 0.0),
        "model_ready": marks["model_ready"] - spawned_at,
        "preloaded": 1.0 if marks["model_ready"] < invoke_started else 0.0,
        "request_model_wait": request_model_wait,
        # The rest of the work before generation: routing, tenant lookup, screening, tokenisation.
        "request": before_generation - database - request_model_wait,
        "first_token": first_token_at - marks["generation_started"],
        "to_first_token": first_token_at - spawned_at,
        "to_response": finished_at - spawned_at,
        "completion_tokens": stream.completion_tokens,
    }
    output.write_text(json.dumps(result))


def _dev_python() -> Path:
    configured = os.environ.get("SLUICEGATE_BENCH_DEV_PYTHON")
    return Path(configured) if configured else ROOT / ".venv" / "bin" / "python"


def _preload_default() -> str:
    """Return the default of the template's PreloadLocalModel parameter, as the deployed functions get it."""
    import yaml
    from sglocal.template import CloudFormationLoader

    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CloudFormationLoader)
    return str(template["Parameters"]["PreloadLocalModel"]["Default"])


def _environment(local_dir: Path) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items()
        if not key.startswith("SLUICEGATE_") and key not in {"VIRTUAL_ENV", "DATABASE_URL", "PYTHONPATH"}
    }
    environment.update(
        PYTHONPATH=f"{ROOT / 'layers' / 'core'}{os.pathsep}{ROOT / 'scripts'}",
        SLUICEGATE_LOCAL_DIR=str(local_dir),
        SLUICEGATE_MODEL_DIR=str(ROOT / "models"),
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    return environment


def _prepare_database(python: Path, local_dir: Path) -> float:
    """Create the data folder and the demo tenant, then let the server stop; return the seconds it took."""
    code = (
        "from pathlib import Path\n"
        "from sglocal.setup import ensure_demo_tenant\n"
        "from sluicegate.services import get_services\n"
        f"ensure_demo_tenant(get_services(), Path({str(local_dir / 'demo-key')!r}))\n"
    )
    started = time.perf_counter()
    subprocess.run([str(python), "-c", code], env=_environment(local_dir), cwd=ROOT, check=True,
                   timeout=CHILD_TIMEOUT_S, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _start_database_holder(python: Path, local_dir: Path) -> subprocess.Popen:
    """Start a process that keeps the embedded server of ``local_dir`` running until its stdin closes."""
    code = (
        "import sys, pgserver\n"
        f"server = pgserver.get_server({str((local_dir / 'pgdata').resolve())!r})\n"
        "print(server.get_uri(), flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen([str(python), "-c", code], env=_environment(local_dir), cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    if not holder.stdout.readline():
        holder.kill()
        raise RuntimeError(f"the embedded PostgreSQL of {local_dir} did not start")
    return holder


def _stop_database_holder(holder: subprocess.Popen) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    try:
        holder.wait(timeout=60)
    except subprocess.TimeoutExpired:
        holder.kill()
        holder.wait()


def _measure_once(python: Path, local_dir: Path, scratch: Path, *, preload: bool = True) -> dict[str, float]:
    output = scratch / "cold-start.json"
    output.unlink(missing_ok=True)
    environment = _environment(local_dir)
    if not preload:
        environment["SLUICEGATE_PRELOAD_LOCAL_MODEL"] = "false"
    environment[SPAWNED_AT_VARIABLE] = repr(time.perf_counter())
    # The child's stdout carries the gateway's EMF records, which the benchmark does not need.
    result = subprocess.run([str(python), str(Path(__file__).resolve()), "--child", "--output", str(output)],
                            env=environment, cwd=ROOT, timeout=CHILD_TIMEOUT_S, check=False,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"the cold-start child failed with exit code {result.returncode}:\n{result.stderr[-3000:]}")
    return json.loads(output.read_text())


def measure_cold_starts(repetitions: int) -> dict[str, object]:
    """Return the median phase times of ``repetitions`` cold starts per database set-up, and each run."""
    python = _dev_python()
    if not python.exists():
        raise FileNotFoundError(f"dev venv python not found: {python}; run `make setup` first")
    runs: dict[str, list[dict[str, float]]] = {"db_start": [], "db_running": [], "db_running_no_preload": []}
    with tempfile.TemporaryDirectory(prefix="sluicegate-cold-start-") as scratch_name:
        scratch = Path(scratch_name)
        local_dir = scratch / "local"
        database_setup_s = _prepare_database(python, local_dir)
        # Alternating the set-ups spreads the machine's noise over both.
        for _ in range(repetitions):
            runs["db_start"].append(_measure_once(python, local_dir, scratch))
            holder = _start_database_holder(python, local_dir)
            try:
                runs["db_running"].append(_measure_once(python, local_dir, scratch))
                # The same with the model loaded on the first request, to show what the preload saves.
                runs["db_running_no_preload"].append(_measure_once(python, local_dir, scratch, preload=False))
            finally:
                _stop_database_holder(holder)
    medians = {
        setup: {key: statistics.median(run[key] for run in setup_runs) for key in setup_runs[0]}
        for setup, setup_runs in runs.items()
    }
    return {"database_setup_s": database_setup_s, "medians": medians, "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help="run one cold start in this process")
    parser.add_argument("--output", type=Path, help="JSON file for the child's phase times")
    parser.add_argument("--repetitions", type=int, default=3, help="cold starts per database set-up")
    args = parser.parse_args()
    if args.child:
        _run_child(args.output)
    else:
        print(json.dumps(measure_cold_starts(args.repetitions), indent=2))


if __name__ == "__main__":
    main()
