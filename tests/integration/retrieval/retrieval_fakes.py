"""Stand-ins for the two models, so the retrieval tests exercise the SQL and HTTP paths quickly.

``BagOfWordsEmbedder`` (from ``tests/fake_embedder.py``) maps each word to a hashed
dimension; ``RecordingBackend`` answers with a fixed text and
keeps every prompt it was sent.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from fake_embedder import BagOfWordsEmbedder  # noqa: F401  (imported by the retrieval tests from here)
from sluicegate.backends.base import GenerationChunk, GenerationResult



class RecordingBackend:
    name = "local"

    def __init__(self, window: int = 4096) -> None:
        self.window = window
        self.requests = []

    def count_prompt_tokens(self, messages) -> int:
        return sum(len(message.content.split()) + 4 for message in messages)

    def context_window(self) -> int:
        return self.window

    def stream(self, request):
        self.requests.append(request)
        prompt_tokens = self.count_prompt_tokens(request.messages)
        yield GenerationChunk("The answer [1].", result=GenerationResult("The answer [1].", "stop", prompt_tokens, 4, 0.001))

    def last_prompt(self) -> str:
        return self.requests[-1].messages[-1].content


def call(base_url: str, key: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], dict]:
    """Send one JSON request and return ``(status, headers, decoded body)``, errors included."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())
