"""Compose the manifest.json of a built model.

The format is defined and validated by ``sluicegate.inference.manifest``;
this module fills it from the build outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sluicegate.inference.manifest import FORMAT_VERSION, MANIFEST_FILENAME, parse_manifest, sha256_file

REFERENCE_DIR = "reference-fp32"

# The message line of a ChatML template in the Jinja syntax that SmolLM2 ships.
# ChatPromptEncoder reproduces exactly this structure, so any other template fails the build.
_CHATML_MESSAGE = "'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'"
_DEFAULT_SYSTEM = re.compile(r"'<\|im_start\|>system\n(?P<prompt>[^']*)<\|im_end\|>\n'")


def list_files(folder: Path) -> list[dict[str, Any]]:
    """Return path, sha256 and size of each runtime file, skipping the reference model."""
    entries = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if relative.parts[0] == REFERENCE_DIR or relative.as_posix() == MANIFEST_FILENAME:
            continue
        entries.append({"path": relative.as_posix(), "sha256": sha256_file(path), "size": path.stat().st_size})
    return entries


def chat_manifest(
    folder: Path, recipe: dict[str, Any], source: dict[str, Any], build: dict[str, Any]
) -> dict[str, Any]:
    template = (folder / "chat_template.jinja").read_text(encoding="utf-8")
    if _CHATML_MESSAGE not in template:
        raise ValueError(
            f"{folder / 'chat_template.jinja'} is not the ChatML template that ChatPromptEncoder implements"
        )
    match = _DEFAULT_SYSTEM.search(template)
    if match is None:
        raise ValueError(f"no default system prompt found in {folder / 'chat_template.jinja'}")

    genai_config = json.loads((folder / "genai_config.json").read_text())["model"]
    special_ids = _added_token_ids(folder / "tokenizer.json")
    special_tokens = {
        "bos": genai_config["bos_token_id"],
        "eos": genai_config["eos_token_id"],
        "pad": genai_config["pad_token_id"],
        "im_start": special_ids["<|im_start|>"],
        "im_end": special_ids["<|im_end|>"],
        "endoftext": special_ids["<|endoftext|>"],
    }
    data = _common(folder, recipe, source, build)
    data.update(
        context_window=recipe["context_window"],
        chat_format="chatml",
        chat_template=template,
        default_system_prompt=match.group("prompt"),
        special_tokens=special_tokens,
        stop_token_ids=sorted({special_tokens["im_end"], special_tokens["endoftext"], special_tokens["eos"]}),
        vocab_size=genai_config["vocab_size"],
    )
    return _validated(data)


def embedding_manifest(
    folder: Path, recipe: dict[str, Any], source: dict[str, Any], build: dict[str, Any], source_dir: Path
) -> dict[str, Any]:
    sentence_config = json.loads((source_dir / "sentence_bert_config.json").read_text())
    pooling = json.loads((source_dir / "1_Pooling" / "config.json").read_text())
    modules = json.loads((source_dir / "modules.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens"):
        raise ValueError(
            f"{source_dir / '1_Pooling/config.json'} does not use mean pooling, which the runtime implements"
        )

    data = _common(folder, recipe, source, build)
    data.update(
        model_file="model.onnx",
        embedding_dimension=pooling["word_embedding_dimension"],
        pooling="mean",
        normalize=any(module["type"].endswith(".Normalize") for module in modules),
        max_seq_length=sentence_config["max_seq_length"],
        onnx_output="last_hidden_state",
        # Dynamic int8 quantizes activations with one scale per session run, so a
        # text's vector would depend on the texts batched with it; one text per run
        # keeps every vector the same whatever the batch.
        rows_per_run=1 if recipe["quantization"]["precision"] == "int8" else None,
    )
    return _validated(data)


def write_manifest(folder: Path, data: dict[str, Any]) -> None:
    (folder / MANIFEST_FILENAME).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _common(
    folder: Path, recipe: dict[str, Any], source: dict[str, Any], build: dict[str, Any]
) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "name": recipe["name"],
        "kind": recipe["kind"],
        "source": source,
        "build": build,
        "tokenizer": "tokenizer.json",
        "files": list_files(folder),
        "reference": {"path": REFERENCE_DIR, "format": "transformers", "dtype": "float32"},
    }


def _added_token_ids(tokenizer_file: Path) -> dict[str, int]:
    document = json.loads(tokenizer_file.read_text(encoding="utf-8"))
    return {token["content"]: token["id"] for token in document["added_tokens"]}


def _validated(data: dict[str, Any]) -> dict[str, Any]:
    parse_manifest(data, f"being built for {data['name']}")
    return data
