"""Build keys, the model cache and the links from the checkout into it.

A build lands in ``<cache>/models/<model>-<build key>/``. The key changes
when the recipe, the build toolchain or the code that produces the files
changes. A model whose inputs did not change is rebuilt only when its cached
files fail verification or when --force is given.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from sluicegate.inference.manifest import MANIFEST_FILENAME, ModelFilesError, load_manifest, verify_files

log = logging.getLogger(__name__)

# Bump when the cache layout or the build steps change in a way the hashed files do not show.
BUILD_SCRIPT_VERSION = 1


def build_key(recipe: dict[str, Any], requirements: Path, code_files: list[Path]) -> str:
    """Return 12 hex digits of sha256 over the recipe, toolchain pins and build code."""
    material = {
        "build_script_version": BUILD_SCRIPT_VERSION,
        "recipe": _without_notes(recipe),
        "requirements": hashlib.sha256(requirements.read_bytes()).hexdigest(),
        "code": {path.name: code_fingerprint(path) for path in code_files},
    }
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def _without_notes(value: Any) -> Any:
    # Keys ending in "notes" explain a choice and do not change the build output.
    if isinstance(value, dict):
        return {key: _without_notes(item) for key, item in value.items() if not key.endswith("notes")}
    return value


def code_fingerprint(path: Path) -> str:
    """Return sha256 of a Python file's syntax tree without docstrings.

    Comments and formatting are not part of the tree, and docstrings are
    removed from it, so editing them keeps the build key. Any other change to
    the code changes it.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            is_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            if is_docstring and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def cached_build_is_valid(folder: Path) -> bool:
    """Return True when ``folder`` contains a complete build whose files match its manifest."""
    if not (folder / MANIFEST_FILENAME).is_file():
        return False
    try:
        manifest = load_manifest(folder / MANIFEST_FILENAME)
        verify_files(manifest, folder)
    except ModelFilesError as exc:
        log.warning("cached build %s is invalid, rebuilding: %s", folder, exc)
        return False
    reference = manifest.data.get("reference", {}).get("path")
    if reference and not (folder / reference).is_dir():
        log.warning("cached build %s has no %s/ folder, rebuilding", folder, reference)
        return False
    return True


def publish(staging: Path, final: Path) -> None:
    """Move a finished build from ``staging`` to ``final``, replacing an older copy."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)


def link_into_checkout(build_folder: Path, model_folder: Path) -> None:
    """Point ``<model_folder>/build`` at ``build_folder`` and copy its manifest next to it."""
    model_folder.mkdir(parents=True, exist_ok=True)
    link = model_folder / "build"
    if link.exists() and not link.is_symlink():
        raise FileExistsError(f"{link} is a real folder, not a link into the model cache; remove it and run again")
    temporary_link = model_folder / ".build.tmp"
    if temporary_link.is_symlink() or temporary_link.exists():
        temporary_link.unlink()
    temporary_link.symlink_to(build_folder, target_is_directory=True)
    os.replace(temporary_link, link)

    manifest_copy = model_folder / (MANIFEST_FILENAME + ".tmp")
    shutil.copyfile(build_folder / MANIFEST_FILENAME, manifest_copy)
    os.replace(manifest_copy, model_folder / MANIFEST_FILENAME)
