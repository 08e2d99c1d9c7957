"""Fixtures for the model build and inference engine tests.

Tests that need the built models skip when `make models` has not run, unless
SLUICEGATE_REQUIRE_MODELS=1, which turns the skip into a failure (for CI).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sluicegate.inference.chat_model import ChatModel
from sluicegate.inference.embeddings import EmbeddingModel
from sluicegate.inference.manifest import FORMAT_VERSION, ModelFilesError, sha256_file
from sluicegate.inference.model_store import ModelLocation, resolve_local

REPO = Path(__file__).resolve().parents[2]
CHAT_MODEL = "smollm2-135m-instruct"
EMBEDDING_MODEL = "all-minilm-l6-v2"


def _model_dir() -> Path:
    return Path(os.environ.get("SLUICEGATE_MODEL_DIR") or REPO / "models")


def _built_model(name: str) -> ModelLocation:
    try:
        return resolve_local(name, _model_dir())
    except ModelFilesError as exc:
        if os.environ.get("SLUICEGATE_REQUIRE_MODELS") == "1":
            raise
        pytest.skip(f"{name} is not built ({exc})")


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return _model_dir()


@pytest.fixture(scope="session")
def chat_location() -> ModelLocation:
    return _built_model(CHAT_MODEL)


@pytest.fixture(scope="session")
def chat_model(chat_location: ModelLocation) -> ChatModel:
    model = ChatModel(chat_location)
    model.load()
    return model


@pytest.fixture(scope="session")
def embedding_model() -> EmbeddingModel:
    model = EmbeddingModel(_built_model(EMBEDDING_MODEL))
    model.load()
    return model


@pytest.fixture
def write_fake_model() -> Callable[[Path], Path]:
    return _write_fake_model


def _write_fake_model(folder: Path) -> Path:
    """Write a small fake embedding model with a valid manifest and return the manifest path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(b"not really onnx")
    (folder / "tokenizer.json").write_text("{}")
    files = [
        {"path": name, "sha256": sha256_file(folder / name), "size": (folder / name).stat().st_size}
        for name in ("model.onnx", "tokenizer.json")
    ]
    manifest = {
        "format_version": FORMAT_VERSION,
        "name": "fake-embedder",
        "kind": "embedding",
        "source": {"package": "fake", "version": "1"},
        "build": {},
        "files": files,
        "tokenizer": "tokenizer.json",
        "model_file": "model.onnx",
        "embedding_dimension": 4,
        "pooling": "mean",
        "normalize": True,
        "max_seq_length": 8,
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path
