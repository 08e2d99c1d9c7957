"""GPU routes end to end: the gateway and the SageMaker emulator as separate processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from e2e.conftest import start_gateway, stop_gateway
from openai import OpenAI

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[2]
ROUTING = ROOT / "config" / "routing.yaml"
_EMULATOR_READY = re.compile(r"sagemaker emulator is serving (http://\S+)")
REQUESTS = 16


def start_process(args: list[str], ready: re.Pattern[str], env: dict[str, str], timeout_s: float = 180) -> tuple[subprocess.Popen, str, list[str]]:
    """Start ``python args`` and wait for a line matching ``ready``; return the process, the match and the log."""
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    found: dict[str, str] = {}
    event = threading.Event()

    def drain() -> None:
        for line in process.stdout:
            lines.append(line)
            match = ready.search(line)
            if match and not event.is_set():
                found["value"] = match.group(1)
                event.set()

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while not event.wait(0.2):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{args} did not start:\n" + "".join(lines[-40:]))
    return process, found["value"], lines


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=f"{ROOT / 'layers' / 'core'}{os.pathsep}{ROOT / 'scripts'}", PYTHONUNBUFFERED="1")
    return env


def emf_total(lines: list[str], name: str, backend: str) -> float:
    total = 0.0
    for line in lines:
        if line.startswith('{"_aws"') and name in line:
            record = json.loads(line)
            if record.get("Backend") == backend and name in record:
                value = record[name]
                total += sum(value) if isinstance(value, list) else value
    return total


@pytest.fixture(scope="module")
def throttled_emulator():
    args = ["-m", "sglocal.sagemaker_emulator", "--routing-config", str(ROUTING), "--port", "0",
            "--fail-rate", "0.5", "--fail-status", "429", "--seed", "1"]
    process, url, _ = start_process(args, _EMULATOR_READY, base_env())
    yield url
    stop_process(process)


def test_auto_route_survives_half_throttled_endpoint(throttled_emulator, tmp_path):
    env = {
        "SLUICEGATE_ROUTING_CONFIG": str(ROUTING),
        "SLUICEGATE_SAGEMAKER_ENDPOINT_URL": throttled_emulator,
        "SLUICEGATE_SAGEMAKER_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    gateway = start_gateway(tmp_path, extra_env=env)
    try:
        client = OpenAI(base_url=gateway.base_url, api_key=gateway.api_key, max_retries=0)
        backends = []
        for _ in range(REQUESTS):
            raw = client.chat.completions.with_raw_response.create(
                model="auto", messages=[{"role": "user", "content": "Say hello."}], max_tokens=512, temperature=0
            )
            assert raw.http_response.status_code == 200
            assert raw.headers["x-sluicegate-route"] == "auto/long-answer"
            assert raw.parse().choices[0].message.content
            backends.append(raw.headers["x-sluicegate-backend"])
        with urllib.request.urlopen(f"{throttled_emulator}/_emulator/invocations", timeout=10) as response:
            calls = json.load(response)
    finally:
        stop_gateway(gateway)

    injected = sum(1 for call in calls if call["injected"])
    assert set(backends) <= {"gpu-tgi", "local"}
    assert backends.count("gpu-tgi") == sum(1 for call in calls if call["status"] == 200)
    assert injected > 0
    assert backends.count("local") > 0, "no request fell back to the local model; pick another seed"
    # gpu-tgi makes up to 3 attempts: retries are the failures, less one per request that fell back.
    assert emf_total(gateway.log_lines, "Retries", "gpu-tgi") == injected - backends.count("local")
    assert emf_total(gateway.log_lines, "Fallbacks", "gpu-tgi") == backends.count("local")


def test_serve_option_starts_emulator_for_gpu_routes(tmp_path):
    key_file = tmp_path / "api-key"
    env = base_env()
    env["SLUICEGATE_LOCAL_DIR"] = str(ROOT / ".local" / "test")
    args = ["-m", "sglocal.serve", "--port", "0", "--warm", "--key-file", str(key_file), "--sagemaker-emulator"]
    process, url, _ = start_process(args, re.compile(r"sluicegate is serving (http://\S+)"), env)
    try:
        client = OpenAI(base_url=url, api_key=key_file.read_text().strip(), max_retries=0)
        assert "auto" in [model.id for model in client.models.list()]
        raw = client.chat.completions.with_raw_response.create(
            model="auto", messages=[{"role": "user", "content": "What is the capital of France?"}], max_tokens=512, temperature=0
        )
    finally:
        stop_process(process)

    reply = raw.parse()
    assert raw.headers["x-sluicegate-backend"] == "gpu-tgi"
    assert raw.headers["x-sluicegate-cost-basis"] == "sagemaker_instance"
    assert "Paris" in reply.choices[0].message.content
    assert reply.usage.prompt_tokens > 0
