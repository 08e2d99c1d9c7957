"""Export the all-MiniLM-L6-v2 encoder to ONNX and check it against PyTorch.

Runs inside the build venv (it imports torch and transformers), started by
scripts/build_models.py. The ONNX model outputs ``last_hidden_state``. Mean
pooling and L2 normalisation happen at run time in numpy, so the report
compares pooled, normalised embeddings of both models.
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


def compare_with_pytorch(wrapper: torch.nn.Module, source_dir: Path, onnx_file: Path, max_length: int) -> dict:
    import onnxruntime as ort

    tokenizer = AutoTokenizer.from_pretrained(source_dir)
    batch = tokenizer(list(CHECK_SENTENCES), padding=True, truncation=True, max_length=max_length, return_tensors="np")
    inputs = {name: batch[name].astype(np.int64) for name in INPUT_NAMES}
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    onnx_embeddings = mean_pool_normalize(session.run(None, inputs)[0], inputs["attention_mask"])
    with torch.no_grad():
        hidden = wrapper(*(torch.from_numpy(inputs[name]) for name in INPUT_NAMES)).numpy()
    torch_embeddings = mean_pool_normalize(hidden, inputs["attention_mask"])

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source-dir", type=Path, required=True, help="sentence-transformers model folder")
    parser.add_argument("--reference-dir", type=Path, required=True, help="output folder for a copy of the source")
    parser.add_argument("--output-dir", type=Path, required=True, help="output folder for the ONNX model")
    parser.add_argument("--opset", type=int, required=True, help="ONNX opset version")
    parser.add_argument("--max-seq-length", type=int, required=True, help="tokens per input after truncation")
    parser.add_argument("--report", type=Path, required=True, help="JSON file for the PyTorch comparison")
    args = parser.parse_args()

    args.output_dir.mkdir(parents=True, exist_ok=True)
    onnx_file = args.output_dir / "model.onnx"
    print("  exporting float32 ONNX model", file=sys.stderr)
    wrapper = export(args.source_dir, onnx_file, args.opset)
    shutil.copy2(args.source_dir / "tokenizer.json", args.output_dir / "tokenizer.json")
    shutil.copytree(args.source_dir, args.reference_dir)
    report = compare_with_pytorch(wrapper, args.source_dir, onnx_file, args.max_seq_length)
    args.report.write_text(json.dumps({"pytorch_comparison": report}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
