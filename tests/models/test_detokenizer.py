import pytest

from sluicegate.inference.detokenizer import IncrementalDecoder

pytestmark = pytest.mark.model  # needs the built models (make models)

TEXTS = [
    "Plain ASCII, with punctuation!",
    "日本語のテキスト",
    "Emoji 🚀🧪 and flags 🇫🇷",
    "Accents: café, naïve, Zürich",
    "  leading spaces and\nnew lines\n",
]


def stream(tokenizer, ids):
    decoder = IncrementalDecoder(tokenizer)
    deltas = [decoder.push(token_id) for token_id in ids]
    deltas.append(decoder.flush())
    return deltas


def test_texts_contain_partial_tokens(chat_model):
    # Precondition: some tokens hold only part of a UTF-8 character.
    tokenizer = chat_model.tokenizer
    ids = tokenizer.encode("".join(TEXTS), add_special_tokens=False).ids
    assert any("\ufffd" in tokenizer.decode([token_id]) for token_id in ids)


def test_streamed_text_round_trips(chat_model):
    tokenizer = chat_model.tokenizer
    for text in TEXTS:
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        deltas = stream(tokenizer, ids)
        assert "".join(deltas) == text
        for delta in deltas:
            assert "\ufffd" not in delta


def test_incomplete_character_is_held_until_flush(chat_model):
    tokenizer = chat_model.tokenizer
    ids = tokenizer.encode("🚀", add_special_tokens=False).ids
    assert len(ids) > 1
    decoder = IncrementalDecoder(tokenizer)
    assert decoder.push(ids[0]) == ""
    assert decoder.flush() == "\ufffd"


def test_special_tokens_are_not_emitted(chat_model):
    tokenizer = chat_model.tokenizer
    ids = tokenizer.encode("Hi", add_special_tokens=False).ids + [1, 2]
    assert "".join(stream(tokenizer, ids)) == "Hi"
