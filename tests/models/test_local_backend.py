import pytest

from sluicegate.backends.base import ChatMessage, GenerationRequest, SamplingParams
from sluicegate.backends.local import LocalBackend
from sluicegate.errors import ServiceUnavailableError
from sluicegate.settings import load_settings


def test_missing_model_is_unavailable(tmp_path, caplog):
    settings = load_settings({"SLUICEGATE_MODEL_DIR": str(tmp_path)})
    with pytest.raises(ServiceUnavailableError) as caught:
        LocalBackend.from_settings(settings)
    # The client message names the model but no server path.
    assert "smollm2-135m-instruct" in caught.value.message
    assert str(tmp_path) not in caught.value.message
    assert "make models" in caplog.text


@pytest.mark.model
def test_from_settings_loads_model(chat_location, model_dir):
    settings = load_settings({"SLUICEGATE_MODEL_DIR": str(model_dir), "SLUICEGATE_INFERENCE_THREADS": "1"})
    backend = LocalBackend.from_settings(settings)

    assert backend.name == "local"
    assert backend.model.intra_op_threads == 1
    assert backend.context_window() == 2048
    request = GenerationRequest(
        (ChatMessage("user", "What is the capital of France?"),), SamplingParams(max_tokens=16, temperature=0)
    )
    result = backend.generate(request)
    assert "Paris" in result.text
