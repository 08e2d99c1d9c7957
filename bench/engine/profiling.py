"""A py-spy profile of one sluicegate chat worker: where its Python thread spends the run.

py-spy samples the worker's Python stacks. Each sample is counted under the
innermost Python frame, so time inside onnxruntime-genai shows up as the line
of completion.py that called it (``append_tokens`` for prefill,
``generate_next_token`` for decode), and Python work shows up as its own lines.
"""

from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAMPLES_PER_SECOND = 250
TOP_FRAMES = 12


def profile_chat_worker(job: dict, scratch: Path) -> dict[str, object]:
    """Run ``job`` under ``py-spy record`` and return the share of samples per innermost frame."""
    py_spy = Path(sys.executable).parent / "py-spy"
    job_file, result_file, stacks_file = scratch / "profile-job.json", scratch / "profile-result.json", scratch / "stacks.txt"
    job_file.write_text(json.dumps(job))
    command = [str(py_spy), "record", "--format", "raw", "--rate", str(SAMPLES_PER_SECOND), "--output", str(stacks_file),
               "--", sys.executable, str(HERE / "worker.py"), str(job_file), str(result_file)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not stacks_file.is_file():
        return {"error": f"py-spy record failed with exit code {completed.returncode}: {completed.stderr[-1000:]}"}

    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks_file.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        leaves[stack.split(";")[-1]] += int(count)
        total += int(count)
    return {
        "samples": total,
        "samples_per_second": SAMPLES_PER_SECOND,
        "top_frames": [{"frame": frame, "source": _source_line(frame), "share": count / total}
                       for frame, count in leaves.most_common(TOP_FRAMES)],
    }


def _source_line(frame: str) -> str:
    """Return the code at a sluicegate frame such as ``f (sluicegate/inference/completion.py:63)``, else ''."""
    match = re.search(r"\((sluicegate/[^:]+):(\d+)\)$", frame)
    if match is None:
        return ""
    lines = (ROOT / "layers" / "core" / match.group(1)).read_text().splitlines()
    number = int(match.group(2))
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""
