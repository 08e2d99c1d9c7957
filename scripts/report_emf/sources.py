"""Read log lines from files or from CloudWatch Logs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

# Matches the events that contain an EMF record, so CloudWatch Logs returns only those.
DEFAULT_FILTER_PATTERN = '"_aws"'


def read_log_files(paths: Iterable[str]) -> Iterator[str]:
    """Yield the lines of each file in turn; ``-`` reads standard input."""
    for path in paths:
        if path == "-":
            yield from sys.stdin
            continue
        with Path(path).open(encoding="utf-8", errors="replace") as handle:
            yield from handle


def read_cloudwatch(
    client: Any,
    log_groups: Iterable[str],
    start_ms: int,
    end_ms: int,
    filter_pattern: str = DEFAULT_FILTER_PATTERN,
    page_size: int | None = None,
) -> Iterator[str]:
    """Yield the lines of every event in ``log_groups`` between ``start_ms`` and ``end_ms``.

    ``client`` is a boto3 CloudWatch Logs client; pages of ``FilterLogEvents``
    are fetched through its paginator, ``page_size`` events at a time when
    given. An empty ``filter_pattern`` returns every event.
    """
    paginator = client.get_paginator("filter_log_events")
    for log_group in log_groups:
        arguments: dict[str, Any] = {"logGroupName": log_group, "startTime": start_ms, "endTime": end_ms}
        if filter_pattern:
            arguments["filterPattern"] = filter_pattern
        if page_size is not None:
            arguments["PaginationConfig"] = {"PageSize": page_size}
        for page in paginator.paginate(**arguments):
            for event in page.get("events", ()):
                yield from event.get("message", "").splitlines()
