"""Export the all-MiniLM-L6-v2 encoder to ONNX, quantize it, and check both against PyTorch.

Runs inside the build venv (it imports torch and transformers), started by
scripts/build_models.py. The ONNX model outputs ``last_hidden_state``. Mean
pooling and L2 normalisation happen at run time in numpy, so the reports
compare pooled, normalised embeddings of both models.

With ``--quantization`` set to int8, the float32 export is fused by
onnxruntime's BERT optimizer (attention, embedding and skip layer norms,
bias GELU) and then quantized dynamically to int8, except the MatMul nodes
the recipe keeps in float32. The build fails unless every check sentence
keeps a cosine of at least ``min_cosine`` with PyTorch.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
CHECK_SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Serverless functions scale to zero when idle.",
    "short",
    "Émojis 🚀 and accents: café, naïve, Zürich.",
)
MIN_COSINE = 0.9999
# The docstrings of these modules and of their public functions and classes make
# the int8 check sentences. None of the modules is in the engine benchmark's
# corpus (bench/engine/corpus.py).
QUANTIZATION_CHECK_MODULES = (
    "os", "shutil", "pathlib", "functools", "threading", "datetime", "decimal", "textwrap", "operator",
    "zipfile", "tarfile", "urllib.parse", "http.client", "email.message", "hashlib", "struct", "uuid",
    "pprint", "gettext", "locale", "codecs", "tokenize",
)
QUANTIZATION_CHECK_SENTENCES = 256


class LastHiddenState(torch.nn.Module):
    """BertModel without its pooler, with the attention mask built in plain tensor ops.

    BertModel.forward in transformers 5 builds its mask with code that the
    TorchScript exporter traces as constants, so the wrapper builds the
    additive mask itself and calls the embeddings and encoder directly.
    """

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        embeddings = self.bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        blocked = 1.0 - attention_mask[:, None, None, :].to(embeddings.dtype)
        additive_mask = blocked * torch.finfo(embeddings.dtype).min
        return self.bert.encoder(embeddings, attention_mask=additive_mask).last_hidden_state


def export(source_dir: Path, onnx_file: Path, opset: int) -> torch.nn.Module:
    bert = AutoModel.from_pretrained(source_dir, dtype=torch.float32, attn_implementation="eager")
    wrapper = LastHiddenState(bert).eval()
    # A padded example, so the traced graph takes the masked path.
    input_ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 7592, 2088, 2003, 102]])
    attention_mask = (input_ids != 0).long()
    dynamic_axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUT_NAMES, "last_hidden_state")}
    with warnings.catch_warnings():
        # torch 2.13 warns that the TorchScript exporter is legacy. The dynamo
        # exporter needs onnxscript, which the build venv does not install.
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        torch.onnx.export(
            wrapper, (input_ids, attention_mask, torch.zeros_like(input_ids)), str(onnx_file),
            input_names=list(INPUT_NAMES), output_names=["last_hidden_state"],
            dynamic_axes=dynamic_axes, opset_version=opset, dynamo=False,
        )
    return wrapper.eval()


def mean_pool_normalize(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def pooled_embeddings(
    wrapper: torch.nn.Module, tokenizer, onnx_file: Path, sentences: list[str], max_length: int, batch_size: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """Return the normalised embeddings of ``sentences`` from ONNX and from PyTorch, batch by batch."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    onnx_rows, torch_rows = [], []
    for start in range(0, len(sentences), batch_size):
        batch = tokenizer(
            sentences[start : start + batch_size], padding=True, truncation=True, max_length=max_length,
            return_tensors="np",
        )
        inputs = {name: batch[name].astype(np.int64) for name in INPUT_NAMES}
        onnx_rows.append(mean_pool_normalize(session.run(None, inputs)[0], inputs["attention_mask"]))
        with torch.no_grad():
            hidden = wrapper(*(torch.from_numpy(inputs[name]) for name in INPUT_NAMES)).numpy()
        torch_rows.append(mean_pool_normalize(hidden, inputs["attention_mask"]))
    return np.concatenate(onnx_rows), np.concatenate(torch_rows)


def compare_with_pytorch(wrapper: torch.nn.Module, source_dir: Path, onnx_file: Path, max_length: int) -> dict:
    tokenizer = AutoTokenizer.from_pretrained(source_dir)
    onnx_embeddings, torch_embeddings = pooled_embeddings(
        wrapper, tokenizer, onnx_file, list(CHECK_SENTENCES), max_length, batch_size=len(CHECK_SENTENCES)
    )
    cosine = (onnx_embeddings * torch_embeddings).sum(axis=1)
    report = {
        "sentences": list(CHECK_SENTENCES),
        "min_cosine": float(cosine.min()),
        "max_abs_difference": float(np.abs(onnx_embeddings - torch_embeddings).max()),
        "float32_first_values": [[round(float(v), 6) for v in row[:5]] for row in torch_embeddings],
    }
    print(f"  ONNX vs PyTorch: min cosine {report['min_cosine']:.6f}", file=sys.stderr)
    if report["min_cosine"] < MIN_COSINE:
        sys.exit(f"ONNX export differs from PyTorch: min cosine {report['min_cosine']:.6f} < {MIN_COSINE}")
    return report


def check_sentences(count: int) -> list[str]:
    """Return ``count`` distinct sentences of at least four words from QUANTIZATION_CHECK_MODULES' docstrings."""
    import importlib
    import inspect
    import re

    per_module: list[list[str]] = []
    for name in QUANTIZATION_CHECK_MODULES:
        module = importlib.import_module(name)
        members = [module] + [
            member for member_name, member in sorted(vars(module).items())
            if not member_name.startswith("_") and (inspect.isfunction(member) or inspect.isclass(member))
        ]
        sentences_of_module = []
        for member in members:
            text = re.sub(r"\s+", " ", inspect.getdoc(member) or "")
            sentences_of_module += [part.strip() for part in re.split(r"(?<=[.!?])\s+", text) if len(part.split()) >= 4]
        per_module.append(sentences_of_module)
    # Take the modules in turn, so that every module contributes.
    found: dict[str, None] = {}
    for position in range(max(len(sentences) for sentences in per_module)):
        for sentences_of_module in per_module:
            if position < len(sentences_of_module):
                found.setdefault(sentences_of_module[position], None)
    sentences = list(found)
    if len(sentences) < count:
        sys.exit(f"found {len(sentences)} check sentences in the standard library, expected at least {count}")
    return sentences[:count]


def scale_scores_by_division(model) -> int:
    """Rewrite each attention's ``Mul(scores, 1/sqrt(d))`` as ``Div(scores, sqrt(d))``; return how many.

    transformers 5 scales the scores with a Mul, and the exported additive mask
    is a Mul too. onnxruntime 1.32's attention fusion takes the first Mul parent
    it finds, so it fails on every layer unless the scaling is a Div, as in the
    BERT graphs the fusion was written for.
    """
    from onnx import numpy_helper

    constants = {node.output[0]: node for node in model.graph.node if node.op_type == "Constant"}
    rewritten = 0
    for node in model.graph.node:
        if node.op_type != "Mul" or not node.name.endswith("attention/self/Mul") or node.input[1] not in constants:
            continue
        scale = numpy_helper.to_array(constants[node.input[1]].attribute[0].t)
        divisor = f"{node.name}/divisor"
        model.graph.initializer.append(numpy_helper.from_array(np.asarray(1.0 / scale, dtype=np.float32), divisor))
        node.op_type = "Div"
        node.input[1] = divisor
        rewritten += 1
    return rewritten


def quantize(float_file: Path, output_file: Path, work_dir: Path, settings: dict, num_layers: int, heads: int, hidden: int) -> dict:
    """Fuse the float32 graph and quantize it to int8; return what was done, for the manifest."""
    from collections import Counter

    import onnx
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    # The optimizer's sessions warn about every initializer the fusion leaves unused.
    onnxruntime.set_default_logger_severity(3)
    model = onnx.load(str(float_file))
    rewritten = scale_scores_by_division(model)
    if rewritten != num_layers:
        sys.exit(f"found {rewritten} attention score scalings to rewrite, expected {num_layers}; the export changed")
    divided = work_dir / "model-div.onnx"
    onnx.save(model, str(divided))

    fused = optimize_model(str(divided), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1)
    fused_ops = Counter(node.op_type for node in fused.model.graph.node)
    if fused_ops["Attention"] != num_layers:
        sys.exit(f"the BERT fusion made {fused_ops['Attention']} Attention nodes, expected {num_layers}")
    fused_file = work_dir / "model-fused.onnx"
    fused.save_model_to_file(str(fused_file))

    float_nodes = list(settings["float32_nodes"])
    known = {node.name for node in fused.model.graph.node}
    missing = [name for name in float_nodes if name not in known]
    if missing:
        sys.exit(f"the recipe keeps nodes in float32 that the fused graph does not have: {missing}")
    quantize_dynamic(
        str(fused_file), str(output_file), weight_type=QuantType.QInt8, per_channel=True,
        op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=float_nodes,
        # Shape inference cannot type the outputs of the fused contrib operators.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    quantized_ops = Counter(node.op_type for node in onnx.load(str(output_file)).graph.node)
    return {
        "fused_operators": dict(sorted(fused_ops.items())),
        "quantized_operators": dict(sorted(quantized_ops.items())),
        "float32_nodes": float_nodes,
    }


def check_quantized(wrapper, source_dir: Path, onnx_file: Path, max_length: int, min_cosine: float) -> dict:
    tokenizer = AutoTokenizer.from_pretrained(source_dir)
    sentences = check_sentences(QUANTIZATION_CHECK_SENTENCES)
    # One sentence per run, as EmbeddingModel runs an int8 model (the manifest's rows_per_run).
    onnx_embeddings, torch_embeddings = pooled_embeddings(
        wrapper, tokenizer, onnx_file, sentences, max_length, batch_size=1
    )
    cosine = (onnx_embeddings * torch_embeddings).sum(axis=1)
    report = {
        "sentences": len(sentences),
        "modules": list(QUANTIZATION_CHECK_MODULES),
        "min_cosine": round(float(cosine.min()), 6),
        "mean_cosine": round(float(cosine.mean()), 6),
        "required_min_cosine": min_cosine,
    }
    print(f"  int8 vs PyTorch on {len(sentences)} sentences: min cosine {report['min_cosine']:.4f}", file=sys.stderr)
    if report["min_cosine"] < min_cosine:
        sys.exit(f"the int8 model differs from PyTorch: min cosine {report['min_cosine']:.4f} < {min_cosine}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, required=True, help="sentence-transformers model folder")
    parser.add_argument("--reference-dir", type=Path, required=True, help="output folder for a copy of the source")
    parser.add_argument("--output-dir", type=Path, required=True, help="output folder for the ONNX model")
    parser.add_argument("--opset", type=int, required=True, help="ONNX opset version")
    parser.add_argument("--max-seq-length", type=int, required=True, help="tokens per input after truncation")
    parser.add_argument("--report", type=Path, required=True, help="JSON file for the PyTorch comparison")
    parser.add_argument("--work-dir", type=Path, required=True, help="folder for intermediate models")
    parser.add_argument("--quantization", default='{"precision": "fp32"}', help="the recipe's quantization object as JSON")
    args = parser.parse_args()
    settings = json.loads(args.quantization)

    args.output_dir.mkdir(parents=True, exist_ok=True)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    onnx_file = args.output_dir / "model.onnx"
    float_file = onnx_file if settings["precision"] == "fp32" else args.work_dir / "model-fp32.onnx"
    print("  exporting float32 ONNX model", file=sys.stderr)
    wrapper = export(args.source_dir, float_file, args.opset)
    shutil.copy2(args.source_dir / "tokenizer.json", args.output_dir / "tokenizer.json")
    shutil.copytree(args.source_dir, args.reference_dir)
    report = {"pytorch_comparison": compare_with_pytorch(wrapper, args.source_dir, float_file, args.max_seq_length)}
    if settings["precision"] == "int8":
        config = json.loads((args.source_dir / "config.json").read_text())
        print("  fusing and quantizing to int8", file=sys.stderr)
        report["int8"] = quantize(
            float_file, onnx_file, args.work_dir, settings, config["num_hidden_layers"],
            config["num_attention_heads"], config["hidden_size"],
        )
        report["int8"]["pytorch_comparison"] = check_quantized(
            wrapper, args.source_dir, onnx_file, args.max_seq_length, float(settings["min_cosine"])
        )
    elif settings["precision"] != "fp32":
        sys.exit(f"unsupported precision {settings['precision']!r} for the embedding model; use fp32 or int8")
    args.report.write_text(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
