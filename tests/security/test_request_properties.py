"""Property tests of request parsing: any body either parses or becomes a 400 with an
OpenAI error body, and nothing but InvalidRequestError ever escapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sluicegate.api.batches import parse_batch_request, parse_results_page
from sluicegate.api.chat import ChatCompletionRequest
from sluicegate.api.documents import DocumentsRequest
from sluicegate.api.embeddings import EmbeddingsRequest
from sluicegate.api.parsing import MAX_JSON_DEPTH, load_json_object, parse_model
from sluicegate.api.redact import RedactRequest
from sluicegate.errors import InvalidRequestError

# Every character, unpaired surrogates included, since a JSON "\ud800" escape decodes to one.
ANY_CHARACTER = st.characters(codec=None, categories=None)
TEXT = st.text(ANY_CHARACTER, max_size=30)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=25,
)
# Maximum length of the message of a 400, because the parameter path and the
# value shown in it are both clipped.
MAX_ERROR_MESSAGE_CHARS = 1_000

USER = [{"role": "user", "content": "hello"}]
VALID_BODIES: dict[type[BaseModel], dict[str, Any]] = {
    ChatCompletionRequest: {"model": "m", "messages": USER, "temperature": 0.5, "stop": ["END"], "seed": 1},
    RedactRequest: {"input": ["mail jane@example.com"], "shared_numbering": True},
    DocumentsRequest: {"collection": "c", "documents": [{"id": "d1", "text": "some text", "metadata": {"a": 1}}]},
    EmbeddingsRequest: {"model": "e", "input": ["a", "b"], "encoding_format": "float"},
}


def near_valid(base: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid body with some fields replaced, removed or added, nested fields included."""
    keys = sorted(base)

    def mutate(changes: dict[str, Any], removed: list[str]) -> dict[str, Any]:
        body = {key: value for key, value in base.items() if key not in removed}
        body.update(changes)
        return body

    return st.builds(
        mutate,
        st.dictionaries(st.sampled_from(keys) | TEXT, JSON_VALUES, max_size=3),
        st.lists(st.sampled_from(keys), max_size=2),
    )


def assert_openai_error(error: InvalidRequestError) -> None:
    assert error.status == 400
    body = error.to_body()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == "invalid_request_error"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert len(body["error"]["message"]) <= MAX_ERROR_MESSAGE_CHARS
    # The body must be serialisable as the HTTP layer sends it, as UTF-8 text.
    json.dumps(body, ensure_ascii=False).encode("utf-8")


def parse_or_400(model: type[BaseModel], raw: str) -> BaseModel | None:
    try:
        return parse_model(model, raw)
    except InvalidRequestError as error:
        assert_openai_error(error)
        return None


@pytest.mark.parametrize("model", list(VALID_BODIES), ids=lambda model: model.__name__)
def test_valid_body_parses(model):
    assert isinstance(parse_model(model, json.dumps(VALID_BODIES[model])), model)


@pytest.mark.parametrize("model", list(VALID_BODIES), ids=lambda model: model.__name__)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_json_object_parses_or_is_400(model, data):
    body = data.draw(st.one_of(near_valid(VALID_BODIES[model]), st.dictionaries(TEXT, JSON_VALUES, max_size=5)))
    parsed = parse_or_400(model, json.dumps(body))
    if parsed is not None:
        assert isinstance(parsed, model)


@pytest.mark.parametrize("model", list(VALID_BODIES), ids=lambda model: model.__name__)
@settings(max_examples=200, deadline=None)
@given(raw=st.text(ANY_CHARACTER, max_size=60) | JSON_VALUES.map(json.dumps))
@example(raw='{"model": NaN}')
@example(raw='{"a": -Infinity}')
@example(raw='{"a": 1e400}')
@example(raw='{"a": ' + "9" * 5000 + "}")
@example(raw="[" * 100_000 + "]" * 100_000)
@example(raw='{"a": "\\u0000"}')
@example(raw='{"\\udc00": 1}')
@example(raw='{"' + "k" * 100_000 + '": 1}')
def test_any_text_body_parses_or_is_400(model, raw):
    parse_or_400(model, raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries({"custom_id": TEXT, "body": near_valid(VALID_BODIES[ChatCompletionRequest])})
        | JSON_VALUES,
        max_size=4,
    ),
    st.one_of(st.none(), JSON_VALUES),
)
def test_any_batch_parses_or_is_400(items, metadata):
    body = {"items": items} if metadata is None else {"items": items, "metadata": metadata}
    try:
        batch, requests = parse_batch_request(json.dumps(body))
    except InvalidRequestError as error:
        assert_openai_error(error)
        return
    assert len(requests) == len(batch.items)
    assert not any(request.stream for request in requests)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["after", "limit"]) | TEXT, TEXT, max_size=3))
def test_any_results_query_parses_or_is_400(query):
    try:
        after, limit = parse_results_page(query)
    except InvalidRequestError as error:
        assert_openai_error(error)
        return
    assert 1 <= limit <= 100
    assert after is None or (len(after) <= 256 and "\x00" not in after)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=3 * MAX_JSON_DEPTH), st.sampled_from(["list", "object"]))
@example(MAX_JSON_DEPTH, "list")
@example(MAX_JSON_DEPTH + 1, "object")
def test_nesting_over_limit_is_400(depth, kind):
    # The body object itself is the first level, so the body nests ``depth`` levels.
    inner = "1"
    for _ in range(depth - 1):
        inner = f"[{inner}]" if kind == "list" else f'{{"a": {inner}}}'
    raw = f'{{"a": {inner}}}'
    if depth > MAX_JSON_DEPTH:
        with pytest.raises(InvalidRequestError) as caught:
            load_json_object(raw)
        assert "deep" in caught.value.message
    else:
        assert load_json_object(raw)["a"] is not None


@settings(max_examples=200, deadline=None)
@given(st.text(ANY_CHARACTER, max_size=40))
@example("nul \x00 inside")
@example("lone \ud800 surrogate")
@example("pair \U0001f600 of surrogates when escaped")
def test_loaded_strings_hold_no_nul_or_lone_surrogate(text):
    try:
        loaded = load_json_object(json.dumps({"text": text}))
    except InvalidRequestError as error:
        assert_openai_error(error)
        assert "\x00" in text or any(0xD800 <= ord(character) <= 0xDFFF for character in text)
        return
    loaded["text"].encode("utf-8")
    assert "\x00" not in loaded["text"]
