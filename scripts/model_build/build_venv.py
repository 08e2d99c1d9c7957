"""Create or reuse the virtualenv that contains the model build toolchain."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import venv
from pathlib import Path

log = logging.getLogger(__name__)

# Written after a successful install, so an interrupted install is redone.
_READY_MARKER = ".sluicegate-ready"


def requirements_digest(requirements: Path) -> str:
    """Return the first 12 hex digits of the requirements file's sha256."""
    return hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]


def venv_python(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


def ensure_build_venv(requirements: Path, cache_dir: Path) -> Path:
    """Return the python of ``<cache>/venvs/models-<digest>``, creating it if needed.

    The folder name changes with the requirements file, so editing a pin
    creates a fresh venv instead of upgrading an old one in place.
    """
    if not requirements.is_file():
        raise FileNotFoundError(f"build requirements not found: {requirements}")

    venv_dir = cache_dir / "venvs" / f"models-{requirements_digest(requirements)}"
    marker = venv_dir / _READY_MARKER
    if marker.is_file() and venv_python(venv_dir).exists():
        log.info("build venv cached: %s", venv_dir)
        return venv_python(venv_dir)

    log.info("creating build venv %s from %s (pip install, about a minute)", venv_dir, requirements)
    venv.EnvBuilder(clear=True, with_pip=True).create(venv_dir)
    command = [
        str(venv_python(venv_dir)), "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "-r", str(requirements),
    ]
    result = subprocess.run(command, check=False, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"pip install -r {requirements} failed with exit code {result.returncode}:\n"
            f"{_last_lines(result.stderr)}\n"
            f"Fix the requirement pins, then run `make models` again."
        )

    marker.write_text(requirements.read_text())
    log.info("build venv ready: %s", venv_dir)
    return venv_python(venv_dir)


def _last_lines(text: str, count: int = 20) -> str:
    # pip prints a warning per package for each configured index location that
    # does not exist. Those lines are dropped, and the tail carries the real error.
    lines = [line for line in text.splitlines() if "is ignored" not in line]
    return "\n".join(lines[-count:])
