"""``scripts/ingest``: add the .txt and .md files of a folder to a tenant's collection.

Talks to the gateway's database directly (DATABASE_URL when set, else the
embedded PostgreSQL under .local/) and embeds with the built model, so it
needs `make models`. Each file becomes one document whose id is its path
relative to FOLDER with '/' replaced by ':' (ids may not contain '/').
Re-running replaces changed files and keeps the chunks of unchanged ones.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from sluicegate.errors import GatewayError
from sluicegate.retrieval.models import DocumentInput
from sluicegate.services import get_services

from .setup import DEMO_TENANT

SUFFIXES = {".txt", ".md"}


def find_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file() and path.suffix.lower() in SUFFIXES)


def document_id(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix().replace("/", ":")


def batches(files: list[Path], max_files: int, max_bytes: int) -> list[list[Path]]:
    """Group files so that each group has at most ``max_files`` files or about ``max_bytes`` bytes."""
    groups: list[list[Path]] = [[]]
    size = 0
    for path in files:
        file_size = path.stat().st_size
        if groups[-1] and (len(groups[-1]) >= max_files or size + file_size > max_bytes):
            groups.append([])
            size = 0
        groups[-1].append(path)
        size += file_size
    return [group for group in groups if group]


def show_progress(done: int, total: int, chunks: int, started: float) -> None:
    width = 30
    filled = width * done // max(total, 1)
    elapsed = time.monotonic() - started
    rate = chunks / elapsed if elapsed > 0 else 0.0
    bar = "#" * filled + "-" * (width - filled)
    print(f"\r[{bar}] {done}/{total} files, {chunks} chunks, {rate:.1f} chunks/s", end="", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/ingest", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="folder to read .txt and .md files from, recursively")
    parser.add_argument("--collection", required=True, help="collection to add the files to (created on first use)")
    parser.add_argument("--tenant", default=DEMO_TENANT, help=f"tenant id (default: {DEMO_TENANT}, the tenant of `make run`)")
    parser.add_argument("--batch-files", type=int, default=20, help="files embedded and written per transaction (default 20)")
    return parser


def ingest_files(services, args, files: list[Path]) -> tuple[dict[str, int], int, int]:
    """Ingest ``files`` in batches; return the document counts by status, the chunks embedded and the empty files."""
    counts = {"created": 0, "replaced": 0, "unchanged": 0}
    chunks = skipped = done = 0
    started = time.monotonic()
    for group in batches(files, args.batch_files, 2 * 1024 * 1024):
        documents = []
        for path in group:
            text = path.read_text(encoding="utf-8", errors="replace")
            if not text.strip():
                skipped += 1
                continue
            metadata = {"path": path.relative_to(args.folder).as_posix()}
            documents.append(DocumentInput(document_id(args.folder, path), text, metadata))

        if documents:
            report = services.ingestor.ingest(args.tenant, args.collection, documents)
            chunks += report.chunks_embedded
            for stored in report.documents:
                counts[stored.status] += 1
        done += len(group)
        show_progress(done, len(files), chunks, started)
    print(file=sys.stderr)
    return counts, chunks, skipped


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    if not args.folder.is_dir():
        print(f"error: folder {args.folder} not found; pass the folder that contains the .txt and .md files", file=sys.stderr)
        return 2
    files = find_files(args.folder)
    if not files:
        print(f"error: {args.folder} contains no .txt or .md files", file=sys.stderr)
        return 1

    services = get_services()
    started = time.monotonic()
    try:
        services.tenants.get_tenant(args.tenant)
        counts, chunks, skipped = ingest_files(services, args, files)
    except GatewayError as exc:
        print(f"\nerror: {exc.message}", file=sys.stderr)
        return 1

    summary = ", ".join(f"{count} {status}" for status, count in counts.items())
    print(
        f"collection {args.collection!r} of tenant {args.tenant!r}: {summary}, {skipped} empty files skipped, "
        f"{chunks} chunks embedded in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
