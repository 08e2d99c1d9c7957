"""ChunkSearch: the choice between exact and HNSW search, and the exact fallback after a filtered index scan."""

from __future__ import annotations

import pytest

import sluicegate.retrieval.search as search_module
from sluicegate.retrieval.search import ChunkSearch, SearchConfig

DOCUMENTS = [
    {"id": f"doc{number}", "text": f"Harbour report {number}: the ferry left pier {number} with {number} crates.",
     "metadata": {"pier": number}}
    for number in range(6)
]


class RecordingSql(str):
    """An SQL template that records each time it is formatted, so a test can see which query ran."""

    def __new__(cls, text: str, calls: list[str], label: str):
        value = super().__new__(cls, text)
        value.calls, value.label = calls, label
        return value

    def format(self, *args, **kwargs) -> str:
        self.calls.append(self.label)
        return str.format(self, *args, **kwargs)


@pytest.fixture()
def queries_run(monkeypatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(search_module, "_EXACT", RecordingSql(search_module._EXACT, calls, "exact"))
    monkeypatch.setattr(search_module, "_INDEXED", RecordingSql(search_module._INDEXED, calls, "indexed"))
    return calls


@pytest.mark.parametrize(
    ("chunks", "table", "top_k", "expected"),
    [
        (2_000, 1_000_000, 5, None),  # small collection: exact
        (100_000, 100_000, 5, 64),  # the whole table: the base ef_search
        (100_000, -1, 5, 64),  # never analysed: reltuples is -1
        (100_000, 100_000, 20, 80),  # 4 candidates per result
        (100_000, 1_000_000, 5, 200),  # a tenth of the table: 4 of its rows per result
        (20_000, 1_000_000, 5, 1000),  # a fiftieth: pgvector's maximum
        (10_000, 1_000_000, 5, None),  # would need 2,000, above the maximum
    ],
)
def test_ef_search_scales_with_share(chunks, table, top_k, expected):
    search = ChunkSearch(lambda: None, SearchConfig(ef_search=64, exact_max_chunks=2_000))
    assert search.ef_search_for(chunks, table, top_k) == expected


def test_index_scan_matches_exact(rag_api, tenant_id, queries_run, monkeypatch):
    rag_api.ingest(tenant_id, "harbour", DOCUMENTS)
    search = rag_api.services.retriever.search
    query = rag_api.services.embedder.embed(["ferry left pier 4 with 4 crates"])[0]
    exact = search.search(tenant_id, "harbour", query, 3, None)
    assert queries_run == ["exact"]
    monkeypatch.setattr(search, "ef_search_for", lambda chunks, table, top_k: 1000)
    indexed = search.search(tenant_id, "harbour", query, 3, None)
    assert queries_run == ["exact", "indexed"]
    assert [passage.chunk_id for passage in indexed] == [passage.chunk_id for passage in exact]
    assert indexed[0].document_id == "doc4"


def test_filtered_index_scan_falls_back_to_exact(rag_api, tenant_id, queries_run, monkeypatch):
    rag_api.ingest(tenant_id, "harbour", DOCUMENTS)
    search = rag_api.services.retriever.search
    monkeypatch.setattr(search, "ef_search_for", lambda chunks, table, top_k: 1)
    query = rag_api.services.embedder.embed(["ferry left pier 4 with 4 crates"])[0]
    passages = search.search(tenant_id, "harbour", query, 3, {"pier": 2})
    assert queries_run == ["indexed", "exact"]
    assert [passage.document_id for passage in passages] == ["doc2"]
