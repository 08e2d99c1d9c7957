"""scripts/report on a recorded log: its numbers match ones computed here from the planned requests.

The log is written by the gateway's own ``RequestMetrics`` (the EMF writer the
functions use), with timestamps spread over three hours and with other log
lines in between. The expected numbers come from the plan, not from the log.
"""

from __future__ import annotations

import io
import json
import random
import statistics
import struct
import subprocess
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from report_emf.__main__ import main as report_main
from report_emf.records import parse_emf_line
from report_emf.sources import read_cloudwatch
from report_emf.summary import percentile
from sluicegate.observability.metrics import RequestMetrics

from observability_support import ROOT

ROWS = (("local", "smollm2-135m-instruct"), ("sagemaker", "llama-3-8b-instruct"))
REQUEST_COUNT = 180
STEP_MS = 60_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class PlannedRequest:
    request_id: str
    timestamp_ms: int
    backend: str | None
    model: str | None
    error_type: str | None
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_micro_usd: int
    fallback: bool
    pii_entities: int
    injection_flags: int


def plan_requests(start_ms: int) -> list[PlannedRequest]:
    rng = random.Random(20240611)
    planned = []
    for number in range(REQUEST_COUNT):
        backend, model = ROWS[rng.random() < 0.4]
        error_type = None
        draw = rng.random()
        if draw < 0.04:
            backend, model, error_type = None, None, "model_not_found"
        elif draw < 0.12:
            error_type = rng.choice(["backend_error", "timeout"])
        succeeded = error_type is None
        planned.append(
            PlannedRequest(
                request_id=f"req-{number:04d}-{rng.getrandbits(32):08x}",
                timestamp_ms=start_ms + number * STEP_MS + rng.randrange(STEP_MS),
                backend=backend,
                model=model,
                error_type=error_type,
                latency_ms=round(rng.lognormvariate(7, 0.6), 1),
                input_tokens=rng.randrange(5, 400),
                output_tokens=rng.randrange(1, 256),
                cost_micro_usd=rng.randrange(50, 20_000),
                # A fallback record names the backend given up on, so it is planned on successes only.
                fallback=succeeded and rng.random() < 0.1,
                pii_entities=rng.choice([0, 0, 0, 1, 3]),
                injection_flags=rng.choice([0] * 9 + [1]),
            )
        )
    return planned


def emf_lines(request: PlannedRequest) -> list[str]:
    """Write one request's records with RequestMetrics and return them, timestamped as planned."""
    metrics = RequestMetrics(request.request_id)
    metrics.add_metadata(tenant_id="t-report", key_id="k-report")
    if request.backend is not None:
        metrics.set_dimensions(Backend=request.backend, Model=request.model)
    if request.error_type is None:
        metrics.add("Requests", 1)
        metrics.add("RequestLatency", request.latency_ms)
        metrics.add("InputTokens", request.input_tokens)
        metrics.add("OutputTokens", request.output_tokens)
        metrics.add("CostMicroUSD", request.cost_micro_usd)
    else:
        metrics.error(request.error_type)
        if request.backend is not None:
            # Errors records name the backend and model only as members, not as dimensions.
            metrics.add_metadata(Backend=request.backend, Model=request.model)
    if request.fallback:
        other = next(backend for backend, _ in ROWS if backend != request.backend)
        metrics.add_single("Fallbacks", 1, {"Backend": other, "Model": request.model, "Route": "default"})
    if request.pii_entities:
        metrics.add_single("PiiEntities", request.pii_entities, {"EntityType": "EMAIL_ADDRESS"})
    if request.injection_flags:
        metrics.add_single("InjectionFlags", request.injection_flags, {"Signal": "instruction_override"})
    metrics.stage("validate", 0.5)

    output = io.StringIO()
    with redirect_stdout(output):
        metrics.flush()
    lines = []
    for line in output.getvalue().splitlines():
        document = json.loads(line)
        document["_aws"]["Timestamp"] = request.timestamp_ms
        lines.append(json.dumps(document, separators=(",", ":")))
    return lines


def recorded_log(planned: list[PlannedRequest]) -> list[str]:
    """Interleave the EMF lines with the other lines a Lambda log group holds."""
    rng = random.Random(5)
    lines = []
    for request in planned:
        lines.append(f"START RequestId: {request.request_id} Version: $LATEST")
        for line in emf_lines(request):
            if rng.random() < 0.1:
                line = f"2025-06-11T10:00:00.000Z\t{request.request_id}\tINFO\t{line}"
            lines.append(line)
        lines.append(json.dumps({"level": "INFO", "message": "request done", "request_id": request.request_id}))
        if rng.random() < 0.05:
            lines.append('{"_aws": {"Timestamp": 17')
            lines.append('{"_aws": "not an EMF object", "Requests": 1}')
        lines.append(f"END RequestId: {request.request_id}")
    return lines


def expected_rows(planned: list[PlannedRequest]) -> dict[tuple[str, str], dict]:
    """Compute the report's numbers from the plan, with the standard library's quantiles."""
    groups: dict[tuple[str, str], list[PlannedRequest]] = {}
    for request in planned:
        groups.setdefault((request.backend or "-", request.model or "-"), []).append(request)
    groups[("all", "all")] = planned

    expected = {}
    for key, group in groups.items():
        succeeded = [request for request in group if request.error_type is None]
        latencies = [request.latency_ms for request in succeeded]
        cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else None
        errors = len(group) - len(succeeded)
        expected[key] = {
            "requests": len(group),
            "errors": errors,
            "error_rate": errors / len(group),
            "latency_p50_ms": cuts[49] if cuts else None,
            "latency_p95_ms": cuts[94] if cuts else None,
            "latency_p99_ms": cuts[98] if cuts else None,
            "input_tokens": sum(request.input_tokens for request in succeeded),
            "output_tokens": sum(request.output_tokens for request in succeeded),
            "cost_per_1000_requests_usd": sum(request.cost_micro_usd for request in succeeded) / 1e6 / len(group) * 1000,
            "fallback_rate": sum(request.fallback for request in group) / len(group),
            "pii_rate": sum(request.pii_entities > 0 for request in group) / len(group),
            "injection_rate": sum(request.injection_flags > 0 for request in group) / len(group),
        }
    return expected


def assert_report_matches(document: dict, planned: list[PlannedRequest]) -> None:
    expected = expected_rows(planned)
    reported = {(row["backend"], row["model"]): row for row in document["rows"]}
    reported[("all", "all")] = document["total"]
    assert set(reported) == set(expected)
    for key, numbers in expected.items():
        for name, value in numbers.items():
            if value is None:
                assert reported[key][name] is None, f"{key} {name}"
            else:
                assert reported[key][name] == pytest.approx(value, rel=1e-9, abs=1e-9), f"{key} {name}"


@pytest.fixture(scope="module")
def planned() -> list[PlannedRequest]:
    now_ms = int(time.time() * 1000)
    return plan_requests(now_ms - REQUEST_COUNT * STEP_MS - 600_000)


@pytest.fixture(scope="module")
def log_lines(planned) -> list[str]:
    return recorded_log(planned)


@pytest.fixture()
def log_file(tmp_path, log_lines) -> Path:
    path = tmp_path / "gateway.log"
    path.write_text("\n".join(log_lines) + "\n", encoding="utf-8")
    return path


def run_report_in_process(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert report_main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_plan_covers_every_row_kind(planned):
    keys = {(request.backend, request.error_type is None) for request in planned}
    assert {("local", True), ("sagemaker", True), ("local", False), ("sagemaker", False), (None, False)} <= keys
    assert any(request.fallback for request in planned)
    assert any(request.injection_flags for request in planned)


def test_report_matches_plan(log_file, planned, capsys):
    document = run_report_in_process(capsys, str(log_file))
    assert_report_matches(document, planned)


def test_report_skips_non_emf_lines(log_lines):
    assert parse_emf_line("START RequestId: abc Version: $LATEST") is None
    assert parse_emf_line('{"_aws": {"Timestamp": 17') is None
    assert parse_emf_line('{"_aws": "not an EMF object", "Requests": 1}') is None
    prefixed = next(line for line in log_lines if line.startswith("2025-06-11T") and "_aws" in line)
    assert parse_emf_line(prefixed) is not None


def test_error_kinds_are_counted(log_file, planned, capsys):
    document = run_report_in_process(capsys, str(log_file))
    expected: dict[str, int] = {}
    for request in planned:
        if request.error_type:
            expected[request.error_type] = expected.get(request.error_type, 0) + 1
    assert document["total"]["errors_by_type"] == expected


def test_table_output_lists_each_row(log_file, capsys):
    capsys.readouterr()
    assert report_main([str(log_file)]) == 0
    table = capsys.readouterr().out
    assert "local" in table
    assert "sagemaker" in table
    assert "USD/1k req" in table
    assert "errors by kind:" in table


def test_missing_log_file_fails_with_message(tmp_path, capsys):
    assert report_main([str(tmp_path / "absent.log")]) == 1
    assert "cannot read the log file" in capsys.readouterr().err


def test_percentile_matches_statistics_module():
    values = [random.Random(3).uniform(0, 1000) for _ in range(37)]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    assert percentile(values, 95) == pytest.approx(cuts[94])
    assert percentile(values, 0) == min(values)
    assert percentile(values, 100) == max(values)
    assert percentile([], 50) is None


@pytest.fixture()
def aws_credentials(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)


def put_log(client, group: str, lines: list[str]) -> None:
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName="2025/06/11/[$LATEST]abc")
    events = []
    for line in lines:
        record = parse_emf_line(line)
        if record is not None:
            timestamp = record.timestamp_ms
        elif events:
            timestamp = events[-1]["timestamp"]  # other lines share the time of the line before
        else:
            timestamp = int(time.time() * 1000) - 3 * 3600_000
        events.append({"timestamp": timestamp, "message": line})
    events.sort(key=lambda event: event["timestamp"])
    for start in range(0, len(events), 500):
        response = client.put_log_events(logGroupName=group, logStreamName="2025/06/11/[$LATEST]abc", logEvents=events[start : start + 500])
        assert "rejectedLogEventsInfo" not in response


def test_report_reads_cloudwatch_logs(aws_credentials, log_lines, planned, capsys):
    with mock_aws():
        client = boto3.client("logs", region_name="us-east-1")
        put_log(client, "/aws/lambda/sluicegate-GatewayFunction", log_lines)
        document = run_report_in_process(capsys, "--log-group", "/aws/lambda/sluicegate-GatewayFunction", "--since", "6h", "--region", "us-east-1")
    assert_report_matches(document, planned)


def test_cloudwatch_reader_follows_pages(aws_credentials, log_lines):
    with mock_aws():
        client = boto3.client("logs", region_name="us-east-1")
        put_log(client, "/aws/lambda/paged", log_lines)
        now_ms = int(time.time() * 1000)
        lines = list(read_cloudwatch(client, ["/aws/lambda/paged"], now_ms - 6 * 3600_000, now_ms, page_size=25))
    emf_count = sum(parse_emf_line(line) is not None for line in log_lines)
    assert len(lines) >= emf_count
    assert sum(parse_emf_line(line) is not None for line in lines) == emf_count


def test_missing_log_group_fails_with_message(aws_credentials, capsys):
    with mock_aws():
        assert report_main(["--log-group", "/aws/lambda/absent", "--region", "us-east-1"]) == 1
    assert "reading CloudWatch Logs failed" in capsys.readouterr().err


def png_size(data: bytes) -> tuple[int, int]:
    # The IHDR chunk follows the signature: length, type, then width and height as big-endian integers.
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
def test_report_script_writes_numbers_and_chart(log_file, planned, tmp_path):
    chart = tmp_path / "report.png"
    result = subprocess.run(
        [str(ROOT / "scripts" / "report"), str(log_file), "--json", "--chart", str(chart)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_report_matches(json.loads(result.stdout), planned)
    data = chart.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 20_000
    assert png_size(data) == (1000, 650)
