"""Command line of ``scripts/report``."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence

from .aggregate import group_requests
from .records import EmfRecord, iter_emf_records
from .sources import DEFAULT_FILTER_PATTERN, read_cloudwatch, read_log_files
from .summary import RowSummary, choose_bucket_seconds, summarise, time_series

DESCRIPTION = """\
Summarise the gateway's CloudWatch EMF records per backend and model: requests,
error rate, p50/p95/p99 latency, tokens, cost per 1,000 requests, and the share
of requests with a fallback, with PII and with an injection signal.

examples:
  scripts/report gateway.log --chart report.png
  scripts/report --log-group /aws/lambda/my-stack-GatewayFunction-abc --since 6h
"""

_DURATION = re.compile(r"^(\d+)([mhd])$")
_DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """Parse ``90m``, ``6h`` or ``2d``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}; use a number followed by m, h or d, such as 6h")
    return timedelta(**{_DURATION_UNITS[match.group(2)]: int(match.group(1))})


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time; a time without an offset is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid time {text!r}; use ISO 8601 such as 2025-01-31T14:00") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/report", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("log_files", nargs="*", metavar="LOG_FILE", help="log files to read; '-' reads standard input")
    cloudwatch = parser.add_argument_group("CloudWatch Logs (instead of log files)")
    cloudwatch.add_argument("--log-group", action="append", default=[], help="log group to read; repeat for several")
    cloudwatch.add_argument("--since", type=parse_duration, default=timedelta(hours=24), help="how far back to read, such as 90m, 6h or 2d (default: 24h)")
    cloudwatch.add_argument("--start", type=parse_time, help="start time, ISO 8601, UTC unless an offset is given (overrides --since)")
    cloudwatch.add_argument("--end", type=parse_time, help="end time, ISO 8601 (default: now)")
    cloudwatch.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    cloudwatch.add_argument(
        "--filter-pattern",
        default=DEFAULT_FILTER_PATTERN,
        help=f"CloudWatch Logs filter pattern (default: {DEFAULT_FILTER_PATTERN}, the events holding an EMF record; '' for all)",
    )
    parser.add_argument("--chart", type=Path, metavar="PNG", help="write a chart of p95 latency and cost over time to this PNG file")
    parser.add_argument("--bucket-seconds", type=int, help="width of one chart bucket in seconds (default: chosen from the time span)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    return parser


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _milliseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


COLUMNS = (
    ("backend", lambda row: row.backend),
    ("model", lambda row: row.model),
    ("requests", lambda row: str(row.requests)),
    ("errors", lambda row: _percent(row.error_rate)),
    ("p50 ms", lambda row: _milliseconds(row.latency_p50_ms)),
    ("p95 ms", lambda row: _milliseconds(row.latency_p95_ms)),
    ("p99 ms", lambda row: _milliseconds(row.latency_p99_ms)),
    ("input tok", lambda row: f"{row.input_tokens:.0f}"),
    ("output tok", lambda row: f"{row.output_tokens:.0f}"),
    ("USD/1k req", lambda row: f"{row.cost_per_1000_requests_usd:.4f}"),
    ("fallback", lambda row: _percent(row.fallback_rate)),
    ("PII", lambda row: _percent(row.pii_rate)),
    ("injection", lambda row: _percent(row.injection_rate)),
)


def format_table(rows: Sequence[RowSummary], total: RowSummary) -> str:
    """Render the rows and the total as an aligned text table, with the error kinds below it."""
    cells = [[name for name, _ in COLUMNS]]
    cells += [[render(row) for _, render in COLUMNS] for row in [*rows, total]]
    widths = [max(len(line[index]) for line in cells) for index in range(len(COLUMNS))]
    lines = []
    for number, line in enumerate(cells):
        if number == len(cells) - 1:
            lines.append("  ".join("-" * width for width in widths))
        lines.append("  ".join(cell.ljust(width) if index < 2 else cell.rjust(width) for index, (cell, width) in enumerate(zip(line, widths))))
    if total.errors_by_type:
        kinds = ", ".join(f"{kind} {count}" for kind, count in total.errors_by_type.items())
        lines.append(f"errors by kind: {kinds}")
    return "\n".join(lines)


class ReportError(Exception):
    """The log could not be read. The message names the source and the cause."""


def load_records(args: argparse.Namespace) -> list[EmfRecord]:
    """Read the EMF records from the log files or, with ``--log-group``, from CloudWatch Logs."""
    if not args.log_group:
        try:
            return list(iter_emf_records(read_log_files(args.log_files)))
        except OSError as exc:
            raise ReportError(f"cannot read the log file: {exc}") from exc

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    end = args.end or datetime.now(timezone.utc)
    start = args.start or end - args.since
    if start >= end:
        raise ReportError(f"the start time {start.isoformat()} is not before the end time {end.isoformat()}")
    try:
        client = boto3.client("logs", region_name=args.region)
        lines = read_cloudwatch(client, args.log_group, int(start.timestamp() * 1000), int(end.timestamp() * 1000), args.filter_pattern)
        return list(iter_emf_records(lines))
    except (BotoCoreError, ClientError) as exc:
        raise ReportError(f"reading CloudWatch Logs failed: {exc}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if bool(args.log_files) == bool(args.log_group):
        parser.error("give either log files or --log-group")
    if args.bucket_seconds is not None and args.bucket_seconds < 1:
        parser.error(f"--bucket-seconds must be at least 1, got {args.bucket_seconds}")

    try:
        records = load_records(args)
    except ReportError as exc:
        print(f"scripts/report: {exc}", file=sys.stderr)
        return 1

    requests = group_requests(records)
    rows, total = summarise(requests)
    bucket_s = args.bucket_seconds or choose_bucket_seconds(requests)
    if not requests:
        print(f"scripts/report: no chat requests found in {len(records)} EMF records", file=sys.stderr)

    if args.json:
        document = {
            "emf_records": len(records),
            "bucket_seconds": bucket_s,
            "rows": [row.as_dict() for row in rows],
            "total": total.as_dict(),
        }
        print(json.dumps(document, indent=2))
    else:
        print(format_table(rows, total))

    if args.chart is not None:
        from .chart import write_chart

        sys.stdout.flush()  # keep the summary ahead of the message below on a shared terminal

        write_chart(time_series(requests, bucket_s), bucket_s, args.chart)
        print(f"scripts/report: wrote {args.chart}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
