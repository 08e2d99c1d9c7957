"""Find a built model: in a local folder, or in S3 with a download into /tmp.

Local layout (written by `make models`)::

    <model_dir>/<model>/manifest.json
    <model_dir>/<model>/build/<files>      # or the files next to manifest.json

S3 layout (written by ``upload_model``)::

    s3://<bucket>/<prefix>/<model>/manifest.json
    s3://<bucket>/<prefix>/<model>/<files>

An S3 model is downloaded into ``<download_root>/<model>/`` with the same flat
layout. Each file is checked against the manifest before it is used.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .manifest import (
    MANIFEST_FILENAME,
    Manifest,
    ModelFilesError,
    load_manifest,
    parse_manifest,
    sha256_file,
    verify_files,
)

log = logging.getLogger(__name__)

DEFAULT_DOWNLOAD_ROOT = Path("/tmp/sluicegate-models")


@dataclass(frozen=True)
class ModelLocation:
    """A verified model: its manifest and the folder that contains its files."""

    manifest: Manifest
    root: Path

    @property
    def name(self) -> str:
        return self.manifest.name

    def path(self, relative: str) -> Path:
        return self.root / relative


def resolve_local(name: str, model_dir: Path, *, check_checksums: bool = True) -> ModelLocation:
    """Return the model ``name`` built under ``model_dir``, verified against its manifest."""
    folder = model_dir / name
    manifest = load_manifest(folder / MANIFEST_FILENAME)
    if manifest.name != name:
        raise ModelFilesError(
            f"manifest {folder / MANIFEST_FILENAME} describes {manifest.name!r}, not {name!r}; "
            "run `make models`"
        )
    root = folder / "build" if (folder / "build").is_dir() else folder
    verify_files(manifest, root, check_checksums=check_checksums)
    return ModelLocation(manifest=manifest, root=root)


def download_from_s3(
    name: str,
    s3_client: Any,
    bucket: str,
    prefix: str,
    *,
    download_root: Path = DEFAULT_DOWNLOAD_ROOT,
) -> ModelLocation:
    """Download model ``name`` from S3 unless a verified copy is already on disk.

    A file that exists with the manifest's sha256 is kept, so a second call in
    the same execution environment downloads only the manifest.
    """
    key_prefix = _model_key_prefix(prefix, name)
    target = download_root / name
    target.mkdir(parents=True, exist_ok=True)

    manifest_key = key_prefix + MANIFEST_FILENAME
    body = _get_object_bytes(s3_client, bucket, manifest_key)
    try:
        document = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ModelFilesError(
            f"s3://{bucket}/{manifest_key} is not valid JSON ({exc}); upload the manifest again"
        ) from exc
    manifest = parse_manifest(document, f"s3://{bucket}/{manifest_key}")
    if manifest.name != name:
        raise ModelFilesError(
            f"s3://{bucket}/{manifest_key} describes {manifest.name!r}, not {name!r}; "
            "upload the right model folder"
        )

    for entry in manifest.files:
        path = target / entry.path
        if path.is_file() and path.stat().st_size == entry.size and sha256_file(path) == entry.sha256:
            continue
        key = key_prefix + entry.path
        log.info("downloading s3://%s/%s (%d bytes)", bucket, key, entry.size)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        try:
            s3_client.download_file(bucket, key, str(partial))
        except s3_client.exceptions.ClientError as exc:
            raise ModelFilesError(f"download of s3://{bucket}/{key} failed: {exc}") from exc
        actual = sha256_file(partial)
        if actual != entry.sha256:
            partial.unlink()
            raise ModelFilesError(
                f"s3://{bucket}/{key} has sha256 {actual}, but its manifest expects "
                f"{entry.sha256}; upload the model again with its matching manifest"
            )
        os.replace(partial, path)

    # The manifest is written last, so a folder with a manifest is complete.
    (target / MANIFEST_FILENAME).write_bytes(body)
    return ModelLocation(manifest=manifest, root=target)


def upload_model(location: ModelLocation, s3_client: Any, bucket: str, prefix: str) -> None:
    """Upload the manifest and the files it lists to ``s3://bucket/prefix/<model>/``."""
    key_prefix = _model_key_prefix(prefix, location.name)
    for entry in location.manifest.files:
        s3_client.upload_file(str(location.path(entry.path)), bucket, key_prefix + entry.path)
    document = json.dumps(dict(location.manifest.data), indent=2).encode()
    s3_client.put_object(Bucket=bucket, Key=key_prefix + MANIFEST_FILENAME, Body=document)


def resolve_model(
    name: str,
    *,
    model_dir: Path,
    bucket: str | None = None,
    prefix: str = "models",
    s3_client: Any = None,
    download_root: Path = DEFAULT_DOWNLOAD_ROOT,
) -> ModelLocation:
    """Return model ``name`` from S3 when ``bucket`` is set, else from ``model_dir``."""
    if bucket is None:
        return resolve_local(name, model_dir)
    if s3_client is None:
        raise ValueError(f"model bucket {bucket!r} is set, so resolve_model needs an s3_client")
    return download_from_s3(name, s3_client, bucket, prefix, download_root=download_root)


def _model_key_prefix(prefix: str, name: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/{name}/" if prefix else f"{name}/"


def _get_object_bytes(s3_client: Any, bucket: str, key: str) -> bytes:
    try:
        response = s3_client.get_object(Bucket=bucket, Key=key)
    except s3_client.exceptions.NoSuchKey as exc:
        raise ModelFilesError(
            f"s3://{bucket}/{key} not found; upload the model built by `make models` there"
        ) from exc
    except s3_client.exceptions.ClientError as exc:
        raise ModelFilesError(f"reading s3://{bucket}/{key} failed: {exc}") from exc
    return response["Body"].read()
