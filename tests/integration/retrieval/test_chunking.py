"""Token-based chunking: sizes, overlap and preferred cut points."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluicegate.retrieval.chunking import ChunkingConfig, chunk_text


def word_offsets(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in re.finditer(r"\w+|[^\w\s]", text)]


def sentence(number: int, words: int = 9) -> str:
    return " ".join(f"w{number}x{index}" for index in range(words)) + "."


def test_short_text_is_one_chunk():
    chunks = chunk_text("One short sentence.", word_offsets, ChunkingConfig(20, 4))
    assert [(chunk.text, chunk.token_count, chunk.ordinal) for chunk in chunks] == [("One short sentence.", 4, 0)]


def test_empty_text_has_no_chunks():
    assert chunk_text(" \n\t ", word_offsets, ChunkingConfig(20, 4)) == []


def test_chunks_end_at_sentence_ends():
    text = " ".join(sentence(number) for number in range(12))  # 10 tokens per sentence
    chunks = chunk_text(text, word_offsets, ChunkingConfig(35, 8))
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.token_count <= 35
        assert chunk.text.endswith(".")


def test_paragraph_break_preferred_over_sentence():
    first = " ".join(sentence(number) for number in range(2))  # 20 tokens
    second = " ".join(sentence(number) for number in range(2, 6))
    chunks = chunk_text(first + "\n\n" + second, word_offsets, ChunkingConfig(36, 0))
    assert chunks[0].text == first


def test_overlap_starts_at_sentence():
    text = " ".join(sentence(number) for number in range(8))
    chunks = chunk_text(text, word_offsets, ChunkingConfig(40, 12))
    for previous, current in zip(chunks, chunks[1:]):
        assert current.start_char < previous.end_char
        assert current.text.startswith("w")
        assert text[current.start_char - 2 : current.start_char] == ". "


def test_long_word_run_is_cut_inside():
    text = "x" * 10 + "-" + "y" * 10
    offsets = [(index, index + 1) for index in range(len(text))]  # one token per character, no spaces
    chunks = chunk_text(text, lambda _: offsets, ChunkingConfig(8, 2))
    assert all(chunk.token_count <= 8 for chunk in chunks)
    assert chunks[0].text == text[:8]
    assert chunks[-1].end_char == len(text)


def test_config_rejects_large_overlap():
    with pytest.raises(ValueError, match="overlap_tokens must be between 0 and 9"):
        ChunkingConfig(20, 10)


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(st.sampled_from(["alpha", "beta.", "gamma!", "\n\n", "delta?", "e", "\n", "(zeta)"]), max_size=300),
    max_tokens=st.integers(min_value=8, max_value=60),
    overlap_share=st.floats(min_value=0, max_value=0.49),
)
def test_chunks_cover_text_within_budget(words, max_tokens, overlap_share):
    text = " ".join(words)
    overlap = min(int(max_tokens * overlap_share), max_tokens // 2 - 1)
    chunks = chunk_text(text, word_offsets, ChunkingConfig(max_tokens, overlap))
    offsets = word_offsets(text)
    if not offsets:
        assert chunks == []
        return
    assert chunks[0].start_char == offsets[0][0]
    assert chunks[-1].end_char == offsets[-1][1]
    for previous, current in zip(chunks, chunks[1:]):
        assert current.start_char > previous.start_char
    for chunk in chunks:
        assert 0 < chunk.token_count <= max_tokens
        assert chunk.text == text[chunk.start_char : chunk.end_char]
    covered = set()
    for chunk in chunks:
        covered.update(index for index, (start, end) in enumerate(offsets) if chunk.start_char <= start and end <= chunk.end_char)
    assert covered == set(range(len(offsets)))


@pytest.mark.model
def test_minilm_chunks_fit_model(model_rag_api):
    embedder = model_rag_api.services.embedder
    text = "\n\n".join(f"Section {number}. " + "The gateway stores every chunk with its embedding. " * 30 for number in range(5))
    chunks = chunk_text(text, embedder.token_offsets, ChunkingConfig(200, 40))
    assert len(chunks) > 5
    assert max(embedder.input_lengths([chunk.text for chunk in chunks])) <= embedder.max_input_tokens
    assert all(chunk.text.endswith(".") for chunk in chunks)
