"""The load phase: bulk-load the corpus into the benchmark database and time the real ingestion path."""

from __future__ import annotations

import hashlib
import time
from itertools import groupby

from phases import load_embeddings, read_jsonl

TENANT = "bench"
COLLECTION = "corpus"
PARTS = 10  # documents get metadata {"part": n % PARTS}, so a filter selects about a tenth


def reset_tenant(services, tenant_id: str) -> None:
    with services.db.connection() as conn:
        conn.execute("DELETE FROM tenants WHERE id = %s", (tenant_id,))
        conn.execute("INSERT INTO tenants (id, name) VALUES (%s, %s)", (tenant_id, "retrieval benchmark"))


def bulk_load(args, services) -> dict:
    from sluicegate.retrieval.chunking import TextChunk
    from sluicegate.retrieval.models import DocumentInput, PreparedDocument
    from sluicegate.retrieval.repository import DocumentRepository

    chunks = read_jsonl(args.work_dir / "chunks.jsonl")
    vectors = load_embeddings(args.work_dir)
    count = min(len(chunks), len(vectors))
    reset_tenant(services, TENANT)
    with services.db.connection() as conn:
        definition = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'chunks_embedding_idx'").fetchone()
        if definition is not None:
            conn.execute("DROP INDEX chunks_embedding_idx")
    index_sql = definition[0] if definition else None

    repository = DocumentRepository(services.db)
    started = time.perf_counter()
    batch: list = []
    position = 0
    for doc, group in groupby(range(count), key=lambda index: chunks[index]["doc"]):
        rows = list(group)
        text_chunks = [TextChunk(chunks[i]["ordinal"], chunks[i]["text"], chunks[i]["tokens"], 0, 0) for i in rows]
        document = DocumentInput(doc, "", {"part": int(doc[1:]) % PARTS, "source": chunks[rows[0]]["source"]})
        digest = hashlib.sha256(doc.encode()).digest()
        batch.append(PreparedDocument(document, digest, "bench", "all-minilm-l6-v2", text_chunks, vectors[rows[0] : rows[-1] + 1]))
        position = rows[-1] + 1
        if len(batch) >= 500:
            repository.write(TENANT, COLLECTION, batch)
            batch = []
    if batch:
        repository.write(TENANT, COLLECTION, batch)
    write_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with services.db.connection() as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(index_sql or "CREATE INDEX chunks_embedding_idx ON chunks USING hnsw (embedding vector_cosine_ops)")
        conn.execute("ANALYZE chunks")
        conn.execute("ANALYZE documents")
    index_seconds = time.perf_counter() - started
    return {
        "chunks_loaded": position,
        "write_seconds": round(write_seconds, 1),
        "write_chunks_per_second": round(position / write_seconds, 1),
        "index_build_seconds": round(index_seconds, 1),
    }


def measure_ingest(args, services, documents: int = 200) -> dict:
    """Time Ingestor.ingest (chunk, embed whole chunks, write) on the first ``documents`` chunk texts."""
    from sluicegate.retrieval.chunking import ChunkingConfig
    from sluicegate.retrieval.ingest import Ingestor
    from sluicegate.retrieval.models import DocumentInput
    from sluicegate.retrieval.repository import DocumentRepository

    chunks = read_jsonl(args.work_dir / "chunks.jsonl")[:documents]
    tenant = TENANT + "-ingest"
    reset_tenant(services, tenant)
    settings = services.settings
    ingestor = Ingestor(services.embedder, DocumentRepository(services.db), ChunkingConfig(settings.chunk_tokens, settings.chunk_overlap_tokens))
    inputs = [DocumentInput(f"c{number}", chunk["text"]) for number, chunk in enumerate(chunks)]
    services.embedder.embed(["warm up"])
    started = time.perf_counter()
    embedded = 0
    for start in range(0, len(inputs), 50):
        embedded += ingestor.ingest(tenant, "sample", inputs[start : start + 50]).chunks_embedded
    seconds = time.perf_counter() - started
    return {"ingest_sample_chunks": embedded, "ingest_seconds": round(seconds, 1), "ingest_chunks_per_second": round(embedded / seconds, 1)}
