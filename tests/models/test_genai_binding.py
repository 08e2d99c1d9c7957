"""The ctypes binding of onnxruntime-genai, and the model preload built on it."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime_genai
import pytest

from sluicegate.backends.local import LocalBackend
from sluicegate.errors import ServiceUnavailableError
from sluicegate.inference import genai
from sluicegate.settings import load_settings

pytestmark = pytest.mark.model  # needs the built models (make models)


def runs_without_gil(call: Callable[[], object]) -> bool:
    """Return True if this thread ran while ``call`` was inside its foreign function.

    The switch interval is raised so far that a thread holding the GIL never
    hands it over. The helper thread sets ``entering`` just before ``call``
    and ``returned`` right after it. This thread wakes on ``entering`` and
    looks at ``returned``: if ``call`` kept the GIL, this thread could only
    wake after ``call`` returned and the helper had set ``returned``.
    """
    entering, returned = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        entering.set()
        try:
            call()
        except BaseException as exc:
            failures.append(exc)
        returned.set()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        helper = threading.Thread(target=run)
        helper.start()
        entering.wait()
        overlapped = not returned.is_set()
        helper.join()
    finally:
        sys.setswitchinterval(interval)
    if failures:
        raise failures[0]
    return overlapped


def test_model_creation_releases_the_gil(chat_location):
    lib = genai._lib()
    config, model = ctypes.c_void_p(), ctypes.c_void_p()
    genai._check(lib.OgaCreateConfig(str(chat_location.root).encode(), ctypes.byref(config)))
    try:
        # The slow call alone, so that no quicker call before it decides the check.
        assert runs_without_gil(lambda: genai._check(lib.OgaCreateModelFromConfig(config, ctypes.byref(model))))
    finally:
        lib.OgaDestroyModel(model)
        lib.OgaDestroyConfig(config)


def test_gil_check_detects_held_gil(chat_location):
    # The same C function through ctypes.PyDLL, which keeps the GIL during the call.
    library = ctypes.PyDLL(str(Path(onnxruntime_genai.__file__).parent / "libonnxruntime-genai.so"))
    create_config, create_model = library.OgaCreateConfig, library.OgaCreateModelFromConfig
    create_config.restype = create_model.restype = ctypes.c_void_p
    create_config.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    create_model.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    config, model = ctypes.c_void_p(), ctypes.c_void_p()
    assert create_config(str(chat_location.root).encode(), ctypes.byref(config)) is None
    try:
        assert not runs_without_gil(lambda: create_model(config, ctypes.byref(model)))
    finally:
        genai._lib().OgaDestroyModel(model)
        genai._lib().OgaDestroyConfig(config)


def test_prefill_releases_the_gil(chat_model):
    prompt = chat_model.tokenizer.encode("The river rose after the storm. " * 40).ids[:256]
    with genai.Generator(chat_model._model, {"max_length": len(prompt) + 1}) as generator:
        assert runs_without_gil(lambda: generator.append_tokens(prompt))


def test_greedy_decoding_matches_the_logits(chat_model):
    prompt = chat_model.tokenizer.encode("The capital of France is").ids
    with genai.Generator(chat_model._model, {"max_length": len(prompt) + 4, "do_sample": False}) as generator:
        generator.append_tokens(prompt)
        logits = generator.last_logits()
        assert logits.shape == (int(chat_model.location.manifest["vocab_size"]),)
        assert logits.dtype == np.float32
        assert generator.generate_next_token() == int(np.argmax(logits))
        assert not generator.is_done()


def test_max_length_ends_the_sequence(chat_model):
    prompt = chat_model.tokenizer.encode("One, two, three,").ids
    with genai.Generator(chat_model._model, {"max_length": len(prompt) + 3, "do_sample": False}) as generator:
        generator.append_tokens(prompt)
        tokens = []
        while not generator.is_done():
            tokens.append(generator.generate_next_token())
    assert len(tokens) == 3


def test_unknown_search_option_named(chat_model):
    with pytest.raises(RuntimeError, match="no_such_option"):
        genai.Generator(chat_model._model, {"no_such_option": 1})


def test_missing_model_folder_raises(tmp_path):
    with pytest.raises(RuntimeError):
        genai.Model.load(tmp_path)


def test_closed_model_cannot_start_a_generator(chat_location):
    model = genai.Model.load(chat_location.root)
    model.close()
    with pytest.raises(RuntimeError, match="closed"):
        genai.Generator(model, {"max_length": 8})


def test_preload_is_used_by_from_settings(model_dir):
    settings = load_settings({"SLUICEGATE_MODEL_DIR": str(model_dir), "SLUICEGATE_INFERENCE_THREADS": "1"})
    future = LocalBackend.start_preload(settings)
    assert LocalBackend.start_preload(settings) is future  # one load per settings

    backend = LocalBackend.from_settings(settings)

    assert backend is future.result()
    assert backend.model.load_seconds is not None
    # The backend is shared: later calls with the same settings load nothing.
    assert LocalBackend.from_settings(settings) is backend
    assert LocalBackend.start_preload(settings).result() is backend


def test_failed_preload_retried_and_logged(tmp_path, caplog):
    settings = load_settings({"SLUICEGATE_MODEL_DIR": str(tmp_path)})
    future = LocalBackend.start_preload(settings)
    with pytest.raises(ServiceUnavailableError):
        future.result()

    # Between the two attempts the manifest appears, broken.
    (tmp_path / "smollm2-135m-instruct").mkdir()
    (tmp_path / "smollm2-135m-instruct" / "manifest.json").write_text("{")
    with pytest.raises(ServiceUnavailableError) as caught:
        LocalBackend.from_settings(settings)

    assert "smollm2-135m-instruct" in caught.value.message
    assert "an earlier load of the local model failed (model manifest not found" in caplog.text
    assert "loading it again" in caplog.text
    # The error comes from the second attempt, which read the broken manifest.
    assert "is not valid JSON" in str(caught.value.__cause__)
    # The failure is not kept: the next call looks at the files again.
    (tmp_path / "smollm2-135m-instruct" / "manifest.json").unlink()
    with pytest.raises(ServiceUnavailableError) as again:
        LocalBackend.from_settings(settings)
    assert "model manifest not found" in str(again.value.__cause__)


def test_preload_retried_after_any_error(model_dir, monkeypatch, caplog):
    from sluicegate.backends import local

    real_resolve = local.resolve_model
    calls: list[int] = []

    def resolve_once_failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real_resolve(*args, **kwargs)

    monkeypatch.setattr(local, "resolve_model", resolve_once_failing)
    # Three threads: settings that no other test loads a model with, so no finished load is reused.
    settings = load_settings({"SLUICEGATE_MODEL_DIR": str(model_dir), "SLUICEGATE_INFERENCE_THREADS": "3"})
    with pytest.raises(ServiceUnavailableError):
        LocalBackend.start_preload(settings).result(timeout=120)

    backend = LocalBackend.from_settings(settings)

    assert len(calls) == 2
    assert backend.model.load_seconds is not None
    assert "No space left on device" in caplog.text


def test_s3_client_failure_never_hangs(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_PROFILE", "sluicegate-no-such-profile")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    settings = load_settings({"SLUICEGATE_MODEL_BUCKET": "sluicegate-models-test", "SLUICEGATE_MODEL_DIR": str(tmp_path)})
    with pytest.raises(ServiceUnavailableError):
        LocalBackend.start_preload(settings).result(timeout=60)
    with pytest.raises(ServiceUnavailableError) as caught:
        LocalBackend.from_settings(settings)
    assert "sluicegate-no-such-profile" in str(caught.value.__cause__)


def test_chat_graph_optimized_at_build(chat_location):
    report = chat_location.manifest["build"]["checks"]["offline_optimization"]
    assert report["greedy_tokens_equal"] is True
    # The tied embedding's 8-bit blocks are stored once, for the LM head and the embedding.
    assert report["shared_initializers"] >= 1
    assert report["data_bytes"] == (chat_location.root / "model.onnx.data").stat().st_size
    config = json.loads((chat_location.root / "genai_config.json").read_text())
    assert config["model"]["decoder"]["session_options"]["graph_optimization_level"] == "ORT_DISABLE_ALL"


EXIT_SCRIPT = """
import sys, threading, time
from pathlib import Path
from sluicegate.inference import genai

work, folder, delay = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
if work == "load":
    target = lambda: genai.Model.load(folder)
else:
    model = genai.Model.load(folder)

    def target():
        with genai.Generator(model, {"max_length": 2000, "min_length": 2000}) as generator:
            generator.append_tokens(list(range(100, 600)))
            while True:
                generator.generate_next_token()

threading.Thread(target=target, daemon=True).start()
time.sleep(delay)
"""


@pytest.mark.parametrize("work", ["load", "decode"])
@pytest.mark.parametrize("delay_s", [0.05, 0.15, 0.25])
def test_exit_during_native_call_is_clean(chat_location, work, delay_s):
    # Without the wait at exit, the process crashed with SIGSEGV in some of these runs.
    result = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, work, str(chat_location.root), str(delay_s)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
