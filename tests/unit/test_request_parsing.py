"""Chat request validation: every bad input becomes a 400 that names the problem."""

from __future__ import annotations

import json

import pytest

from sluicegate.api.chat import ChatCompletionRequest
from sluicegate.api.parsing import parse_model
from sluicegate.errors import InvalidRequestError

USER = [{"role": "user", "content": "hi"}]


def parse(body: dict | str) -> ChatCompletionRequest:
    return parse_model(ChatCompletionRequest, body if isinstance(body, str) else json.dumps(body))


@pytest.mark.parametrize(
    ("body", "param", "code", "fragment"),
    [
        ({"model": "m"}, "messages", "missing_required_parameter", "missing required parameter 'messages'"),
        ({"model": "m", "messages": []}, "messages", "invalid_value", "at least 1 item"),
        ({"model": "m", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role", "invalid_value", "'user'"),
        ({"model": "m", "messages": [{"role": "user", "content": 5}]}, "messages[0].content", "invalid_value", "valid string"),
        ({"model": "m", "messages": [{"role": "user"}]}, "messages[0].content", "missing_required_parameter", "content"),
        ({"model": "m", "messages": "hello"}, "messages", "invalid_value", "valid list"),
        ({"model": 7, "messages": USER}, "model", "invalid_value", "valid string"),
        ({"model": "m", "messages": USER, "temperature": 2.5}, "temperature", "invalid_value", "less than or equal to 2"),
        ({"model": "m", "messages": USER, "temperature": -1}, "temperature", "invalid_value", "greater than or equal to 0"),
        ({"model": "m", "messages": USER, "top_p": 0}, "top_p", "invalid_value", "greater than 0"),
        ({"model": "m", "messages": USER, "top_p": 1.5}, "top_p", "invalid_value", "less than or equal to 1"),
        ({"model": "m", "messages": USER, "max_tokens": 0}, "max_tokens", "invalid_value", "greater than or equal to 1"),
        ({"model": "m", "messages": USER, "stop": ["a", "b", "c", "d", "e"]}, "stop", "invalid_value", "at most 4 items"),
        ({"model": "m", "messages": USER, "stop": [""]}, "stop", "invalid_value", "non-empty"),
        ({"model": "m", "messages": USER, "n": 2}, "n", "invalid_value", "less than or equal to 1"),
        ({"model": "m", "messages": USER, "tools": []}, "tools", "unknown_parameter", "unrecognized request argument 'tools'"),
        ({"model": "m", "messages": USER, "stream": "yes"}, "stream", "invalid_value", "valid boolean"),
    ],
)
def test_chat_request_rejects_bad_input(body, param, code, fragment):
    with pytest.raises(InvalidRequestError) as caught:
        parse(body)
    error = caught.value
    assert error.status == 400
    assert error.error_type == "invalid_request_error"
    assert error.param == param
    assert error.code == code
    assert fragment in error.message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [("", "body is empty"), ("{not json", "not valid JSON"), ("[1, 2]", "must be a JSON object, not list")],
)
def test_malformed_body_is_invalid_json(raw, fragment):
    with pytest.raises(InvalidRequestError) as caught:
        parse(raw)
    assert caught.value.code == "invalid_json"
    assert fragment in caught.value.message


def test_valid_request_keeps_every_field():
    request = parse(
        {
            "model": "m",
            "messages": [{"role": "developer", "content": [{"type": "text", "text": "be brief"}]}, *USER],
            "temperature": 0,
            "top_p": 0.9,
            "top_k": 40,
            "seed": 7,
            "stop": "END",
            "max_completion_tokens": 12,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    assert request.messages[0].text() == "be brief"
    assert request.stop_sequences() == ("END",)
    assert request.requested_max_tokens() == 12
    assert request.stream_options.include_usage is True


@pytest.mark.parametrize(("field", "value"), [("temperature", "0.5"), ("max_tokens", "10"), ("seed", 1.5), ("stream", 1)])
def test_no_silent_type_coercion(field, value):
    with pytest.raises(InvalidRequestError) as caught:
        parse({"model": "m", "messages": USER, field: value})
    assert caught.value.param == field
