"""Nearest-chunk search in one tenant's collection, exact or through the HNSW index.

The HNSW index covers every tenant's chunks, and pgvector 0.6 filters the
rows an index scan returns only after the scan, which yields at most
``hnsw.ef_search`` rows. So a collection that is a small share of the table
gets a larger ``ef_search``: enough for about ``CANDIDATES_PER_RESULT`` of its
own rows per requested result, capped at pgvector's maximum of 1000. A small
collection, or one too small a share for that cap, is searched exactly. An
index scan that returns fewer than ``top_k`` rows because a metadata filter
removed them is repeated as an exact search.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from psycopg.types.json import Jsonb

from ..db.pool import Database
from .errors import CollectionNotFoundError
from .models import Passage
from .repository import vector_literal

if TYPE_CHECKING:  # numpy is in the inference layer, which not every function has
    import numpy as np

HNSW_MAX_EF_SEARCH = 1000  # the largest value pgvector accepts for hnsw.ef_search
# With a filter that kept a tenth of 100,000 rows, ef_search 200 (4 rows of the
# tenth per result at top_k 5) gave recall@5 0.988 (bench/retrieval/RESULTS.md).
CANDIDATES_PER_RESULT = 4

# The filter joins documents only when a metadata filter is given; no value is ever formatted into SQL.
_FILTER_JOIN = " JOIN documents fd ON fd.id = c.document_id AND fd.tenant_id = c.tenant_id AND fd.metadata @> %(filter)s"
_SELECT_PASSAGES = (
    "SELECT d.external_id, c.ordinal, c.content, top.distance, d.metadata"
    " FROM top JOIN chunks c ON c.id = top.id JOIN documents d ON d.id = c.document_id"
    " ORDER BY top.distance"
)
# MATERIALIZED keeps the planner from ordering by the index, so every chunk of the collection is compared.
_EXACT = (
    "WITH scored AS MATERIALIZED (SELECT c.id, c.embedding <=> %(query)s::vector AS distance FROM chunks c{join}"
    " WHERE c.tenant_id = %(tenant)s AND c.collection_id = %(collection)s),"
    " top AS (SELECT id, distance FROM scored ORDER BY distance LIMIT %(k)s) " + _SELECT_PASSAGES
)
_INDEXED = (
    "WITH top AS (SELECT c.id, c.embedding <=> %(query)s::vector AS distance FROM chunks c{join}"
    " WHERE c.tenant_id = %(tenant)s AND c.collection_id = %(collection)s"
    " ORDER BY c.embedding <=> %(query)s::vector LIMIT %(k)s) " + _SELECT_PASSAGES
)


@dataclass(frozen=True)
class SearchConfig:
    # Minimum hnsw.ef_search, used as is for a collection that is the whole table.
    ef_search: int = 64
    # Collections with at most this many chunks are always searched exactly.
    exact_max_chunks: int = 2_000
    statement_timeout_ms: int = 2_000


class ChunkSearch:
    def __init__(self, db: Callable[[], Database], config: SearchConfig) -> None:
        self._db = db
        self.config = config

    def search(
        self, tenant_id: str, collection: str, query: np.ndarray, top_k: int, metadata_filter: dict[str, Any] | None
    ) -> list[Passage]:
        """Return the ``top_k`` chunks nearest to ``query``, best first."""
        params = {"query": vector_literal(query), "tenant": tenant_id, "k": top_k, "filter": Jsonb(metadata_filter)}
        join = _FILTER_JOIN if metadata_filter else ""
        with self._db().connection() as conn, conn.transaction():
            conn.execute(
                "SELECT set_config('statement_timeout', %s, true)", (f"{self.config.statement_timeout_ms}ms",)
            )
            # reltuples is the planner's estimate of the table's rows (-1 before the first ANALYZE).
            row = conn.execute(
                "SELECT id, chunk_count, (SELECT reltuples FROM pg_class WHERE oid = 'chunks'::regclass)"
                " FROM collections WHERE tenant_id = %s AND name = %s",
                (tenant_id, collection),
            ).fetchone()
            if row is None:
                raise CollectionNotFoundError(
                    f"collection {collection!r} does not exist; add documents to it with POST /v1/documents",
                    param="retrieval.collection",
                )
            params["collection"], chunk_count, table_estimate = row
            if chunk_count == 0:
                return []
            ef_search = self.ef_search_for(chunk_count, float(table_estimate), top_k)
            rows: list[tuple] = []
            if ef_search is not None:
                conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", (str(ef_search),))
                rows = conn.execute(_INDEXED.format(join=join), params).fetchall()
            if len(rows) < min(top_k, chunk_count):
                rows = conn.execute(_EXACT.format(join=join), params).fetchall()
        return [Passage(row[0], row[1], 1.0 - float(row[3]), row[2], row[4]) for row in rows]

    def ef_search_for(self, chunk_count: int, table_estimate: float, top_k: int) -> int | None:
        """Return the ef_search for an index scan of this collection, or None to search exactly.

        ``table_estimate`` may lag behind recent inserts, so it counts as at least the collection's size.
        """
        if chunk_count <= self.config.exact_max_chunks:
            return None
        share = chunk_count / max(table_estimate, float(chunk_count))
        ef_search = max(self.config.ef_search, math.ceil(CANDIDATES_PER_RESULT * top_k / share))
        return ef_search if ef_search <= HNSW_MAX_EF_SEARCH else None
