import json

import pytest

from model_build.cache import build_key, cached_build_is_valid, code_fingerprint, link_into_checkout

RECIPE = {"name": "fake-embedder", "kind": "embedding", "source": {"package": "fake", "version": "1"}}
CODE = '''"""Module docstring."""


def convert(x):
    """Convert x."""
    return x + 1  # a comment
'''


@pytest.fixture
def code_file(tmp_path):
    path = tmp_path / "convert.py"
    path.write_text(CODE)
    return path


@pytest.fixture
def requirements(tmp_path):
    path = tmp_path / "models.txt"
    path.write_text("torch==2.13.0\n")
    return path


def test_fingerprint_ignores_docs_and_comments(tmp_path, code_file):
    edited = tmp_path / "edited.py"
    edited.write_text(CODE.replace("Convert x.", "Add one to x.").replace("# a comment", "# another"))
    assert code_fingerprint(edited) == code_fingerprint(code_file)


def test_fingerprint_changes_with_code(tmp_path, code_file):
    edited = tmp_path / "edited.py"
    edited.write_text(CODE.replace("x + 1", "x + 2"))
    assert code_fingerprint(edited) != code_fingerprint(code_file)


def test_build_key_follows_inputs(code_file, requirements):
    key = build_key(RECIPE, requirements, [code_file])
    assert len(key) == 12
    assert build_key(RECIPE, requirements, [code_file]) == key

    assert build_key({**RECIPE, "source": {"package": "fake", "version": "2"}}, requirements, [code_file]) != key
    requirements.write_text("torch==2.14.0\n")
    assert build_key(RECIPE, requirements, [code_file]) != key


def test_valid_cached_build_is_accepted(tmp_path, write_fake_model):
    write_fake_model(tmp_path / "build")
    assert cached_build_is_valid(tmp_path / "build")


def test_corrupt_cached_build_is_rejected(tmp_path, write_fake_model):
    write_fake_model(tmp_path / "build")
    (tmp_path / "build" / "model.onnx").write_bytes(b"not really onnX")
    assert not cached_build_is_valid(tmp_path / "build")


def test_cached_build_needs_reference_folder(tmp_path, write_fake_model):
    manifest_path = write_fake_model(tmp_path / "build")
    data = json.loads(manifest_path.read_text())
    data["reference"] = {"path": "reference-fp32"}
    manifest_path.write_text(json.dumps(data))
    assert not cached_build_is_valid(tmp_path / "build")

    (tmp_path / "build" / "reference-fp32").mkdir()
    assert cached_build_is_valid(tmp_path / "build")


def test_link_points_at_latest_build(tmp_path, write_fake_model):
    first, second = tmp_path / "cache" / "a", tmp_path / "cache" / "b"
    write_fake_model(first)
    write_fake_model(second)
    model_folder = tmp_path / "models" / "fake-embedder"

    link_into_checkout(first, model_folder)
    assert (model_folder / "build").resolve() == first.resolve()
    link_into_checkout(second, model_folder)
    assert (model_folder / "build").resolve() == second.resolve()
    assert (model_folder / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()


def test_link_rejects_real_build_folder(tmp_path, write_fake_model):
    write_fake_model(tmp_path / "cache")
    (tmp_path / "models" / "fake-embedder" / "build").mkdir(parents=True)
    with pytest.raises(FileExistsError, match="real folder"):
        link_into_checkout(tmp_path / "cache", tmp_path / "models" / "fake-embedder")


def test_build_key_ignores_notes(code_file, requirements):
    key = build_key(RECIPE, requirements, [code_file])
    with_notes = {**RECIPE, "context_window_notes": "why", "source": {**RECIPE["source"], "notes": ["how"]}}
    assert build_key(with_notes, requirements, [code_file]) == key
