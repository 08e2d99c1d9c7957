"""PII benchmark: sluicegate's screening against Presidio's pattern recognizers.

Usage: ``python bench/pii/run.py [--output PATH]``. The script builds its own
virtual environment under ~/.cache/sluicegate/venvs/ from
requirements/bench-pii.txt and layers/core/requirements.txt, re-runs itself
there, and writes bench/pii/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENT_FILES = (ROOT / "requirements" / "bench-pii.txt", ROOT / "layers" / "core" / "requirements.txt")
_INSIDE_VENV = "SLUICEGATE_BENCH_PII_VENV"


def ensure_venv() -> None:
    """Re-execute this script inside the benchmark venv, creating it on first use."""
    if os.environ.get(_INSIDE_VENV) == "1":
        return
    digest = hashlib.sha256()
    for path in REQUIREMENT_FILES:
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    venv = cache / "sluicegate" / "venvs" / f"bench-pii-{digest.hexdigest()[:12]}"
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    if not marker.exists():
        print(f"Creating the benchmark venv {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        command = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        for path in REQUIREMENT_FILES:
            command += ["-r", str(path)]
        subprocess.run(command, check=True)
        marker.touch()
    os.environ[_INSIDE_VENV] = "1"
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


def _throughput(run, texts: list[str], repeats: int) -> float:
    """Return MB/s (10^6 bytes of UTF-8 per second) of the best of ``repeats`` passes over ``texts``."""
    size = sum(len(text.encode("utf-8")) for text in texts)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for text in texts:
            run(text)
        best = min(best, time.perf_counter() - started)
    return size / best / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("RESULTS.md"), help="Markdown file to write")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over the corpus per system; the best counts")
    arguments = parser.parse_args()
    ensure_venv()

    sys.path.insert(0, str(ROOT / "layers" / "core"))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import corpus
    import injection_eval
    import presidio_runner
    import report
    from sluicegate.screening import detect

    documents = corpus.build_corpus()
    texts = [document.text for document in documents]
    gold = [document.labels for document in documents]
    print(f"Corpus: {len(documents)} documents, {sum(map(len, gold))} entities", flush=True)

    ours = [[(e.type.value, e.start, e.end) for e in detect(text)] for text in texts]
    engine = presidio_runner.build_engine()
    theirs_scored = [presidio_runner.analyze(engine, text) for text in texts]

    our_speed = _throughput(detect, texts, arguments.repeats)
    their_speed = _throughput(lambda text: presidio_runner.analyze(engine, text), texts, max(1, arguments.repeats - 1))
    print(f"Throughput: sluicegate {our_speed:.2f} MB/s, Presidio {their_speed:.2f} MB/s", flush=True)

    results = report.Results(
        documents=documents,
        ours=ours,
        theirs_scored=theirs_scored,
        our_speed=our_speed,
        their_speed=their_speed,
        injection=injection_eval.evaluate(),
        shared_types=frozenset(presidio_runner.TYPE_MAP.values()),
        machine=f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}",
    )
    arguments.output.write_text(report.render(results))
    print(f"Wrote {arguments.output}")


if __name__ == "__main__":
    main()
