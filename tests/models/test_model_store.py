
import boto3
import pytest
from moto import mock_aws

from sluicegate.inference.manifest import ModelFilesError, load_manifest
from sluicegate.inference.model_store import (
    ModelLocation,
    download_from_s3,
    resolve_local,
    resolve_model,
    upload_model,
)

BUCKET = "sluicegate-test-models"
PREFIX = "models/v1"


@pytest.fixture
def s3_client():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def uploaded_model(tmp_path, s3_client, write_fake_model) -> ModelLocation:
    source = tmp_path / "source"
    location = ModelLocation(manifest=load_manifest(write_fake_model(source)), root=source)
    upload_model(location, s3_client, BUCKET, PREFIX)
    return location


def test_upload_uses_flat_model_prefix(s3_client, uploaded_model):
    keys = {item["Key"] for item in s3_client.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {
        "models/v1/fake-embedder/manifest.json",
        "models/v1/fake-embedder/model.onnx",
        "models/v1/fake-embedder/tokenizer.json",
    }


def test_download_verifies_and_writes_files(tmp_path, s3_client, uploaded_model):
    location = download_from_s3("fake-embedder", s3_client, BUCKET, PREFIX, download_root=tmp_path / "dl")
    assert location.root == tmp_path / "dl" / "fake-embedder"
    assert location.path("model.onnx").read_bytes() == b"not really onnx"
    assert (location.root / "manifest.json").is_file()
    assert not list(location.root.glob("*.part"))


def test_second_download_keeps_verified_files(tmp_path, s3_client, uploaded_model):
    download_root = tmp_path / "dl"
    first = download_from_s3("fake-embedder", s3_client, BUCKET, PREFIX, download_root=download_root)
    modified_before = first.path("model.onnx").stat().st_mtime_ns

    second = download_from_s3("fake-embedder", s3_client, BUCKET, PREFIX, download_root=download_root)
    assert second.path("model.onnx").stat().st_mtime_ns == modified_before


def test_corrupt_local_file_redownloaded(tmp_path, s3_client, uploaded_model):
    download_root = tmp_path / "dl"
    first = download_from_s3("fake-embedder", s3_client, BUCKET, PREFIX, download_root=download_root)
    first.path("model.onnx").write_bytes(b"damaged on disk")

    second = download_from_s3("fake-embedder", s3_client, BUCKET, PREFIX, download_root=download_root)
    assert second.path("model.onnx").read_bytes() == b"not really onnx"


def test_corrupt_object_in_s3_raises(tmp_path, s3_client, uploaded_model):
    key = f"{PREFIX}/fake-embedder/model.onnx"
    s3_client.put_object(Bucket=BUCKET, Key=key, Body=b"tampered object!")

    with pytest.raises(ModelFilesError) as caught:
        download_from_s3("fake-embedder", s3_client, BUCKET, PREFIX, download_root=tmp_path / "dl")
    assert f"s3://{BUCKET}/{key}" in str(caught.value)
    assert "sha256" in str(caught.value)
    assert not (tmp_path / "dl" / "fake-embedder" / "model.onnx").exists()
    assert not (tmp_path / "dl" / "fake-embedder" / "manifest.json").exists()


def test_missing_manifest_in_s3_raises(tmp_path, s3_client):
    with pytest.raises(ModelFilesError, match="not found"):
        download_from_s3("absent-model", s3_client, BUCKET, PREFIX, download_root=tmp_path / "dl")


def test_missing_file_in_s3_raises(tmp_path, s3_client, uploaded_model):
    s3_client.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/fake-embedder/tokenizer.json")
    with pytest.raises(ModelFilesError, match="tokenizer.json"):
        download_from_s3("fake-embedder", s3_client, BUCKET, PREFIX, download_root=tmp_path / "dl")


def test_resolve_model_prefers_bucket(tmp_path, s3_client, uploaded_model):
    location = resolve_model(
        "fake-embedder", model_dir=tmp_path / "unused", bucket=BUCKET, prefix=PREFIX,
        s3_client=s3_client, download_root=tmp_path / "dl",
    )
    assert location.root == tmp_path / "dl" / "fake-embedder"


def test_resolve_model_with_bucket_needs_client(tmp_path):
    with pytest.raises(ValueError, match="s3_client"):
        resolve_model("fake-embedder", model_dir=tmp_path, bucket=BUCKET)


def test_resolve_local_reads_build_folder(tmp_path, write_fake_model):
    build = tmp_path / "fake-embedder" / "build"
    manifest_path = write_fake_model(build)
    (tmp_path / "fake-embedder" / "manifest.json").write_bytes(manifest_path.read_bytes())

    location = resolve_local("fake-embedder", tmp_path)
    assert location.root == build


def test_resolve_local_reads_flat_folder(tmp_path, write_fake_model):
    write_fake_model(tmp_path / "fake-embedder")
    assert resolve_local("fake-embedder", tmp_path).root == tmp_path / "fake-embedder"


def test_resolve_local_missing_model_names_fix(tmp_path):
    with pytest.raises(ModelFilesError, match="make models"):
        resolve_local("fake-embedder", tmp_path)


def test_resolve_local_rejects_other_model(tmp_path, write_fake_model):
    write_fake_model(tmp_path / "other-name")
    with pytest.raises(ModelFilesError, match="not 'other-name'"):
        resolve_local("other-name", tmp_path)
