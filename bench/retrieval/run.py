"""Retrieval benchmark: 100,000 chunks of real English text in pgvector 0.6.

Each phase reuses the output of the one before, kept under --work-dir:

  corpus  Chunk docstrings and package docs of the installed packages (corpus.py).
  embed   Embed the chunks with all-MiniLM-L6-v2 and report chunks/s. Resumable.
  load    Write the chunks into a separate embedded PostgreSQL through the
          gateway's DocumentRepository, build the HNSW index, and time the
          whole ingestion path on a sample.
  query   Time ChunkSearch.search at top_k 5 and measure recall@5 against
          exact search, for several hnsw.ef_search values, with and without
          a metadata filter.

Run:  .venv/bin/python bench/retrieval/run.py all
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "layers" / "core"), str(ROOT / "bench" / "retrieval")]

from phases import embed_phase, load_phase, query_phase  # noqa: E402
from corpus import build_corpus, source_roots  # noqa: E402

PHASES = ("corpus", "embed", "load", "query")


class BenchServices:
    """The parts of the gateway's services the benchmark needs, on their own database."""

    def __init__(self, work_dir: Path) -> None:
        from sluicegate.settings import Settings, load_settings

        values = load_settings({}).model_dump()
        values.update(local_dir=work_dir / "db", model_dir=ROOT / "models")
        self.settings = Settings(**values)

    @cached_property
    def db(self):
        from sluicegate.db.pool import Database

        database = Database.from_settings(self.settings)
        database.migrate()
        return database

    @cached_property
    def embedder(self):
        from sluicegate.retrieval.embedder import EmbeddingService, load_embedding_model

        return EmbeddingService(load_embedding_model(self.settings), batch_size=self.settings.embedding_batch_size)


def corpus_phase(args, services) -> None:
    from sluicegate.retrieval.chunking import ChunkingConfig

    config = ChunkingConfig(services.settings.chunk_tokens, services.settings.chunk_overlap_tokens)
    chunks, queries = build_corpus(services.embedder.token_offsets, config, args.chunks, args.queries, args.work_dir)
    roots = ", ".join(str(root) for root in source_roots())
    print(f"corpus: {chunks} chunks, {queries} queries from {roots}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", choices=PHASES + ("all",))
    parser.add_argument("--work-dir", type=Path, default=ROOT / ".local" / "bench-retrieval",
                        help="folder for the corpus, the embeddings and the benchmark database")
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks to index (default 100000)")
    parser.add_argument("--queries", type=int, default=200, help="queries to time (default 200)")
    parser.add_argument("--embed-limit", type=int, default=None,
                        help="embed only this many chunks in this run (the phase resumes where it stopped)")
    parser.add_argument("--index-tokens", type=int, default=None,
                        help="embed only the first N tokens of each chunk for the index (default: whole chunks)")
    parser.add_argument("--ef-search", type=int, nargs="+", default=[40, 64, 100, 200],
                        help="hnsw.ef_search values to measure")
    parser.add_argument("--filtered-ef-search", type=int, nargs="+", default=[40, 100, 400, 1000],
                        help="hnsw.ef_search values to measure with a metadata filter that keeps a tenth of the rows")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    args.work_dir.mkdir(parents=True, exist_ok=True)

    services = BenchServices(args.work_dir)
    results_file = args.work_dir / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    steps = {"corpus": corpus_phase, "embed": embed_phase, "load": load_phase, "query": query_phase}
    for phase in PHASES if args.phase == "all" else (args.phase,):
        outcome = steps[phase](args, services)
        if outcome:
            results[phase] = outcome
            results_file.write_text(json.dumps(results, indent=2))
            print(json.dumps({phase: outcome}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
