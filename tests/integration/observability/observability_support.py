"""A scripted model backend and constants shared by the observability tests."""

from __future__ import annotations

from pathlib import Path

from sluicegate.backends.base import GenerationChunk, GenerationResult
from sluicegate.errors import BackendError

ROOT = Path(__file__).resolve().parents[3]
MODEL = "smollm2-135m-instruct"
# A user message containing this word makes the scripted backend fail with a 502.
FAIL_WORD = "FAIL-BACKEND"


class ScriptedBackend:
    """A backend that streams the same two chunks for every request, or fails on FAIL_WORD."""

    name = "local"

    def count_prompt_tokens(self, messages) -> int:
        return 4 * len(messages)

    def context_window(self) -> int:
        return 64

    def stream(self, request):
        if any(FAIL_WORD in message.content for message in request.messages):
            raise BackendError("the scripted backend failed as the test asked")
        prompt_tokens = self.count_prompt_tokens(request.messages)
        yield GenerationChunk("Blue")
        yield GenerationChunk(" sky.", result=GenerationResult("Blue sky.", "stop", prompt_tokens, 2, 0.002))
