"""A PNG chart of p95 latency and cost over time, one line per backend and model."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from .summary import UNATTRIBUTED, TimePoint


def write_chart(points: Sequence[TimePoint], bucket_s: int, path: Path) -> None:
    """Draw p95 latency (top) and cost per bucket (bottom) over time and save them as PNG.

    Requests without a backend carry neither latency nor cost, so they get no line.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display: render straight to the file
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    series: dict[str, list[TimePoint]] = {}
    for point in points:
        if point.backend == UNATTRIBUTED:
            continue
        series.setdefault(f"{point.backend} / {point.model}", []).append(point)

    figure, (latency_axes, cost_axes) = plt.subplots(2, 1, sharex=True, figsize=(10, 6.5), constrained_layout=True)
    for label, line in sorted(series.items()):
        times = [datetime.fromtimestamp(point.bucket_start_s, tz=timezone.utc) for point in line]
        latency = [point.latency_p95_ms if point.latency_p95_ms is not None else float("nan") for point in line]
        latency_axes.plot(times, latency, marker="o", markersize=3, label=label)
        cost_axes.plot(times, [point.cost_usd for point in line], marker="o", markersize=3, label=label)

    bucket_label = f"{bucket_s // 60} min" if bucket_s < 3600 else f"{bucket_s // 3600} h"
    latency_axes.set_title(f"p95 request latency per {bucket_label}")
    latency_axes.set_ylabel("ms")
    cost_axes.set_title(f"cost per {bucket_label}")
    cost_axes.set_ylabel("USD")
    cost_axes.set_xlabel("time (UTC)")
    cost_axes.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M", tz=timezone.utc))
    for axes in (latency_axes, cost_axes):
        axes.grid(True, alpha=0.3)
    if series:
        latency_axes.legend(loc="upper left", fontsize="small")
    else:
        latency_axes.text(0.5, 0.5, "no completed chat requests in the input", ha="center", va="center", transform=latency_axes.transAxes)
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)
