"""Build the benchmark corpus: real English text shipped with the installed Python packages.

The texts are the long description in each ``*.dist-info/METADATA``, the
``.md``, ``.rst`` and ``.txt`` files, and the module, class and function
docstrings of every ``.py`` file. They are read in sorted path order, first
from the virtual environment's site-packages, then from the standard library
of its interpreter. These yield about 45,000 chunks, fewer than the benchmark
needs, so the rest comes from
the AWS API reference that botocore ships: the ``documentation`` strings of
each operation and shape in ``botocore/data/*/*/service-2.json.gz``, HTML tags
removed and joined into one text per operation or shape. Texts shorter
than ``MIN_CHARS`` and exact duplicates are skipped. Nothing is downloaded.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import html
import json
import re
import sysconfig
import warnings
from pathlib import Path
from typing import Iterator

MIN_CHARS = 200
QUERY_EVERY = 293
_DOC_SUFFIXES = {".md", ".rst", ".txt"}
_MAX_FILE_BYTES = 2 * 1024 * 1024


def source_roots() -> list[Path]:
    paths = sysconfig.get_paths()
    return [Path(paths["purelib"]), Path(paths["stdlib"])]


def _metadata_description(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    # The long description follows the first blank line of the METADATA headers.
    _, _, body = text.partition("\n\n")
    return body


def _docstrings(path: Path) -> Iterator[str]:
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            docstring = ast.get_docstring(node)
            if docstring:
                yield docstring


def iter_texts(root: Path, seen: set[bytes]) -> Iterator[tuple[str, str]]:
    """Yield ``(source id, text)`` for every usable text under ``root`` whose sha256 is not in ``seen``."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("site-packages/") or not path.is_file() or path.stat().st_size > _MAX_FILE_BYTES:
            continue
        if path.name == "METADATA" and path.parent.name.endswith(".dist-info"):
            texts = [_metadata_description(path)]
        elif path.suffix in _DOC_SUFFIXES and ".dist-info" not in relative:
            texts = [path.read_text(encoding="utf-8", errors="replace")]
        elif path.suffix == ".py":
            texts = list(_docstrings(path))
        else:
            continue
        for number, text in enumerate(texts):
            text = text.strip()
            digest = hashlib.sha256(text.encode("utf-8", errors="replace")).digest()
            if len(text) < MIN_CHARS or digest in seen:
                continue
            seen.add(digest)
            yield f"{relative}:{number}", text


_TAG = re.compile(r"<[^>]+>")


def _documentation_strings(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "documentation" and isinstance(value, str):
                yield " ".join(html.unescape(_TAG.sub(" ", value)).split())
            else:
                yield from _documentation_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _documentation_strings(item)


def iter_botocore_texts(site: Path, seen: set[bytes]) -> Iterator[tuple[str, str]]:
    """Yield the documentation strings of the newest API version of each AWS service."""
    for service in sorted((site / "botocore" / "data").iterdir()):
        versions = sorted(path for path in service.glob("*/service-2.json.gz"))
        if not versions:
            continue
        model = json.loads(gzip.decompress(versions[-1].read_bytes()))
        items = list(model.get("operations", {}).items()) + list(model.get("shapes", {}).items())
        for name, item in items:
            text = "\n\n".join(_documentation_strings(item))
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            if len(text) >= MIN_CHARS and digest not in seen:
                seen.add(digest)
                yield f"botocore/{service.name}:{name}", text


def iter_all_texts() -> Iterator[tuple[str, str]]:
    seen: set[bytes] = set()
    for root in source_roots():
        for source, text in iter_texts(root, seen):
            yield f"{root.name}/{source}", text
    yield from iter_botocore_texts(source_roots()[0], seen)


def build_corpus(token_offsets, config, limit: int, queries: int, out_dir: Path) -> tuple[int, int]:
    """Write ``limit`` chunks to ``chunks.jsonl`` and ``queries`` query texts to ``queries.jsonl``.

    Every ``QUERY_EVERY``-th text is held out of the index, and the first 300
    characters of its first chunk become a query. So no query is a copy of an
    indexed chunk.
    """
    from sluicegate.retrieval.chunking import chunk_text

    chunk_count = query_count = 0
    with (out_dir / "chunks.jsonl").open("w", encoding="utf-8") as chunks_file, \
            (out_dir / "queries.jsonl").open("w", encoding="utf-8") as queries_file:
        for number, (source, text) in enumerate(iter_all_texts()):
            if chunk_count >= limit and query_count >= queries:
                break
            chunks = chunk_text(text, token_offsets, config)
            if number % QUERY_EVERY == 0:
                if query_count < queries and chunks:
                    queries_file.write(json.dumps({"source": source, "text": chunks[0].text[:300]}) + "\n")
                    query_count += 1
                continue
            for chunk in chunks[: max(0, limit - chunk_count)]:
                record = {"doc": f"d{number}", "source": source, "ordinal": chunk.ordinal,
                          "tokens": chunk.token_count, "text": chunk.text}
                chunks_file.write(json.dumps(record, ensure_ascii=False) + "\n")
                chunk_count += 1
    return chunk_count, query_count
