"""The query phase: latency of ChunkSearch.search at top_k 5 and recall@5 against exact search."""

from __future__ import annotations

import time

import numpy as np

from loading import COLLECTION, PARTS, TENANT
from phases import load_embeddings, read_jsonl, truncate

TOP_K = 5
WARM_UP = 20
FILTER_PART = 3


def percentiles(milliseconds: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(milliseconds, 50)), 2), "p95_ms": round(float(np.percentile(milliseconds, 95)), 2)}


def exact_top_k(vectors: np.ndarray, keys: list[str], query: np.ndarray, mask: np.ndarray | None) -> set[str]:
    scores = vectors @ query
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    best = np.argpartition(-scores, TOP_K)[:TOP_K]
    return {keys[index] for index in best if np.isfinite(scores[index])}


def measure(search, queries: np.ndarray, truths: list[set[str]], metadata_filter: dict | None, limit: int | None = None) -> dict:
    for query in queries[:WARM_UP]:
        search.search(TENANT, COLLECTION, query, TOP_K, metadata_filter)
    latencies, recalls = [], []
    for query, truth in list(zip(queries, truths))[:limit]:
        started = time.perf_counter()
        passages = search.search(TENANT, COLLECTION, query, TOP_K, metadata_filter)
        latencies.append((time.perf_counter() - started) * 1000)
        found = {passage.chunk_id for passage in passages}
        recalls.append(len(found & truth) / max(len(truth), 1))
    return {**percentiles(latencies), "recall_at_5": round(float(np.mean(recalls)), 4), "queries": len(latencies)}


def index_plan(services, query: np.ndarray) -> str:
    from sluicegate.retrieval.repository import vector_literal
    from sluicegate.retrieval.search import _INDEXED

    with services.db.connection() as conn:
        collection = conn.execute("SELECT id FROM collections WHERE tenant_id = %s AND name = %s", (TENANT, COLLECTION)).fetchone()[0]
        rows = conn.execute(
            "EXPLAIN " + _INDEXED.format(join=""),
            {"query": vector_literal(query), "tenant": TENANT, "collection": collection, "k": TOP_K},
        ).fetchall()
    return next(row[0].strip() for row in rows if "Index Scan" in row[0] or "Sort" in row[0])


def run_queries(args, services) -> dict:
    from sluicegate.retrieval.search import ChunkSearch, SearchConfig

    chunks = read_jsonl(args.work_dir / "chunks.jsonl")
    vectors = load_embeddings(args.work_dir)
    count = min(len(chunks), len(vectors))
    vectors = vectors[:count]
    keys = [f"{chunk['doc']}#{chunk['ordinal']}" for chunk in chunks[:count]]
    in_part = np.array([int(chunk["doc"][1:]) % PARTS == FILTER_PART for chunk in chunks[:count]])

    embedder = services.embedder
    texts = [truncate(query["text"], embedder.token_offsets, args.index_tokens) for query in read_jsonl(args.work_dir / "queries.jsonl")]
    texts = texts[: args.queries]
    embed_ms = []
    for text in texts:
        started = time.perf_counter()
        embedder.embed([text])
        embed_ms.append((time.perf_counter() - started) * 1000)
    queries = embedder.embed(texts)
    truths = [exact_top_k(vectors, keys, query, None) for query in queries]
    filtered_truths = [exact_top_k(vectors, keys, query, in_part) for query in queries]

    def search_with(**config) -> ChunkSearch:
        return ChunkSearch(lambda: services.db, SearchConfig(statement_timeout_ms=60_000, **config))

    results: dict = {"chunks": count, "queries": len(texts), "query_embedding": percentiles(embed_ms)}
    results["index_plan"] = index_plan(services, queries[0])
    results["hnsw"] = {
        str(ef): measure(search_with(ef_search=ef, exact_max_chunks=0), queries, truths, None) for ef in args.ef_search
    }
    results["exact"] = measure(search_with(exact_max_chunks=10**9), queries, truths, None, limit=50)
    part_filter = {"part": FILTER_PART}
    # A filter that keeps a tenth of the rows behaves like a collection that is a tenth of the table.
    results["filtered_tenth"] = {
        "hnsw_with_fallback": {
            str(ef): measure(search_with(ef_search=ef, exact_max_chunks=0), queries, filtered_truths, part_filter)
            for ef in args.filtered_ef_search
        },
        "exact": measure(search_with(exact_max_chunks=10**9), queries, filtered_truths, part_filter, limit=50),
    }
    return results
