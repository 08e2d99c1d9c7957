"""The manifest that `make models` writes next to each built model.

``manifest.json`` names the model, its source and build settings, and lists
every runtime file with its sha256 and size. File paths are relative to the
folder that contains the model files.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_FILENAME = "manifest.json"
FORMAT_VERSION = 1
# `make models` rebuilds a model whose cached files fail verification.
REBUILD_HINT = "run `make models` to build or repair it"

# Keys every manifest needs, and the extra keys each kind of model needs.
_COMMON_KEYS = ("format_version", "name", "kind", "source", "build", "files", "tokenizer")
_KIND_KEYS = {
    "chat": (
        "context_window", "chat_template", "default_system_prompt",
        "special_tokens", "stop_token_ids", "vocab_size",
    ),
    "embedding": ("model_file", "embedding_dimension", "pooling", "normalize", "max_seq_length"),
}


class ModelFilesError(RuntimeError):
    """A built model is missing, incomplete, corrupt or has an invalid manifest."""


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """A validated manifest. ``data`` is the whole JSON document."""

    name: str
    kind: str
    files: tuple[FileEntry, ...]
    data: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


def sha256_file(path: Path, chunk_size: int = 16 << 20) -> str:
    """Return the hex sha256 of a file.

    Reading and hashing release the GIL, but every chunk takes it back once.
    Large chunks keep that to a few times per file, so hashing on a helper
    thread is not slowed down by a busy main thread (the model preload).
    """
    digest = hashlib.sha256()
    with path.open("rb", buffering=0) as handle:
        # A small file gets a small buffer: zeroing 16 MiB takes about 5 ms.
        buffer = memoryview(bytearray(max(1, min(chunk_size, os.fstat(handle.fileno()).st_size))))
        while count := handle.readinto(buffer):
            digest.update(buffer[:count])
    return digest.hexdigest()


def parse_manifest(data: Mapping[str, Any], source: str) -> Manifest:
    """Validate a manifest document and return it. ``source`` names the document in error messages."""
    missing = [key for key in _COMMON_KEYS if key not in data]
    if missing:
        raise ModelFilesError(f"manifest {source} is missing keys {missing}; {REBUILD_HINT}")
    if data["format_version"] != FORMAT_VERSION:
        raise ModelFilesError(
            f"manifest {source} has format_version {data['format_version']!r}, "
            f"but this code reads version {FORMAT_VERSION}; {REBUILD_HINT}"
        )
    kind = data["kind"]
    if kind not in _KIND_KEYS:
        raise ModelFilesError(
            f"manifest {source} has unknown kind {kind!r}; expected one of {sorted(_KIND_KEYS)}"
        )
    missing = [key for key in _KIND_KEYS[kind] if key not in data]
    if missing:
        raise ModelFilesError(
            f"manifest {source} of a {kind} model is missing keys {missing}; {REBUILD_HINT}"
        )

    files = tuple(_parse_file_entry(entry, source) for entry in data["files"])
    listed = {entry.path for entry in files}
    referenced = [data["tokenizer"]]
    if "model_file" in data:
        referenced.append(data["model_file"])
    for path in referenced:
        if path not in listed:
            raise ModelFilesError(
                f"manifest {source} refers to {path!r}, which its file list does not contain; {REBUILD_HINT}"
            )
    return Manifest(name=data["name"], kind=kind, files=files, data=data)


def load_manifest(path: Path) -> Manifest:
    """Read and validate the manifest at ``path``.

    Raises ``ModelFilesError``, with the fix in its message, when the file is
    missing or invalid.
    """
    if not path.is_file():
        raise ModelFilesError(f"model manifest not found: {path}; {REBUILD_HINT}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFilesError(
            f"model manifest {path} is not valid JSON ({exc}); {REBUILD_HINT}"
        ) from exc
    return parse_manifest(data, str(path))


def verify_files(manifest: Manifest, root: Path, *, check_checksums: bool = True) -> None:
    """Check that every listed file exists under ``root`` with its size and sha256.

    Warm paths that trust files verified earlier in the process pass
    ``check_checksums=False``, which still checks presence and size.
    """
    for entry in manifest.files:
        path = root / entry.path
        if not path.is_file():
            raise ModelFilesError(f"model file {path} of {manifest.name!r} is missing; {REBUILD_HINT}")
        size = path.stat().st_size
        if size != entry.size:
            raise ModelFilesError(
                f"model file {path} of {manifest.name!r} has {size} bytes, "
                f"but the manifest expects {entry.size}; {REBUILD_HINT}"
            )
        if check_checksums:
            actual = sha256_file(path)
            if actual != entry.sha256:
                raise ModelFilesError(
                    f"model file {path} of {manifest.name!r} has sha256 {actual}, "
                    f"but the manifest expects {entry.sha256}; {REBUILD_HINT}"
                )


def _parse_file_entry(entry: Any, source: str) -> FileEntry:
    try:
        path, sha256, size = entry["path"], entry["sha256"], entry["size"]
    except (TypeError, KeyError) as exc:
        raise ModelFilesError(
            f"manifest {source} has an invalid file entry {entry!r}; {REBUILD_HINT}"
        ) from exc
    if Path(path).is_absolute() or ".." in Path(path).parts:
        raise ModelFilesError(
            f"manifest {source} lists {path!r}, which is not a relative path inside the model folder"
        )
    return FileEntry(path=path, sha256=sha256, size=int(size))
