"""Stand-ins for the two models, so the security tests run the real HTTP, SQL and
screening paths in seconds.

``EchoBackend`` returns the last message it received, which is the screened
(redacted) text, so the gateway restores the caller's values in the
completion. The embedding stand-in is ``tests/fake_embedder.py``.
"""

from __future__ import annotations

import re

from sluicegate.backends.base import GenerationChunk, GenerationResult

_TOKEN = re.compile(r"\w+|[^\w\s]")


class EchoBackend:
    name = "local"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def count_prompt_tokens(self, messages) -> int:
        return sum(len(_TOKEN.findall(message.content)) + 4 for message in messages)

    def context_window(self) -> int:
        return 4096

    def stream(self, request):
        text = request.messages[-1].content
        self.prompts.extend(message.content for message in request.messages)
        prompt_tokens = self.count_prompt_tokens(request.messages)
        yield GenerationChunk(text, result=GenerationResult(text, "stop", prompt_tokens, 1, 0.001))


