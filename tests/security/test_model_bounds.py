"""The largest seed and top_k the API accepts also work with the in-function model.

onnxruntime-genai 0.18 takes both as signed 32-bit integers and raised
RuntimeError for 2**31, which made such requests fail with a 500."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sluicegate.api.chat import MAX_SEED, MAX_TOP_K
from sluicegate.backends.base import ChatMessage, SamplingParams
from sluicegate.inference.chat_model import ChatModel
from sluicegate.inference.manifest import ModelFilesError
from sluicegate.inference.model_store import resolve_local

pytestmark = pytest.mark.model  # needs the built models (make models)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chat_model() -> ChatModel:
    try:
        location = resolve_local("smollm2-135m-instruct", Path(os.environ.get("SLUICEGATE_MODEL_DIR") or ROOT / "models"))
    except ModelFilesError as exc:
        if os.environ.get("SLUICEGATE_REQUIRE_MODELS") == "1":
            raise
        pytest.skip(f"the chat model is not built ({exc})")
    model = ChatModel(location)
    model.load()
    return model


@pytest.mark.parametrize(("seed", "top_k"), [(MAX_SEED, MAX_TOP_K), (0, 1)])
def test_sampling_at_api_bounds(chat_model, seed, top_k):
    params = SamplingParams(max_tokens=2, temperature=0.7, top_k=top_k, seed=seed)
    completion = chat_model.stream(chat_model.render_prompt_ids((ChatMessage("user", "Hi"),)), params)
    "".join(completion)
    assert completion.completion_tokens >= 1
