"""Rewrite the int4 weights of a SmolLM2 ONNX model from the source GGUF blocks.

The GGUF file stores the decoder projections as Q4_1 and the tied embedding as
Q8_0, both in blocks of 32 weights along the input dimension:

* Q4_1: ``w = d * q + m`` with ``q`` in 0..15 and fp16 ``d``, ``m`` per block.
* Q8_0: ``w = d * q`` with int8 ``q`` and fp16 ``d`` per block.

onnxruntime's MatMulNBits computes ``w = scale * (q - zp)`` with an integer
zero point ``zp``. Taking ``scale = d`` and the GGUF ``q`` as they are, the
4-bit weights differ from the GGUF weights by one constant per row and block,

    R = m + d * zp,

so ``y = x @ W.T = x @ W4.T + S(x) @ R.T``, where ``S_b(x)`` is the sum of the
inputs in block ``b``. A layer handles ``R`` in one of two ways:

* exact correction: the graph computes ``S(x) @ R.T`` with a ReduceSum and a
  small MatMul, which reproduces the GGUF layer up to float rounding.
* calibrated rounding: ``zp`` is ``floor`` or ``ceil`` of ``-m / d``, chosen to
  minimise ``r @ C @ r`` per row (``C`` is the covariance of ``S(x)`` on
  calibration text), and the MatMulNBits bias is ``E[S(x)] @ R.T``, so only the
  zero-mean part of the error remains.

The LM head and the embedding share one 8-bit tensor, which becomes the Q8_0
blocks themselves with ``zp = 128``. The builder's graph, genai_config.json and
the LM head pruning nodes stay as they are. Only MatMulNBits inputs change, and
correction nodes are added.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

BLOCK_SIZE = 32
Q4_1_BLOCK_BYTES = 20  # fp16 d, fp16 m, 16 bytes holding 32 nibbles
Q8_0_BLOCK_BYTES = 34  # fp16 d, 32 int8 values
CALIBRATION_MAX_TOKENS = 1024  # per calibration text
ZERO_POINT_PASSES = 3

LAYER_KINDS = ("qkv_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# GGUF tensor names (blk.N.<name>.weight) of the Hugging Face projections.
GGUF_PROJECTIONS = {
    "q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v", "o_proj": "attn_output",
    "gate_proj": "ffn_gate", "up_proj": "ffn_up", "down_proj": "ffn_down",
}
# ONNX node kind -> Hugging Face projections whose rows it concatenates.
NODE_PROJECTIONS = {
    "qkv_proj": ("q_proj", "k_proj", "v_proj"), "o_proj": ("o_proj",), "gate_proj": ("gate_proj",),
    "up_proj": ("up_proj",), "down_proj": ("down_proj",),
}
# Layers that read the same input share calibration statistics.
INPUT_GROUPS = {"qkv_proj": "qkv", "o_proj": "o", "gate_proj": "gate_up", "up_proj": "gate_up", "down_proj": "down"}
NODE_NAME = re.compile(r"^/model/layers\.(\d+)/(?:attn|mlp)/(\w+)/MatMul_Q[48]$")
SETTING_KEYS = {"exact_correction", "calibrated_rounding", "exact_lm_head", "calibration_modules",
                "calibration_questions"}
BENCH_CORPUS = Path(__file__).resolve().parents[2] / "bench" / "engine" / "corpus.py"


class GgufLayoutError(RuntimeError):
    """The GGUF file or the builder's graph does not have the layout this rewrite expects."""


def validate_settings(settings: dict[str, Any]) -> None:
    """Raise ValueError unless ``settings`` is a valid ``gguf_weights`` recipe object."""
    unknown = set(settings) - SETTING_KEYS
    if unknown:
        raise ValueError(f"gguf_weights has unknown keys {sorted(unknown)}; expected some of {sorted(SETTING_KEYS)}")
    exact = settings.get("exact_correction", [])
    calibrated = settings.get("calibrated_rounding", [])
    for kind in [*exact, *calibrated]:
        if kind not in LAYER_KINDS:
            raise ValueError(f"gguf_weights names layer kind {kind!r}; expected one of {LAYER_KINDS}")
    both = sorted(set(exact) & set(calibrated))
    if both:
        raise ValueError(f"gguf_weights lists {both} under both exact_correction and calibrated_rounding")
    if calibrated and not settings.get("calibration_modules"):
        raise ValueError("gguf_weights.calibrated_rounding needs calibration_modules")
    if not isinstance(settings.get("exact_lm_head", False), bool):
        raise ValueError("gguf_weights.exact_lm_head must be true or false")


def check_calibration_sources(modules: Iterable[str]) -> None:
    """Raise ValueError if a calibration module is also a benchmark text source.

    Calibrating on the benchmark's text would make its perplexity look better
    than it is. The benchmark's module lists are read from bench/engine/corpus.py
    without importing it; in a tree without that file there is nothing to check.
    """
    if not BENCH_CORPUS.is_file():
        return
    tree = ast.parse(BENCH_CORPUS.read_text(encoding="utf-8"))
    benchmark: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id.endswith("_SOURCES") for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            for item in value.values() if isinstance(value, dict) else [value]:
                benchmark.update([item] if isinstance(item, str) else item)
    if not benchmark:
        raise ValueError(f"found no *_SOURCES module lists in {BENCH_CORPUS}; cannot check the calibration text")
    overlap = sorted(set(modules) & benchmark)
    if overlap:
        raise ValueError(f"calibration modules {overlap} are benchmark sources in {BENCH_CORPUS}; pick other modules")


# --- GGUF blocks ---------------------------------------------------------------------------------


def _unpermute_rows(array: np.ndarray, heads: int) -> np.ndarray:
    """Undo llama.cpp's per-head row order of attn_q / attn_k (the inverse of its rotary permutation)."""
    rows = array.shape[0]
    half = rows // heads // 2
    return array.reshape(heads, half, 2, *array.shape[1:]).swapaxes(1, 2).reshape(array.shape)


def _q4_1_blocks(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``q`` [rows, cols] uint8, ``d`` and ``m`` [rows, cols / 32] float32 from Q4_1 bytes."""
    rows = raw.shape[0]
    blocks = raw.reshape(rows, -1, Q4_1_BLOCK_BYTES)
    d = blocks[:, :, 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    m = blocks[:, :, 2:4].copy().view(np.float16)[..., 0].astype(np.float32)
    nibbles = blocks[:, :, 4:]
    # Byte j contains element j in its low nibble and element j + 16 in its high nibble.
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)
    return q.reshape(rows, -1), d, m


def _q8_0_blocks(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``q`` [rows, cols] int8 and ``d`` [rows, cols / 32] float32 from Q8_0 bytes."""
    rows = raw.shape[0]
    blocks = raw.reshape(rows, -1, Q8_0_BLOCK_BYTES)
    d = blocks[:, :, 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    q = blocks[:, :, 2:].copy().view(np.int8)
    return q.reshape(rows, -1), d


def read_gguf_blocks(gguf_file: Path) -> dict[str, Any]:
    """Read the quantized blocks of a llama-architecture GGUF file, rows in Hugging Face order.

    Returns ``{"layers": [{projection: (q, d, m)}, ...], "embedding": (q, d)}``.
    Raises GgufLayoutError if a tensor is missing, has another type or an
    unexpected shape, or if the file has an untied output tensor.
    """
    from gguf import GGMLQuantizationType, GGUFReader

    reader = GGUFReader(gguf_file)

    def field(key: str) -> Any:
        if key not in reader.fields:
            raise GgufLayoutError(f"{gguf_file.name} has no metadata field {key!r}")
        return reader.fields[key].contents()

    architecture = field("general.architecture")
    if architecture != "llama":
        raise GgufLayoutError(f"{gguf_file.name} has architecture {architecture!r}; expected 'llama'")
    layer_count = int(field("llama.block_count"))
    heads = int(field("llama.attention.head_count"))
    kv_heads = int(field("llama.attention.head_count_kv"))
    tensors = {tensor.name: tensor for tensor in reader.tensors}
    if "output.weight" in tensors:
        raise GgufLayoutError(f"{gguf_file.name} has a separate output.weight; expected an LM head tied to token_embd")

    def quantized(name: str, kind: GGMLQuantizationType) -> np.ndarray:
        if name not in tensors:
            raise GgufLayoutError(f"{gguf_file.name} has no tensor {name!r}")
        tensor = tensors[name]
        if tensor.tensor_type != kind:
            raise GgufLayoutError(f"{gguf_file.name}: {name} is {tensor.tensor_type.name}; expected {kind.name}")
        cols = int(tensor.shape[0])  # GGUF lists the fastest-varying dimension first
        if cols % BLOCK_SIZE:
            raise GgufLayoutError(f"{gguf_file.name}: {name} has {cols} columns, not a multiple of {BLOCK_SIZE}")
        return np.asarray(tensor.data)

    layers = []
    for index in range(layer_count):
        layer = {}
        for projection, gguf_name in GGUF_PROJECTIONS.items():
            q, d, m = _q4_1_blocks(quantized(f"blk.{index}.{gguf_name}.weight", GGMLQuantizationType.Q4_1))
            if projection in ("q_proj", "k_proj"):
                group = heads if projection == "q_proj" else kv_heads
                q, d, m = (_unpermute_rows(array, group) for array in (q, d, m))
            layer[projection] = (q, d, m)
        layers.append(layer)
    embedding = _q8_0_blocks(quantized("token_embd.weight", GGMLQuantizationType.Q8_0))
    return {"layers": layers, "embedding": embedding}


def dequantize_q4_1(q: np.ndarray, d: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Return the float32 weights ``d * q + m`` of Q4_1 blocks."""
    rows = q.shape[0]
    return (d[:, :, None] * q.reshape(rows, -1, BLOCK_SIZE).astype(np.float32) + m[:, :, None]).reshape(rows, -1)


def check_against_reference(blocks: dict[str, Any], reference_dir: Path) -> float:
    """Check the GGUF blocks against the float32 reference weights and return the largest difference.

    The reference is transformers' own dequantization of the same file, so a
    difference means that the blocks were read or reordered wrongly, and that
    raises GgufLayoutError.
    """
    from safetensors.numpy import load_file

    weights = load_file(reference_dir / "model.safetensors")
    worst = 0.0
    for index, layer in enumerate(blocks["layers"]):
        for projection, (q, d, m) in layer.items():
            group = "mlp" if projection in ("gate_proj", "up_proj", "down_proj") else "self_attn"
            reference = weights[f"model.layers.{index}.{group}.{projection}.weight"]
            if reference.shape != q.shape:
                raise GgufLayoutError(f"layer {index} {projection}: GGUF shape {q.shape}, reference {reference.shape}")
            worst = max(worst, float(np.abs(dequantize_q4_1(q, d, m) - reference).max()))
    q, d = blocks["embedding"]
    embedding = (d[:, :, None] * q.reshape(q.shape[0], -1, BLOCK_SIZE).astype(np.float32)).reshape(q.shape)
    worst = max(worst, float(np.abs(embedding - weights["model.embed_tokens.weight"]).max()))
    if worst > 1e-6:
        raise GgufLayoutError(f"GGUF blocks differ from the float32 reference by up to {worst}; the block layout "
                              "or the q/k row order is not what this script expects")
    return worst


# --- calibration ---------------------------------------------------------------------------------


def calibration_token_ids(tokenizer: Any, modules: list[str], questions: list[str]) -> list[list[int]]:
    """Return one token sequence per module docstring, plus one sequence of all questions in the chat template."""
    sequences = []
    for name in modules:
        text = inspect.getdoc(importlib.import_module(name))
        if not text:
            raise ValueError(f"calibration module {name!r} has no docstring")
        sequences.append(tokenizer.encode(text, add_special_tokens=False)[:CALIBRATION_MAX_TOKENS])
    chat = []
    for question in questions:
        chat += tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], add_generation_prompt=True, return_dict=True
        )["input_ids"]
    if chat:
        sequences.append(chat)
    return sequences


def block_sum_statistics(reference_dir: Path, sequences: list[list[int]]) -> dict[str, np.ndarray]:
    """Return mean and covariance of the block sums ``S(x)`` at every projection input.

    Runs the float32 reference on each sequence. Keys are ``"<layer>.<group>.mean"``
    and ``"<layer>.<group>.cov"`` with groups from INPUT_GROUPS. The statistics
    are accumulated in float64 on one thread, so repeated builds on one machine
    get the same numbers.
    """
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(1)
    model = AutoModelForCausalLM.from_pretrained(reference_dir, dtype=torch.float32).eval()
    sums: dict[str, list[Any]] = {}

    def record(key: str):
        def hook(module: Any, inputs: tuple[Any, ...]) -> None:
            x = inputs[0][0].double()
            block_sums = x.reshape(x.shape[0], -1, BLOCK_SIZE).sum(-1)
            entry = sums.setdefault(key, [0, 0.0, 0.0])
            entry[0] += block_sums.shape[0]
            entry[1] = entry[1] + block_sums.sum(0)
            entry[2] = entry[2] + block_sums.T @ block_sums
        return hook

    handles = []
    for index, layer in enumerate(model.model.layers):
        handles.append(layer.self_attn.q_proj.register_forward_pre_hook(record(f"{index}.qkv")))
        handles.append(layer.self_attn.o_proj.register_forward_pre_hook(record(f"{index}.o")))
        handles.append(layer.mlp.gate_proj.register_forward_pre_hook(record(f"{index}.gate_up")))
        handles.append(layer.mlp.down_proj.register_forward_pre_hook(record(f"{index}.down")))
    with torch.inference_mode():
        for ids in sequences:
            model(torch.tensor([ids]))
    for handle in handles:
        handle.remove()

    statistics = {}
    for key, (count, total, outer) in sums.items():
        mean = (total / count).numpy()
        statistics[f"{key}.mean"] = mean
        statistics[f"{key}.cov"] = (outer / count).numpy() - np.outer(mean, mean)
    return statistics


def choose_zero_points(d: np.ndarray, m: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Return zero points (floor or ceil of ``-m / d`` in 0..15) that make ``r @ C @ r`` small per row.

    Greedy coordinate descent from ``round(-m / d)``: for each block in turn, the
    other rounding is taken if it lowers ``r @ C @ r``, where ``r = m + d * zp``.
    Changing ``r_b`` by ``delta`` changes that value by
    ``2 * delta * (r @ C[:, b]) + delta**2 * C[b, b]``.
    """
    d64, m64 = d.astype(np.float64), m.astype(np.float64)
    ratio = -m64 / np.where(d == 0, 1.0, d64)
    low, high = np.clip(np.floor(ratio), 0, 15), np.clip(np.ceil(ratio), 0, 15)
    zero_points = np.clip(np.rint(ratio), 0, 15)
    zero_points[d == 0] = 0
    residual = m64 + d64 * zero_points
    for _ in range(ZERO_POINT_PASSES):
        changed = 0
        for b in range(d.shape[1]):
            other = np.where(zero_points[:, b] == low[:, b], high[:, b], low[:, b])
            delta = d64[:, b] * (other - zero_points[:, b])
            gain = 2 * delta * (residual @ covariance[:, b]) + delta**2 * covariance[b, b]
            take = (gain < 0) & (d[:, b] != 0)
            zero_points[take, b] = other[take]
            residual[take, b] += delta[take]
            changed += int(take.sum())
        if not changed:
            break
    return zero_points.astype(np.uint8)


# --- ONNX graph ----------------------------------------------------------------------------------


def _pack_nibbles(values: np.ndarray) -> np.ndarray:
    """Pack 0..15 values along the last axis two per byte, the even element in the low nibble (MatMulNBits order)."""
    if values.shape[-1] % 2:
        values = np.concatenate([values, np.zeros(values.shape[:-1] + (1,), np.uint8)], axis=-1)
    return (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)


def int4_tensors(
    q: np.ndarray, d: np.ndarray, m: np.ndarray, zero_points: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return MatMulNBits B, scales, packed zero points and the residual ``R = m + d * zp`` of Q4_1 blocks.

    ``zero_points`` defaults to ``round(-m / d)`` clipped to 0..15. A block with
    ``d == 0`` holds the constant ``m``; it gets ``q = 1``, ``scale = m`` and
    ``zp = 0``, which reproduce it with no residual.
    """
    rows, block_count = d.shape
    q = q.reshape(rows, block_count, BLOCK_SIZE).copy()
    scale = d.copy()
    flat = d == 0
    q[flat] = 1
    scale[flat] = m[flat]
    if zero_points is None:
        ratio = -m.astype(np.float64) / np.where(flat, 1.0, d)
        zero_points = np.clip(np.rint(ratio), 0, 15).astype(np.uint8)
    zero_points = np.where(flat, 0, zero_points).astype(np.uint8)
    residual = (m.astype(np.float64) + d.astype(np.float64) * zero_points).astype(np.float32)
    residual[flat] = 0
    return _pack_nibbles(q), scale, _pack_nibbles(zero_points), residual


class GraphEditor:
    """Replaces initializers and inserts nodes of an in-memory ONNX model."""

    def __init__(self, model: Any) -> None:
        self.graph = model.graph
        self.initializers = {tensor.name: tensor for tensor in self.graph.initializer}

    def array(self, name: str) -> np.ndarray:
        from onnx import numpy_helper

        return numpy_helper.to_array(self.initializers[name])

    def add(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        if name in self.initializers:
            raise GgufLayoutError(f"initializer {name!r} already exists in the builder's graph")
        tensor = numpy_helper.from_array(value, name)
        self.graph.initializer.append(tensor)
        self.initializers[name] = tensor
        return name

    def remove(self, name: str) -> None:
        self.graph.initializer.remove(self.initializers.pop(name))

    def overwrite(self, name: str, value: np.ndarray) -> None:
        """Replace an initializer's contents, keeping its name, dtype and shape."""
        old = self.array(name)
        if old.shape != value.shape or old.dtype != value.dtype:
            raise GgufLayoutError(f"{name} is {old.dtype}{list(old.shape)} in the builder's graph; "
                                  f"the GGUF blocks give {value.dtype}{list(value.shape)}")
        self.remove(name)
        self.add(name, value)


def _attributes(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute}


def _set_attribute(node: Any, name: str, value: int) -> None:
    for attribute in node.attribute:
        if attribute.name == name:
            attribute.i = value
            return
    raise GgufLayoutError(f"{node.name} has no attribute {name!r}")


def _exact_lm_head(editor: GraphEditor, node: Any, embedding: tuple[np.ndarray, np.ndarray]) -> None:
    """Write the Q8_0 embedding blocks into the 8-bit LM head, which the embedding Gather shares."""
    q, d = embedding
    attributes = _attributes(node)
    if attributes["bits"] != 8 or attributes["block_size"] != BLOCK_SIZE or attributes["N"] != q.shape[0]:
        raise GgufLayoutError(f"{node.name} has {attributes}; expected an 8-bit LM head with block size "
                              f"{BLOCK_SIZE} and N = {q.shape[0]}")
    sharing = [other.name for other in editor.graph.node
               if other.op_type == "GatherBlockQuantized" and node.input[2] in other.input]
    if not sharing:
        raise GgufLayoutError(f"no embedding GatherBlockQuantized node shares {node.input[2]}; expected a tied "
                              "embedding (build with prune_lm_head and a tied LM head)")
    # uint8 value q + 128 with zero point 128 dequantizes to d * q, the Q8_0 weight.
    values = (q.astype(np.int16) + 128).astype(np.uint8).reshape(q.shape[0], -1, BLOCK_SIZE)
    editor.overwrite(node.input[1], values)
    editor.overwrite(node.input[2], d)
    editor.overwrite(node.input[3], np.full(d.shape, 128, np.uint8))


def _correction_nodes(node: Any, residual_name: str, block_count: int, editor: GraphEditor) -> list[Any]:
    """Return nodes that add ``S(x) @ R.T`` to ``node``'s output, renaming the MatMulNBits output."""
    from onnx import helper

    prefix = node.name + "/gguf_correction"
    shape = editor.add(prefix + "/block_shape", np.array([0, 0, block_count, BLOCK_SIZE], np.int64))
    axes = editor.add(prefix + "/axes", np.array([-1], np.int64))
    output = node.output[0]
    node.output[0] = output + "/uncorrected"
    return [
        helper.make_node("Reshape", [node.input[0], shape], [prefix + "/blocks"], name=prefix + "/Reshape"),
        helper.make_node("ReduceSum", [prefix + "/blocks", axes], [prefix + "/block_sums"],
                         name=prefix + "/ReduceSum", keepdims=0),
        helper.make_node("MatMul", [prefix + "/block_sums", residual_name], [prefix + "/output"],
                         name=prefix + "/MatMul"),
        helper.make_node("Add", [node.output[0], prefix + "/output"], [output], name=prefix + "/Add"),
    ]


def rewrite_model(
    model_dir: Path, blocks: dict[str, Any], statistics: dict[str, np.ndarray] | None, settings: dict[str, Any]
) -> dict[str, Any]:
    """Rewrite ``model_dir``/model.onnx in place as described in the module docstring; return counts for the report."""
    import onnx

    exact = set(settings.get("exact_correction", []))
    calibrated = set(settings.get("calibrated_rounding", []))
    model_file = model_dir / "model.onnx"
    model = onnx.load(str(model_file))
    editor = GraphEditor(model)
    counts = {"exact_correction": 0, "calibrated_rounding": 0, "were_8bit": 0, "kept": 0, "clipped_zero_points": 0}
    lm_head = "builder"
    new_nodes = []
    for node in list(editor.graph.node):
        new_nodes.append(node)
        if node.op_type != "MatMulNBits":
            continue
        if node.name.startswith("/lm_head/"):
            if settings.get("exact_lm_head"):
                _exact_lm_head(editor, node, blocks["embedding"])
                lm_head = "gguf_q8_0"
            continue
        match = NODE_NAME.match(node.name)
        if not match or match.group(2) not in LAYER_KINDS:
            raise GgufLayoutError(f"unexpected MatMulNBits node {node.name!r} in the builder's graph")
        index, kind = int(match.group(1)), match.group(2)
        if kind not in exact and kind not in calibrated:
            counts["kept"] += 1
            continue
        if index >= len(blocks["layers"]):
            raise GgufLayoutError(f"{node.name} is past the {len(blocks['layers'])} layers of the GGUF file")

        parts = [blocks["layers"][index][projection] for projection in NODE_PROJECTIONS[kind]]
        q, d, m = (np.concatenate([part[i] for part in parts]) for i in range(3))
        attributes = _attributes(node)
        if (attributes["N"], attributes["K"]) != q.shape or attributes["block_size"] != BLOCK_SIZE:
            raise GgufLayoutError(
                f"{node.name} has N={attributes['N']}, K={attributes['K']}, block_size={attributes['block_size']}; "
                f"the GGUF blocks are {q.shape} in blocks of {BLOCK_SIZE}"
            )
        if editor.array(node.input[2]).dtype != np.float32:
            raise GgufLayoutError(f"{node.name} has {editor.array(node.input[2]).dtype} scales; expected float32")

        group = f"{index}.{INPUT_GROUPS[kind]}"
        zero_points = None if kind in exact else choose_zero_points(d, m, statistics[group + ".cov"])
        packed, scale, packed_zero_points, residual = int4_tensors(q, d, m, zero_points)
        ratio = -m / np.where(d == 0, 1.0, d)
        counts["clipped_zero_points"] += int((((ratio < -0.5) | (ratio > 15.5)) & (d != 0)).sum())

        if len(node.input) != 4 or any(name not in editor.initializers for name in node.input[1:]):
            raise GgufLayoutError(f"{node.name} has inputs {list(node.input)}; expected A and three initializers")
        base = node.input[1].rsplit("_", 1)[0] + "_gguf"
        for name in node.input[1:]:
            editor.remove(name)
        inputs = [node.input[0], editor.add(base + "_Q4G32", packed), editor.add(base + "_scale", scale),
                  editor.add(base + "_zp", packed_zero_points)]
        if kind in calibrated:
            bias = (statistics[group + ".mean"] @ residual.T.astype(np.float64)).astype(np.float32)
            inputs += ["", editor.add(base + "_bias", bias)]  # input 4 (g_idx) stays empty
        del node.input[:]
        node.input.extend(inputs)
        counts["were_8bit"] += int(attributes["bits"] == 8)
        _set_attribute(node, "bits", 4)
        node.name = node.name[: -len("_Q8")] + "_Q4" if node.name.endswith("_Q8") else node.name
        if kind in exact:
            residual_name = editor.add(base + "_residual_T", np.ascontiguousarray(residual.T))
            new_nodes += _correction_nodes(node, residual_name, d.shape[1], editor)
            counts["exact_correction"] += 1
        else:
            counts["calibrated_rounding"] += 1

    del editor.graph.node[:]
    editor.graph.node.extend(new_nodes)
    data_file = model_dir / "model.onnx.data"
    data_file.unlink(missing_ok=True)  # onnx.load read it into memory; saving appends to an existing file
    onnx.save_model(model, str(model_file), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data_file.name, size_threshold=1024)
    return {"nodes": counts, "lm_head": lm_head}


def apply(gguf_file: Path, reference_dir: Path, model_dir: Path, settings: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the builder's int4 model in ``model_dir`` from ``gguf_file``; return what was done, for the report."""
    validate_settings(settings)
    modules = list(settings.get("calibration_modules", []))
    questions = list(settings.get("calibration_questions", []))
    blocks = read_gguf_blocks(gguf_file)
    max_difference = check_against_reference(blocks, reference_dir)

    report: dict[str, Any] = {"settings": settings, "max_abs_difference_to_reference": max_difference}
    statistics = None
    if settings.get("calibrated_rounding"):
        from transformers import AutoTokenizer

        check_calibration_sources(modules)
        sequences = calibration_token_ids(AutoTokenizer.from_pretrained(reference_dir), modules, questions)
        statistics = block_sum_statistics(reference_dir, sequences)
        digest = hashlib.sha256()
        for key in sorted(statistics):
            digest.update(key.encode() + statistics[key].tobytes())
        report["calibration"] = {
            "tokens": sum(len(ids) for ids in sequences),
            "statistics_sha256": digest.hexdigest(),
        }
    report.update(rewrite_model(model_dir, blocks, statistics, settings))
    return report
