"""``scripts/invoke`` runs a function on a sample event, like ``sam local invoke``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def invoke(function: str, event: str) -> dict:
    env = dict(os.environ, SLUICEGATE_LOCAL_DIR=str(ROOT / ".local" / "test"))
    completed = subprocess.run(
        [str(ROOT / "scripts" / "invoke"), function, str(ROOT / "events" / event)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    # The handler's EMF and log lines go to stdout before the response JSON.
    start = completed.stdout.index("{\n")
    return json.loads(completed.stdout[start:])


def test_invoke_lists_models():
    response = invoke("GatewayFunction", "gateway/list_models.json")
    assert response["statusCode"] == 200
    assert "smollm2-135m-instruct" in response["body"]


@pytest.mark.model
def test_invoke_chat_event_answers():
    response = invoke("GatewayFunction", "gateway/chat_completion.json")
    body = json.loads(response["body"])
    assert response["statusCode"] == 200
    assert "Paris" in body["choices"][0]["message"]["content"]


def test_invoke_invalid_event_is_400():
    response = invoke("GatewayFunction", "gateway/chat_completion_invalid.json")
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["param"] == "messages"
