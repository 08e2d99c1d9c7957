import hashlib
import json

import pytest

from sluicegate.inference.manifest import (
    FORMAT_VERSION,
    ModelFilesError,
    load_manifest,
    parse_manifest,
    sha256_file,
    verify_files,
)


def test_valid_manifest_loads_and_verifies(tmp_path, write_fake_model):
    manifest = load_manifest(write_fake_model(tmp_path))
    assert manifest.name == "fake-embedder"
    assert [entry.path for entry in manifest.files] == ["model.onnx", "tokenizer.json"]
    verify_files(manifest, tmp_path)


def test_checksum_mismatch_names_file_and_fix(tmp_path, write_fake_model):
    manifest = load_manifest(write_fake_model(tmp_path))
    (tmp_path / "model.onnx").write_bytes(b"not really onnX")  # same size, other bytes

    with pytest.raises(ModelFilesError) as caught:
        verify_files(manifest, tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "model.onnx") in message
    assert "sha256" in message
    assert "make models" in message


def test_checksum_skip_still_checks_size(tmp_path, write_fake_model):
    manifest = load_manifest(write_fake_model(tmp_path))
    (tmp_path / "model.onnx").write_bytes(b"not really onnX")
    verify_files(manifest, tmp_path, check_checksums=False)

    (tmp_path / "model.onnx").write_bytes(b"short")
    with pytest.raises(ModelFilesError, match="bytes"):
        verify_files(manifest, tmp_path, check_checksums=False)


def test_missing_file_is_named(tmp_path, write_fake_model):
    manifest = load_manifest(write_fake_model(tmp_path))
    (tmp_path / "tokenizer.json").unlink()
    with pytest.raises(ModelFilesError, match="tokenizer.json.*missing.*make models"):
        verify_files(manifest, tmp_path)


def test_missing_manifest_names_fix(tmp_path, write_fake_model):
    with pytest.raises(ModelFilesError, match="not found.*make models"):
        load_manifest(tmp_path / "manifest.json")


def test_invalid_json_is_reported(tmp_path, write_fake_model):
    path = tmp_path / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(ModelFilesError, match="not valid JSON"):
        load_manifest(path)


def test_missing_kind_keys_are_listed(tmp_path, write_fake_model):
    data = json.loads(write_fake_model(tmp_path).read_text())
    del data["max_seq_length"]
    with pytest.raises(ModelFilesError, match="max_seq_length"):
        parse_manifest(data, "test")


def test_wrong_format_version_is_rejected(tmp_path, write_fake_model):
    data = json.loads(write_fake_model(tmp_path).read_text())
    data["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(ModelFilesError, match="format_version"):
        parse_manifest(data, "test")


def test_file_outside_model_folder_is_rejected(tmp_path, write_fake_model):
    data = json.loads(write_fake_model(tmp_path).read_text())
    data["files"][0]["path"] = "../escape.onnx"
    with pytest.raises(ModelFilesError, match="not a relative path"):
        parse_manifest(data, "test")


def test_unlisted_tokenizer_is_rejected(tmp_path, write_fake_model):
    data = json.loads(write_fake_model(tmp_path).read_text())
    data["tokenizer"] = "other.json"
    with pytest.raises(ModelFilesError, match="other.json"):
        parse_manifest(data, "test")


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096 + 5])
def test_sha256_file_over_chunk_boundaries(tmp_path, size):
    data = bytes(index % 251 for index in range(size))
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sha256_file(path, chunk_size=4096) == hashlib.sha256(data).hexdigest()
