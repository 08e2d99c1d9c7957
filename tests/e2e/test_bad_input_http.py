"""Bad input over real HTTP: OpenAI-style errors with the right status, type and code."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.model

MODEL = "smollm2-135m-instruct"


def post(gateway, path: str, body: bytes | str, key: str | None = "default") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {gateway.api_key if key == 'default' else key}"
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(gateway.base_url + path, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def chat(gateway, **fields) -> tuple[int, dict]:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
    body.update(fields)
    body = {name: value for name, value in body.items() if value is not None}
    return post(gateway, "/chat/completions", json.dumps(body))


@pytest.mark.parametrize(
    ("fields", "status", "error_type", "code", "fragment"),
    [
        ({"messages": None}, 400, "invalid_request_error", "missing_required_parameter", "'messages'"),
        ({"messages": []}, 400, "invalid_request_error", "invalid_value", "at least 1 item"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, 400, "invalid_request_error", "invalid_value", "messages[0].role"),
        ({"messages": [{"role": "user", "content": ["x"]}]}, 400, "invalid_request_error", "invalid_value", "messages[0].content"),
        ({"temperature": 9}, 400, "invalid_request_error", "invalid_value", "'temperature'"),
        ({"top_p": -0.5}, 400, "invalid_request_error", "invalid_value", "'top_p'"),
        ({"max_tokens": "ten"}, 400, "invalid_request_error", "invalid_value", "'max_tokens'"),
        ({"max_tokens": 100_000}, 400, "invalid_request_error", "context_length_exceeded", "maximum context length"),
        ({"max_tokens": 10_000_000}, 400, "invalid_request_error", "invalid_value", "less than or equal to 131072"),
        ({"model": "gpt-17"}, 404, "invalid_request_error", "model_not_found", "'gpt-17' does not exist"),
    ],
)
def test_chat_rejects_bad_input(gateway, fields, status, error_type, code, fragment):
    got_status, body = chat(gateway, **fields)
    assert got_status == status
    assert body["error"]["type"] == error_type
    assert body["error"]["code"] == code
    assert fragment in body["error"]["message"]


def test_malformed_json_is_400(gateway):
    status, body = post(gateway, "/chat/completions", "{'model': oops")
    assert status == 400
    assert body["error"]["code"] == "invalid_json"
    assert "not valid JSON" in body["error"]["message"]


@pytest.mark.parametrize("key", [None, "sk-sg_000000000000_wrong", "not-even-a-key"])
def test_missing_or_wrong_key_is_401(gateway, key):
    status, body = post(gateway, "/chat/completions", json.dumps({"model": MODEL, "messages": []}), key=key)
    assert status == 401
    assert body["error"]["type"] == "authentication_error"
    assert body["error"]["code"] == "invalid_api_key"
    assert "API key" in body["error"]["message"]


def test_unknown_route_is_openai_404(gateway):
    status, body = post(gateway, "/completions/legacy", "{}")
    assert status == 404
    assert body["error"]["code"] == "unknown_url"
