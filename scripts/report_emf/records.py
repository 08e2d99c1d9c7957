"""Find CloudWatch EMF records in log lines."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class EmfRecord:
    """One EMF record: its timestamp, its metric values and its other top-level members."""

    timestamp_ms: int
    # Metric name -> values; a metric logged as a number array keeps every value.
    values: dict[str, list[float]]
    # Every top-level member except ``_aws``: dimensions and metadata alike.
    properties: dict[str, Any]

    def text(self, key: str) -> str | None:
        """Return the string member ``key``, or None when it is missing or not a string."""
        value = self.properties.get(key)
        return value if isinstance(value, str) else None

    def total(self, metric: str) -> float:
        return sum(self.values.get(metric, ()))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _metric_values(document: dict[str, Any], name: str) -> list[float]:
    value = document.get(name)
    if _is_number(value):
        return [float(value)]
    if isinstance(value, list):
        return [float(item) for item in value if _is_number(item)]
    return []


def parse_emf_line(line: str) -> EmfRecord | None:
    """Return the EMF record in ``line``, or None when the line contains none.

    The JSON object may follow a prefix such as a timestamp or a request id, as
    in some Lambda log formats. Lines that are not EMF are skipped silently.
    """
    start = line.find("{")
    if start < 0 or '"_aws"' not in line:
        return None
    try:
        document, _ = _DECODER.raw_decode(line, start)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    metadata = document.get("_aws")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("CloudWatchMetrics"), list):
        return None
    timestamp = metadata.get("Timestamp")
    if not _is_number(timestamp):
        return None

    values: dict[str, list[float]] = {}
    for directive in metadata["CloudWatchMetrics"]:
        if not isinstance(directive, dict):
            continue
        for metric in directive.get("Metrics") or ():
            name = metric.get("Name") if isinstance(metric, dict) else None
            if isinstance(name, str):
                found = _metric_values(document, name)
                if found:
                    values.setdefault(name, []).extend(found)
    properties = {key: value for key, value in document.items() if key != "_aws"}
    return EmfRecord(timestamp_ms=int(timestamp), values=values, properties=properties)


def iter_emf_records(lines: Iterable[str]) -> Iterator[EmfRecord]:
    """Yield the EMF record of every line that contains one, in input order."""
    for line in lines:
        record = parse_emf_line(line)
        if record is not None:
            yield record
