"""Optimize the ONNX graph once at build time, so that loading it skips the optimizer.

onnxruntime optimizes a graph every time it creates a session. For the int4
SmolLM2 model that took about 35 ms of each load, and the constant folding
made a second 28 MB copy of the tied embedding (the embedding reads the LM
head's 8-bit blocks through a Reshape). Here onnxruntime saves its optimized
graph at the ``ORT_ENABLE_EXTENDED`` level, which leaves out the
hardware-specific layout changes of ``ORT_ENABLE_ALL``. Identical initializers
are then written once and shared through their external-data offsets, and
genai_config.json sets the optimization level to ``ORT_DISABLE_ALL``, so that
onnxruntime-genai loads the graph without optimizing it again.

The build fails unless the optimized model's greedy tokens equal the original
model's on the check prompts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

MODEL_FILE = "model.onnx"
DATA_FILE = "model.onnx.data"
# onnxruntime maps external data into memory when an initializer starts on a page boundary.
ALIGNMENT = 4096
# Smaller initializers stay inside model.onnx.
MIN_EXTERNAL_BYTES = 1024
SAVED_LEVEL = "ORT_ENABLE_EXTENDED"
LOAD_LEVEL = "ORT_DISABLE_ALL"


class OptimizationMismatchError(RuntimeError):
    """The optimized model does not generate the same greedy tokens as the original."""


def greedy_tokens(model_dir: Path, prompts: Sequence[Sequence[int]], new_tokens: int) -> list[list[int]]:
    import onnxruntime_genai as og

    model = og.Model(str(model_dir))
    outputs = []
    for prompt in prompts:
        params = og.GeneratorParams(model)
        params.set_search_options(max_length=len(prompt) + new_tokens, do_sample=False)
        generator = og.Generator(model, params)
        generator.append_tokens(list(prompt))
        tokens = []
        while not generator.is_done():
            generator.generate_next_token()
            tokens.append(int(generator.get_next_tokens()[0]))
        outputs.append(tokens)
    return outputs


def save_optimized_graph(model_dir: Path, target_dir: Path) -> None:
    """Write onnxruntime's optimized graph of ``model_dir/model.onnx`` into ``target_dir``."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(target_dir / MODEL_FILE)
    options.add_session_config_entry("session.optimized_model_external_initializers_file_name", DATA_FILE)
    options.add_session_config_entry(
        "session.optimized_model_external_initializers_min_size_in_bytes", str(MIN_EXTERNAL_BYTES)
    )
    ort.InferenceSession(str(model_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"])


def share_identical_initializers(source: Path, target_dir: Path) -> dict[str, int]:
    """Rewrite ``source`` into ``target_dir`` with each distinct initializer stored once; return counts."""
    import onnx

    model = onnx.load(str(source))
    offsets: dict[bytes, int] = {}
    shared = 0
    with (target_dir / DATA_FILE).open("wb") as data:
        position = 0
        for tensor in model.graph.initializer:
            raw = tensor.raw_data
            if len(raw) < MIN_EXTERNAL_BYTES:
                continue
            digest = hashlib.sha256(raw).digest()
            if digest in offsets:
                shared += 1
            else:
                padding = -position % ALIGNMENT
                data.write(b"\0" * padding)
                offsets[digest] = position + padding
                data.write(raw)
                position += padding + len(raw)
            del tensor.external_data[:]
            for key, value in (("location", DATA_FILE), ("offset", str(offsets[digest])), ("length", str(len(raw)))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            tensor.data_location = onnx.TensorProto.EXTERNAL
            tensor.ClearField("raw_data")
    onnx.save(model, str(target_dir / MODEL_FILE))
    return {"stored_initializers": len(offsets), "shared_initializers": shared, "data_bytes": position}


def set_load_level(model_dir: Path) -> None:
    config_file = model_dir / "genai_config.json"
    config = json.loads(config_file.read_text())
    config["model"]["decoder"].setdefault("session_options", {})["graph_optimization_level"] = LOAD_LEVEL
    config_file.write_text(json.dumps(config, indent=4) + "\n")


def apply(model_dir: Path, work_dir: Path, check_prompts: Sequence[Sequence[int]], new_tokens: int) -> dict[str, object]:
    """Replace the model in ``model_dir`` by its optimized graph; return a report for the manifest."""
    before = greedy_tokens(model_dir, check_prompts, new_tokens)
    optimized_dir = work_dir / "optimized-graph"
    shared_dir = work_dir / "shared-initializers"
    for folder in (optimized_dir, shared_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    original_bytes = sum((model_dir / name).stat().st_size for name in (MODEL_FILE, DATA_FILE))

    save_optimized_graph(model_dir, optimized_dir)
    counts = share_identical_initializers(optimized_dir / MODEL_FILE, shared_dir)
    for name in (MODEL_FILE, DATA_FILE):
        shutil.move(str(shared_dir / name), str(model_dir / name))
    set_load_level(model_dir)

    after = greedy_tokens(model_dir, check_prompts, new_tokens)
    if after != before:
        raise OptimizationMismatchError(
            "the optimized graph generates other greedy tokens than the original; "
            "remove optimize_offline from the recipe"
        )
    return {
        "saved_level": SAVED_LEVEL,
        "load_level": LOAD_LEVEL,
        "greedy_tokens_equal": True,
        "check_tokens": sum(len(tokens) for tokens in after),
        "model_bytes_before": original_bytes,
        "model_bytes_after": sum((model_dir / name).stat().st_size for name in (MODEL_FILE, DATA_FILE)),
        **counts,
    }
