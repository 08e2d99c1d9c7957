"""One measurement in its own process, so that its peak RSS belongs to one engine.

run.py starts this script with the benchmark venv's python. It reads a job
from a JSON file and writes its result to another:

* ``chat``: load one chat engine, warm it up, then generate from each prompt.
* ``embed``: embed the sentences with one embedding engine.
* ``quality``: greedy agreement and perplexity of the chat engines against
  PyTorch float32 (memory does not count here, so all engines share one process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "layers" / "core"))
sys.path.insert(0, str(HERE))

# A short prompt and generation that run before the timed ones, so that one-time
# allocations of the first run do not count as prefill or decode time.
WARMUP_PROMPT_TOKENS = 16
WARMUP_NEW_TOKENS = 8


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def build_chat_engine(name: str, paths: dict[str, str], threads: int):
    import chat_engines

    model_dir = Path(paths["model_dir"])
    if name == "sluicegate":
        return chat_engines.SluicegateEngine(model_dir, threads)
    if name == "sluicegate-unchunked":
        return chat_engines.SluicegateUnchunkedEngine(model_dir, threads)
    if name == "onnxruntime-genai":
        return chat_engines.GenaiLoopEngine(model_dir, threads)
    if name == "llama.cpp":
        return chat_engines.LlamaCppEngine(Path(paths["gguf"]), threads)
    if name == "pytorch-fp32":
        return chat_engines.PytorchEngine(Path(paths["chat_reference"]), threads)
    raise ValueError(f"unknown chat engine {name!r}")


def run_chat(job: dict) -> dict:
    import_started = time.perf_counter()
    engine = build_chat_engine(job["engine"], job["paths"], job["threads"])
    if job["engine"] == "pytorch-fp32":
        import torch  # noqa: F401  (imported here so that its import time is not load time)
    elif job["engine"] == "llama.cpp":
        import llama_cpp  # noqa: F401
    else:
        import onnxruntime_genai  # noqa: F401
        import sluicegate.inference.chat_model  # noqa: F401
    import_s = time.perf_counter() - import_started

    load_started = time.perf_counter()
    engine.load()
    load_s = time.perf_counter() - load_started
    rss_after_load = _rss_mb()

    first_prompt = next(iter(job["prompts"].values()))
    engine.generate(first_prompt[:WARMUP_PROMPT_TOKENS], WARMUP_NEW_TOKENS, ignore_eos=True)

    prompts = {size: {"prompt_tokens": len(ids), "samples": []} for size, ids in job["prompts"].items()}
    # The prompt sizes take turns, so a burst of load from other processes on
    # the machine is spread over all of them.
    for _ in range(job["generations_per_prompt"]):
        for size, prompt_ids in job["prompts"].items():
            generation = engine.generate(prompt_ids, job["new_tokens"], ignore_eos=True)
            prompts[size].setdefault("token_ids", generation.token_ids)
            prompts[size]["samples"].append({
                "generated_tokens": len(generation.token_ids),
                "time_to_first_token_s": generation.time_to_first_token_s,
                "decode_tokens_per_s": generation.decode_tokens_per_s,
                "median_step_ms": _median_ms(generation.step_s),
                "median_loop_overhead_ms": _median_ms(generation.loop_overhead_s),
            })
    return {
        "engine": job["engine"],
        "import_s": import_s,
        "load_s": load_s,
        "rss_after_load_mb": rss_after_load,
        "peak_rss_mb": _peak_rss_mb(),
        "prompts": prompts,
    }


def run_embed(job: dict) -> dict:
    import numpy as np

    sentences = job["sentences"]
    batch_size = job["batch_size"]
    threads = job["threads"]
    if job["engine"] == "sluicegate":
        from sluicegate.inference.embeddings import EmbeddingModel
        from sluicegate.inference.model_store import resolve_local

        load_started = time.perf_counter()
        model = EmbeddingModel(
            resolve_local("all-minilm-l6-v2", Path(job["paths"]["model_dir"]), check_checksums=False),
            intra_op_threads=threads,
        )
        model.load()
        load_s = time.perf_counter() - load_started

        def embed(texts):
            return model.embed(texts, batch_size=batch_size)
    elif job["engine"] == "sentence-transformers":
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        load_started = time.perf_counter()
        model = SentenceTransformer(job["paths"]["embedding_reference"], device="cpu")
        load_s = time.perf_counter() - load_started

        def embed(texts):
            return model.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    else:
        raise ValueError(f"unknown embedding engine {job['engine']!r}")

    embed(sentences[:batch_size])
    started = time.perf_counter()
    embeddings = embed(sentences)
    elapsed = time.perf_counter() - started
    np.save(job["embeddings_file"], np.asarray(embeddings, dtype=np.float32))
    return {
        "engine": job["engine"],
        "load_s": load_s,
        "sentences": len(sentences),
        "seconds": elapsed,
        "sentences_per_s": len(sentences) / elapsed,
        "peak_rss_mb": _peak_rss_mb(),
    }


def run_quality(job: dict) -> dict:
    import numpy as np

    import chat_engines

    engines = {name: build_chat_engine(name, job["paths"], job["threads"])
               for name in ("sluicegate", "pytorch-fp32") + (("llama.cpp",) if job["with_llama"] else ())}
    for name, engine in engines.items():
        if name == "llama.cpp":
            engine.load(logits_all=True)
        else:
            engine.load()

    answers = {name: [] for name in engines}
    for prompt_ids in job["agreement_prompts"]:
        for name, engine in engines.items():
            generation = engine.generate(prompt_ids, job["agreement_new_tokens"], ignore_eos=False)
            answers[name].append(generation.token_ids)

    perplexity = {}
    for name, engine in engines.items():
        log_probs = engine.next_token_log_probs(job["perplexity_ids"])
        perplexity[name] = float(np.exp(-log_probs.mean()))
    return {"answers": answers, "perplexity": perplexity, "perplexity_tokens": len(job["perplexity_ids"]),
            "stop_ids": sorted(chat_engines.STOP_IDS)}


def _median_ms(values: list[float]) -> float | None:
    import statistics

    return 1000 * statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", type=Path, help="JSON file with the job")
    parser.add_argument("result", type=Path, help="JSON file for the result")
    args = parser.parse_args()
    job = json.loads(args.job.read_text())
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tasks = {"chat": run_chat, "embed": run_embed, "quality": run_quality}
    result = tasks[job["task"]](job)
    args.result.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
