"""Convert the SmolLM2 GGUF file into an onnxruntime-genai model.

Runs inside the build venv (it imports torch and transformers), started by
scripts/build_models.py. Steps:

1. transformers dequantizes the GGUF weights to a float32 Hugging Face
   folder, which is kept as the PyTorch reference for benchmarks.
2. The onnxruntime-genai model builder exports and quantizes that folder.
3. If the recipe's extra options contain a ``gguf_weights`` object, the
   builder's int4 weights are replaced by the GGUF blocks themselves (see
   gguf_correction.py). This script reads that object and does not pass it to the builder.
4. With ``--optimize-offline`` the graph is optimized once here instead of
   on every load (see offline_optimize.py).
5. Greedy outputs of both models on a few prompts go into a JSON report,
   which the manifest records.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import gguf_correction
import offline_optimize

# Prompts whose greedy completions are compared between float32 and the built model.
CHECK_PROMPTS = (
    "What is the capital of France?",
    "Explain what a CPU does in one sentence.",
    "List three primary colors.",
)
CHECK_MAX_NEW_TOKENS = 48


def dequantize_gguf(gguf_file: Path, reference_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf_file.parent, gguf_file=gguf_file.name, dtype=torch.float32
    )
    # transformers marks a model loaded from GGUF as quantized, and save_pretrained
    # then fails. The weights are already float32, so the marks can go.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(reference_dir)
    tokenizer.save_pretrained(reference_dir)


def build_onnx(args: argparse.Namespace, extra_options: dict[str, str]) -> None:
    command = [
        sys.executable, "-m", "onnxruntime_genai.models.builder",
        "-i", str(args.reference_dir), "-o", str(args.output_dir),
        "-p", args.precision, "-e", "cpu", "-c", str(args.work_dir / "builder-cache"),
    ]
    if extra_options:
        command += ["--extra_options", *(f"{key}={value}" for key, value in extra_options.items())]
    log_file = args.work_dir / "builder.log"
    with log_file.open("w") as log:
        result = subprocess.run(command, check=False, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = "\n".join(log_file.read_text().splitlines()[-20:])
        sys.exit(f"onnxruntime-genai model builder failed (exit {result.returncode}), log {log_file}:\n{tail}")


def set_default_max_length(output_dir: Path, context_window: int) -> None:
    # The builder sets search.max_length to the trained context (8192). Callers
    # pass their own max_length; this default only guards the ones that do not.
    config_file = output_dir / "genai_config.json"
    config = json.loads(config_file.read_text())
    config["search"]["max_length"] = context_window
    config_file.write_text(json.dumps(config, indent=4) + "\n")


def check_prompt_ids(reference_dir: Path) -> list[list[int]]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(reference_dir)
    return [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, return_dict=True
        )["input_ids"]
        for prompt in CHECK_PROMPTS
    ]


def compare_greedy_outputs(reference_dir: Path, output_dir: Path) -> list[dict[str, object]]:
    import onnxruntime_genai as og
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(reference_dir)
    reference = AutoModelForCausalLM.from_pretrained(reference_dir, dtype=torch.float32).eval()
    built = og.Model(str(output_dir))
    rows = []
    for prompt in CHECK_PROMPTS:
        prompt_ids = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, return_dict=True
        )["input_ids"]
        with torch.no_grad():
            generated = reference.generate(
                torch.tensor([prompt_ids]), max_new_tokens=CHECK_MAX_NEW_TOKENS, do_sample=False
            )
        reference_ids = generated[0, len(prompt_ids):].tolist()

        params = og.GeneratorParams(built)
        params.set_search_options(max_length=len(prompt_ids) + CHECK_MAX_NEW_TOKENS, do_sample=False)
        generator = og.Generator(built, params)
        generator.append_tokens(prompt_ids)
        built_ids = []
        while not generator.is_done():
            generator.generate_next_token()
            built_ids.append(int(generator.get_next_tokens()[0]))

        matching = 0
        for reference_id, built_id in zip(reference_ids, built_ids, strict=False):
            if reference_id != built_id:
                break
            matching += 1
        rows.append({
            "prompt": prompt,
            "float32_output": tokenizer.decode(reference_ids, skip_special_tokens=True),
            "onnx_output": tokenizer.decode(built_ids, skip_special_tokens=True),
            "matching_prefix_tokens": matching,
            "float32_tokens": len(reference_ids),
        })
        print(f"  {prompt!r}: {matching}/{len(reference_ids)} tokens match float32", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, required=True, help="GGUF file to convert")
    parser.add_argument("--reference-dir", type=Path, required=True, help="output folder for the float32 model")
    parser.add_argument("--output-dir", type=Path, required=True, help="output folder for the ONNX model")
    parser.add_argument("--work-dir", type=Path, required=True, help="folder for temporary files and logs")
    parser.add_argument("--precision", required=True, choices=["int4", "int8", "fp32"])
    parser.add_argument("--extra-options", default="{}", help="builder --extra_options as a JSON object")
    parser.add_argument("--context-window", type=int, required=True, help="served context window in tokens")
    parser.add_argument("--report", type=Path, required=True, help="JSON file for the greedy comparison")
    parser.add_argument("--optimize-offline", action="store_true", help="save the optimized graph (offline_optimize.py)")
    args = parser.parse_args()

    extra_options = json.loads(args.extra_options)
    gguf_weights = extra_options.pop("gguf_weights", None)
    if gguf_weights is not None:
        if args.precision != "int4":
            sys.exit(f"gguf_weights needs precision int4, not {args.precision}")
        try:
            gguf_correction.validate_settings(gguf_weights)
        except ValueError as exc:
            sys.exit(f"invalid gguf_weights in the recipe: {exc}")

    print("  dequantizing GGUF to float32", file=sys.stderr)
    dequantize_gguf(args.gguf, args.reference_dir)
    print(f"  exporting {args.precision} ONNX model", file=sys.stderr)
    build_onnx(args, extra_options)
    set_default_max_length(args.output_dir, args.context_window)
    report: dict[str, object] = {}
    if gguf_weights is not None:
        print("  rewriting the int4 weights from the GGUF blocks", file=sys.stderr)
        try:
            report["gguf_weights"] = gguf_correction.apply(
                args.gguf, args.reference_dir, args.output_dir, gguf_weights
            )
        except (gguf_correction.GgufLayoutError, ValueError) as exc:
            sys.exit(f"cannot rewrite the weights from {args.gguf.name}: {exc}")
    if args.optimize_offline:
        print("  saving the optimized graph", file=sys.stderr)
        try:
            report["offline_optimization"] = offline_optimize.apply(
                args.output_dir, args.work_dir, check_prompt_ids(args.reference_dir), CHECK_MAX_NEW_TOKENS
            )
        except offline_optimize.OptimizationMismatchError as exc:
            sys.exit(str(exc))
    print("  comparing greedy outputs with float32", file=sys.stderr)
    report["greedy_comparison"] = compare_greedy_outputs(args.reference_dir, args.output_dir)
    args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
