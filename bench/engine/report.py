"""Markdown tables of the engine benchmark results."""

from __future__ import annotations


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def chat_table(results: dict) -> list[str]:
    chat = results["chat"]
    ratios = results.get("ratios", {})
    sizes = list(next(iter(chat.values()))["prompts"])
    header = ["engine", "load s", "peak RSS MB"]
    for size in sizes:
        tokens = next(iter(chat.values()))["prompts"][size]["prompt_tokens"]
        header += [f"TTFT s ({tokens} tok)", f"decode tok/s ({tokens} tok)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for engine, numbers in chat.items():
        engine_ratios = ratios.get(engine)
        cells = [engine, _number(numbers["load_s"]), _number(numbers["peak_rss_mb"], 0)]
        for size in sizes:
            prompt = numbers["prompts"][size]
            ttft = _number(prompt["time_to_first_token_s"], 3)
            decode = _number(prompt["decode_tokens_per_s"], 1)
            if engine_ratios and engine != "llama.cpp":
                ttft += f" ({_ratio(engine_ratios['time_to_first_token_s'][size])})"
                decode += f" ({_ratio(engine_ratios['decode_tokens_per_s'][size])})"
            cells += [ttft, decode]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def profile_table(results: dict) -> list[str]:
    chat = results["chat"]
    lines = ["| engine | prompt tokens | prefill ms/token | decode step ms | loop overhead ms/token |",
             "|---|---|---|---|---|"]
    for engine, numbers in chat.items():
        for prompt in numbers["prompts"].values():
            prefill = 1000 * prompt["time_to_first_token_s"] / prompt["prompt_tokens"]
            step = prompt["median_step_ms"]
            if step is None and prompt["decode_tokens_per_s"]:
                step = 1000 / prompt["decode_tokens_per_s"]
            lines.append(f"| {engine} | {prompt['prompt_tokens']} | {prefill:.2f} | {_number(step)} | "
                         f"{_number(prompt['median_loop_overhead_ms'], 3)} |")
    return lines


def quality_table(quality: dict) -> list[str]:
    lines = ["| engine | matching prefix tokens | prefix agreement | position-wise agreement | "
             f"perplexity ({quality['perplexity_tokens']} tokens) | vs float32 |",
             "|---|---|---|---|---|---|"]
    for engine, perplexity in quality["perplexity"].items():
        row = quality["agreement"].get(engine)
        if row is None:
            cells = ["(reference)", "1.00", "1.00"]
        else:
            cells = [f"{row['prefix_tokens']}/{row['reference_tokens']}",
                     _number(row["prefix_fraction"]), _number(row["positionwise_fraction"])]
        lines.append(f"| {engine} | " + " | ".join(cells)
                     + f" | {perplexity:.3f} | {_ratio(quality['perplexity_ratio'][engine])} |")
    return lines


def embeddings_table(embeddings: dict) -> list[str]:
    lines = ["| engine | sentences/s | load s | peak RSS MB |", "|---|---|---|---|"]
    for engine, numbers in embeddings["engines"].items():
        lines.append(f"| {engine} | {_number(numbers['sentences_per_s'], 1)} | {_number(numbers['load_s'])} | "
                     f"{_number(numbers['peak_rss_mb'], 0)} |")
    lines.append("")
    lines.append(f"Speed-up {_ratio(embeddings['speedup'])}; cosine similarity of the two engines' embeddings: "
                 f"minimum {embeddings['min_cosine']:.5f}, mean {embeddings['mean_cosine']:.5f}.")
    return lines


COLD_START_ROWS = (
    ("interpreter", "interpreter start"),
    ("imports", "imports (template, handler module)"),
    ("inference_imports", "of which the engine modules, imported first"),
    ("model_files", "model files (find, verify checksums), preload thread"),
    ("model_load", "model load (tokenizer, ONNX session), preload thread"),
    ("model_ready", "model ready, since process start"),
    ("database", "database (server start, connect, migrations)"),
    ("request_model_wait", "request waiting for the model"),
    ("request", "rest of the request before generation"),
    ("first_token", "prefill and first token"),
    ("to_first_token", "**process start to first token**"),
    ("to_response", "process start to response"),
)


def cold_start_table(cold: dict) -> list[str]:
    medians = cold["medians"]
    setups = [setup for setup in ("db_running", "db_start", "db_running_no_preload") if setup in medians]
    titles = {
        "db_running": "database already running, s",
        "db_start": "embedded database starting, s",
        "db_running_no_preload": "database running, no preload, s",
    }
    lines = ["| phase | " + " | ".join(titles[setup] for setup in setups) + " |", "|---" * (len(setups) + 1) + "|"]
    for key, label in COLD_START_ROWS:
        if key not in medians["db_running"]:
            continue
        values = " | ".join(f"{medians[setup].get(key, 0.0):.3f}" for setup in setups)
        lines.append(f"| {label} | {values} |")
    return lines


def profile_frames_table(profile: dict) -> list[str]:
    if "error" in profile:
        return [f"py-spy profile not available: {profile['error']}"]
    lines = ["| innermost Python frame | code | share of samples |", "|---|---|---|"]
    for row in profile["top_frames"]:
        code = f"`{row['source']}`" if row.get("source") else ""
        lines.append(f"| `{row['frame']}` | {code} | {100 * row['share']:.1f}% |")
    return lines


def goals_table(goals: list[dict]) -> list[str]:
    lines = ["| goal | target | measured | status |", "|---|---|---|---|"]
    for row in goals:
        measured = "n/a" if row["measured"] is None else f"{row['measured']:.3f}{row['unit']}"
        status = {True: "met", False: "not met", None: "not measured"}[row["met"]]
        lines.append(f"| {row['goal']} | {row['target']} | {measured} | {status} |")
    return lines


def render(results: dict) -> str:
    setup = results["setup"]
    lines = [f"Machine: {setup['machine']}; {setup['threads']} threads per engine; 1-minute load average "
             f"{setup['load_average'][0]:.1f} at the start and {setup['load_average'][1]:.1f} at the end.",
             f"Chat: medians of {setup['repetitions']} worker processes per engine x "
             f"{setup['generations_per_prompt']} generations per prompt; {setup['new_tokens']} new tokens, "
             "greedy, EOS masked. Other numbers: medians of "
             f"{setup['repetitions']} runs.", ""]
    if "chat" in results:
        busy = [numbers["machine_busy_before"] for numbers in results["chat"].values()
                if numbers.get("machine_busy_before") is not None]
        busy_note = (f" Before a worker started, the machine's CPUs were at most {max(busy):.0%} busy"
                     " (median per engine)." if busy else "")
        lines += [f"Chat engines (ratio against llama.cpp in brackets).{busy_note}", ""]
        lines += chat_table(results) + [""]
        lines += ["Where the time goes:", ""] + profile_table(results) + [""]
    if "profile" in results:
        lines += ["py-spy profile of one sluicegate chat worker (load, warm-up and the three prompts):", ""]
        lines += profile_frames_table(results["profile"]) + [""]
    if "quality" in results:
        lines += [f"Quality against PyTorch float32 ({results['quality']['agreement_prompts']} chat prompts, "
                  "greedy, up to 64 tokens):", ""] + quality_table(results["quality"]) + [""]
    if "embeddings" in results:
        lines += [f"Embeddings ({setup['embedding_sentences']} sentences, batch size "
                  f"{setup['embedding_batch_size']}):", ""] + embeddings_table(results["embeddings"]) + [""]
    if "cold_start" in results:
        lines += ["Cold start of the gateway function (median seconds). The model files and the model load run on "
                  "the preload thread, beside the imports, so the phases overlap and do not add up:", ""]
        lines += cold_start_table(results["cold_start"]) + [""]
    lines += ["Goals:", ""] + goals_table(results["goals"])
    return "\n".join(lines)
