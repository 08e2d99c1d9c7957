"""The SAM template validates, builds, and every function fits Lambda's size limit."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sglocal.template import CloudFormationLoader, load_template

ROOT = Path(__file__).resolve().parents[2]
# Lambda's limit for a function and all its layers, unzipped.
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024

pytestmark = pytest.mark.slow


def folder_size(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file() and not item.is_symlink())


def run_sam(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts" / "sam"), *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_template_passes_sam_validate_lint():
    result = run_sam("validate", "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("sam-build")
    result = run_sam("build", "--build-dir", str(target))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return target


def test_every_function_fits_lambda_size_limit(build_dir):
    import yaml

    document = yaml.load((ROOT / "template.yaml").read_text(), Loader=CloudFormationLoader)
    global_layers = document["Globals"]["Function"].get("Layers", [])
    functions = load_template(ROOT / "template.yaml").functions
    assert functions, "the template defines no functions"
    for name in functions:
        props = document["Resources"][name]["Properties"]
        layers = [ref["Ref"] for ref in global_layers + props.get("Layers", [])]
        total = folder_size(build_dir / name) + sum(folder_size(build_dir / layer) for layer in layers)
        assert total < LAMBDA_UNZIPPED_LIMIT_BYTES, f"{name} with {layers} is {total / 2**20:.0f} MiB unzipped"


def test_no_lambda_artifact_carries_export_tools(build_dir):
    forbidden = {"torch", "transformers", "optimum", "sympy"}
    for artifact in build_dir.iterdir():
        python_dir = artifact / "python"
        if python_dir.is_dir():
            present = {entry.name for entry in python_dir.iterdir()} & forbidden
            assert not present, f"{artifact.name} contains {sorted(present)}"
