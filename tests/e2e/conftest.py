"""Start the local gateway (`python -m sglocal.serve`) as a separate process on 127.0.0.1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_SERVING = re.compile(r"sluicegate is serving (http://\S+)")


@dataclass
class RunningGateway:
    base_url: str
    api_key: str
    process: subprocess.Popen
    log_lines: list[str]


def start_gateway(tmp_dir: Path, extra_env: dict[str, str] | None = None, timeout_s: float = 120) -> RunningGateway:
    key_file = tmp_dir / "api-key"
    env = dict(os.environ)
    env.update(
        PYTHONPATH=f"{ROOT / 'layers' / 'core'}{os.pathsep}{ROOT / 'scripts'}",
        SLUICEGATE_LOCAL_DIR=str(ROOT / ".local" / "test"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "sglocal.serve", "--port", "0", "--warm", "--key-file", str(key_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log_lines: list[str] = []
    ready = threading.Event()
    found: dict[str, str] = {}

    def drain() -> None:
        for line in process.stdout:
            log_lines.append(line)
            match = _SERVING.search(line)
            if match:
                found["url"] = match.group(1)
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while not ready.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the local gateway did not start:\n" + "".join(log_lines[-40:]))
    return RunningGateway(found["url"], key_file.read_text().strip(), process, log_lines)


def stop_gateway(gateway: RunningGateway) -> None:
    gateway.process.terminate()
    try:
        gateway.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        gateway.process.kill()


@pytest.fixture(scope="session")
def gateway(tmp_path_factory) -> RunningGateway:
    running = start_gateway(tmp_path_factory.mktemp("gateway"))
    yield running
    stop_gateway(running)
