"""The benchmark's own virtual environment, built from requirements/bench-engine.txt.

Standard library only, because this module runs in the dev venv before the
benchmark venv exists.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements" / "bench-engine.txt"
# Set in the re-executed process, so it does not build the venv again.
INSIDE_VENV_VARIABLE = "SLUICEGATE_BENCH_ENGINE_VENV"
# Written after a successful install. Its text records whether llama-cpp-python installed.
READY_MARKER = ".sluicegate-ready"
LLAMA_PACKAGE = "llama-cpp-python"
# llama.cpp compiles from source in pip, so the install gets a generous but finite time.
INSTALL_TIMEOUT_S = 45 * 60


def requirements_digest() -> str:
    """Return the first 12 hex digits of the sha256 of requirements/bench-engine.txt."""
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]


def venv_dir() -> Path:
    cache = Path(os.environ.get("SLUICEGATE_CACHE_DIR") or Path.home() / ".cache" / "sluicegate").expanduser()
    return cache / "venvs" / f"bench-engine-{requirements_digest()}"


def ensure_venv() -> Path:
    """Return the benchmark venv's python, creating the venv on first use.

    When llama-cpp-python fails to build, the venv is finished without it and
    the marker file records the failure, so the benchmark runs the other
    engines and reports llama.cpp as unavailable.
    """
    folder = venv_dir()
    python = folder / "bin" / "python"
    marker = folder / READY_MARKER
    if marker.is_file() and python.exists():
        return python

    print(f"creating the engine benchmark venv {folder} (llama.cpp compiles from source, several minutes)",
          file=sys.stderr, flush=True)
    venv.EnvBuilder(clear=True, with_pip=True).create(folder)
    log_file = folder / "pip-install.log"
    environment = {**os.environ, "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", "-DGGML_NATIVE=ON")}
    if _pip_install(python, ["-r", str(REQUIREMENTS)], log_file, environment):
        marker.write_text("llama-cpp-python: installed\n")
        return python

    # NOTE: this fallback has not been exercised, because llama-cpp-python built on the benchmark machine.
    print(f"pip install -r {REQUIREMENTS} failed; see {log_file}. Retrying without {LLAMA_PACKAGE}.",
          file=sys.stderr, flush=True)
    without_llama = folder / "requirements-without-llama.txt"
    lines = REQUIREMENTS.read_text().splitlines()
    without_llama.write_text("\n".join(line for line in lines if not line.startswith(LLAMA_PACKAGE)) + "\n")
    if not _pip_install(python, ["-r", str(without_llama)], folder / "pip-install-without-llama.log", environment):
        raise SystemExit(f"pip install of the benchmark requirements failed; see the logs in {folder}")
    marker.write_text(f"llama-cpp-python: failed to install, see {log_file}\n")
    return python


def llama_install_note(python: Path) -> str:
    """Return the marker's note on llama-cpp-python for the venv of ``python``."""
    marker = python.parent.parent / READY_MARKER
    return marker.read_text().strip() if marker.is_file() else ""


def _pip_install(python: Path, arguments: list[str], log_file: Path, environment: dict[str, str]) -> bool:
    command = [str(python), "-m", "pip", "install", "--disable-pip-version-check", *arguments]
    with log_file.open("w") as log:
        try:
            result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                    timeout=INSTALL_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            log.write(f"\npip install timed out after {INSTALL_TIMEOUT_S} s\n")
            return False
    return result.returncode == 0


def reexecute_inside_venv(script: Path) -> None:
    """Replace this process with ``script`` run by the benchmark venv's python, unless already there."""
    if os.environ.get(INSIDE_VENV_VARIABLE) == "1":
        return
    python = ensure_venv()
    os.environ[INSIDE_VENV_VARIABLE] = "1"
    os.execv(str(python), [str(python), str(script), *sys.argv[1:]])
