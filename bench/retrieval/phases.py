"""The embed, load and query phases of the retrieval benchmark."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

DIMENSION = 384
_EMBED_BATCH = 512


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def load_embeddings(work_dir: Path) -> np.ndarray:
    raw = np.fromfile(work_dir / "embeddings.f32", dtype="<f4")
    return raw.reshape(-1, DIMENSION)


def truncate(text: str, offsets, max_tokens: int | None) -> str:
    """Return the first ``max_tokens`` tokens of ``text`` (all of it when ``max_tokens`` is None)."""
    if max_tokens is None:
        return text
    spans = offsets(text)
    return text if len(spans) <= max_tokens else text[: spans[max_tokens - 1][1]]


def embed_phase(args, services) -> dict:
    """Embed the chunks in batches, appending to embeddings.f32; a later run resumes after the last batch.

    With ``--index-tokens N`` only the first N tokens of each chunk are embedded (see RESULTS.md).
    """
    chunks = read_jsonl(args.work_dir / "chunks.jsonl")
    target = args.work_dir / "embeddings.f32"
    progress_file = args.work_dir / "embed-progress.json"
    fresh = {"chunks": 0, "seconds": 0.0, "tokens": 0, "index_tokens": args.index_tokens}
    progress = json.loads(progress_file.read_text()) if progress_file.exists() else fresh
    if progress.get("index_tokens") != args.index_tokens:
        raise SystemExit(f"{progress_file} was made with --index-tokens {progress.get('index_tokens')}; delete it and {target} to change")
    done = target.stat().st_size // (DIMENSION * 4) if target.exists() else 0
    if done != progress["chunks"]:
        raise SystemExit(f"{target} has {done} rows but {progress_file} records {progress['chunks']}; delete both to start over")
    stop = len(chunks) if args.embed_limit is None else min(len(chunks), done + args.embed_limit)
    embedder = services.embedder
    embedder.embed(["warm up"])
    with target.open("ab") as handle:
        for start in range(done, stop, _EMBED_BATCH):
            batch = chunks[start : min(stop, start + _EMBED_BATCH)]
            texts = [truncate(chunk["text"], embedder.token_offsets, args.index_tokens) for chunk in batch]
            began = time.perf_counter()
            vectors = embedder.embed(texts)
            progress["seconds"] += time.perf_counter() - began
            progress["tokens"] += sum(min(chunk["tokens"], args.index_tokens or chunk["tokens"]) for chunk in batch)
            handle.write(vectors.astype("<f4").tobytes())
            handle.flush()
            progress["chunks"] += len(texts)
            progress_file.write_text(json.dumps(progress))
            rate = progress["chunks"] / progress["seconds"]
            print(f"\rembedded {progress['chunks']}/{len(chunks)} chunks, {rate:.1f} chunks/s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {
        "chunks": progress["chunks"],
        "seconds": round(progress["seconds"], 1),
        "chunks_per_second": round(progress["chunks"] / max(progress["seconds"], 1e-9), 1),
        "mean_tokens_per_chunk": round(progress["tokens"] / max(progress["chunks"], 1), 1),
        "batch_size": embedder.batch_size,
        "index_tokens": args.index_tokens,
    }


def load_phase(args, services) -> dict:
    """Write the embedded chunks through DocumentRepository, then build the HNSW index.

    The index is dropped during the bulk load and rebuilt afterwards, as pgvector
    recommends for large loads; its definition is read back from the database.
    """
    from loading import bulk_load, measure_ingest

    return {**bulk_load(args, services), **measure_ingest(args, services)}


def query_phase(args, services) -> dict:
    from querying import run_queries

    return run_queries(args, services)
