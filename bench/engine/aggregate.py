"""Medians, ratios against llama.cpp, greedy agreement and goal status from the raw worker results."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence

BASELINE = "llama.cpp"
REFERENCE = "pytorch-fp32"
OURS = "sluicegate"


def _median(values: Sequence[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def summarize_chat(runs: dict[str, list[dict]]) -> dict[str, dict]:
    """Return per engine the median of each number over all its workers and generations."""
    summary = {}
    for engine, engine_runs in runs.items():
        prompts = {}
        for size, first in engine_runs[0]["prompts"].items():
            samples = [sample for run in engine_runs for sample in run["prompts"][size]["samples"]]
            prompts[size] = {
                "prompt_tokens": first["prompt_tokens"],
                "generated_tokens": min(sample["generated_tokens"] for sample in samples),
                "samples": len(samples),
                **{
                    key: _median([sample[key] for sample in samples])
                    for key in ("time_to_first_token_s", "decode_tokens_per_s", "median_step_ms",
                                "median_loop_overhead_ms")
                },
                "decode_tokens_per_s_range": [
                    min(sample["decode_tokens_per_s"] for sample in samples),
                    max(sample["decode_tokens_per_s"] for sample in samples),
                ],
            }
        summary[engine] = {
            "machine_busy_before": _median([run.get("machine_busy_before") for run in engine_runs]),
            "import_s": _median([run["import_s"] for run in engine_runs]),
            "load_s": _median([run["load_s"] for run in engine_runs]),
            "rss_after_load_mb": _median([run["rss_after_load_mb"] for run in engine_runs]),
            "peak_rss_mb": _median([run["process_peak_rss_mb"] for run in engine_runs]),
            "prompts": prompts,
        }
    return summary


def ratios_against_baseline(chat: dict[str, dict]) -> dict[str, dict]:
    """Return each engine's numbers divided by llama.cpp's (>1 is faster decode, <1 is faster first token)."""
    if BASELINE not in chat:
        return {}
    baseline = chat[BASELINE]
    ratios = {}
    for engine, numbers in chat.items():
        ratios[engine] = {
            "load_s": _ratio(numbers["load_s"], baseline["load_s"]),
            "peak_rss_mb": _ratio(numbers["peak_rss_mb"], baseline["peak_rss_mb"]),
            "decode_tokens_per_s": {
                size: _ratio(prompt["decode_tokens_per_s"], baseline["prompts"][size]["decode_tokens_per_s"])
                for size, prompt in numbers["prompts"].items()
            },
            "time_to_first_token_s": {
                size: _ratio(prompt["time_to_first_token_s"], baseline["prompts"][size]["time_to_first_token_s"])
                for size, prompt in numbers["prompts"].items()
            },
        }
    return ratios


def agreement(reference: list[list[int]], candidate: list[list[int]]) -> dict[str, object]:
    """Compare greedy outputs prompt by prompt.

    ``prefix_fraction`` is the tokens before the first difference over the
    reference's tokens. ``positionwise_fraction`` is the positions with the
    same token over the longer output's length, summed over prompts.
    """
    prefix_total = positionwise_total = reference_total = longer_total = 0
    rows = []
    for reference_ids, candidate_ids in zip(reference, candidate, strict=True):
        prefix = 0
        for expected, actual in zip(reference_ids, candidate_ids):
            if expected != actual:
                break
            prefix += 1
        same = sum(expected == actual for expected, actual in zip(reference_ids, candidate_ids))
        longer = max(len(reference_ids), len(candidate_ids))
        rows.append({"prefix_tokens": prefix, "same_positions": same,
                     "reference_tokens": len(reference_ids), "candidate_tokens": len(candidate_ids)})
        prefix_total += prefix
        positionwise_total += same
        reference_total += len(reference_ids)
        longer_total += longer
    return {
        "prefix_tokens": prefix_total,
        "reference_tokens": reference_total,
        "prefix_fraction": prefix_total / reference_total if reference_total else None,
        "positionwise_fraction": positionwise_total / longer_total if longer_total else None,
        "prompts": rows,
    }


def summarize_quality(quality: dict, chat_runs: dict[str, list[dict]] | None,
                      decode: Callable[[list[int]], str]) -> dict[str, object]:
    answers = quality["answers"]
    perplexity = quality["perplexity"]
    summary: dict[str, object] = {
        "agreement_prompts": len(answers[REFERENCE]),
        "agreement": {engine: agreement(answers[REFERENCE], ids) for engine, ids in answers.items()
                      if engine != REFERENCE},
        "examples": {engine: decode(ids[0]) for engine, ids in answers.items()},
        "perplexity": perplexity,
        "perplexity_tokens": quality["perplexity_tokens"],
        "perplexity_ratio": {engine: value / perplexity[REFERENCE] for engine, value in perplexity.items()},
    }
    if chat_runs and REFERENCE in chat_runs:
        # The benchmark prompts with EOS masked, from each engine's first worker.
        reference = [prompt["token_ids"] for prompt in chat_runs[REFERENCE][0]["prompts"].values()]
        summary["benchmark_prompt_agreement"] = {
            engine: agreement(reference, [prompt["token_ids"] for prompt in runs[0]["prompts"].values()])
            for engine, runs in chat_runs.items() if engine != REFERENCE
        }
    return summary


def summarize_embeddings(embeddings: dict) -> dict[str, object]:
    engines = {
        engine: {
            "sentences_per_s": _median([run["sentences_per_s"] for run in runs]),
            "load_s": _median([run["load_s"] for run in runs]),
            "peak_rss_mb": _median([run["process_peak_rss_mb"] for run in runs]),
        }
        for engine, runs in embeddings["runs"].items()
    }
    return {
        "engines": engines,
        "speedup": _ratio(engines[OURS]["sentences_per_s"], engines["sentence-transformers"]["sentences_per_s"]),
        "min_cosine": embeddings["min_cosine"],
        "mean_cosine": embeddings["mean_cosine"],
    }


def goals(results: dict) -> list[dict[str, object]]:
    """Return each goal with its target, the measured value and whether it is met (None: not measured)."""
    rows: list[dict[str, object]] = []

    def add(goal: str, target: str, value: float | None, met: bool | None, unit: str = "") -> None:
        rows.append({"goal": goal, "target": target, "measured": value, "unit": unit, "met": met})

    ratios = results.get("ratios", {}).get(OURS)
    if ratios:
        decode = min(ratios["decode_tokens_per_s"].values())
        add("decode tokens/s vs llama.cpp (lowest over prompt sizes)", ">= 1.5x", decode, decode >= 1.5, "x")
        first = max(ratios["time_to_first_token_s"].values())
        add("time to first token vs llama.cpp (highest over prompt sizes)", "<= 1.0x", first, first <= 1.0, "x")
        add("peak RSS vs llama.cpp", "<= 1.5x", ratios["peak_rss_mb"], ratios["peak_rss_mb"] <= 1.5, "x")
    chat = results.get("chat", {}).get(OURS)
    if chat:
        add("model load time", "<= 0.3 s", chat["load_s"], chat["load_s"] <= 0.3, "s")
    cold = results.get("cold_start")
    if cold:
        for setup, label in (("db_running", "database already running"), ("db_start", "embedded database starting")):
            value = cold["medians"][setup]["to_first_token"]
            add(f"cold start to first token, {label}", "<= 1.0 s", value, value <= 1.0, "s")
    quality = results.get("quality")
    if quality:
        ratio = quality["perplexity_ratio"][OURS]
        add("perplexity vs PyTorch float32", "within 5%", ratio, abs(ratio - 1) <= 0.05, "x")
    embeddings = results.get("embeddings")
    if embeddings:
        add("embedding throughput vs sentence-transformers", ">= 2x", embeddings["speedup"],
            embeddings["speedup"] >= 2, "x")
        add("embedding cosine vs sentence-transformers (minimum)", ">= 0.99", embeddings["min_cosine"],
            embeddings["min_cosine"] >= 0.99)
    return rows


def summarize(raw: dict, decode: Callable[[list[int]], str]) -> dict[str, object]:
    results: dict[str, object] = {}
    if "chat" in raw:
        results["chat"] = summarize_chat(raw["chat"])
        results["ratios"] = ratios_against_baseline(results["chat"])
    if "quality" in raw:
        results["quality"] = summarize_quality(raw["quality"], raw.get("chat"), decode)
    if "embeddings" in raw:
        results["embeddings"] = summarize_embeddings(raw["embeddings"])
    if "profile" in raw:
        results["profile"] = raw["profile"]
    if "cold_start" in raw:
        results["cold_start"] = raw["cold_start"]
    results["goals"] = goals(results)
    return results
