"""ChatML prompt rendering for endpoints that take a raw prompt string.

ChatML is the template of SmolLM2, Qwen2 and other instruct models:
``<|im_start|>{role}\\n{content}<|im_end|>\\n`` per message, then an open
assistant turn. The gateway renders it for the TGI dialect and to estimate
prompt tokens; the local SageMaker emulator parses it back into messages.
"""

from __future__ import annotations

import re

from .base import ChatMessage

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"

_TURN = re.compile(r"<\|im_start\|>(system|user|assistant|tool)\n(.*?)<\|im_end\|>\n", re.DOTALL)
_OPEN_ASSISTANT = f"{IM_START}assistant\n"


def render_chatml(messages: tuple[ChatMessage, ...]) -> str:
    """Render ``messages`` as ChatML, ending with an open assistant turn."""
    turns = [f"{IM_START}{message.role}\n{message.content}{IM_END}\n" for message in messages]
    return "".join(turns) + _OPEN_ASSISTANT


def parse_chatml(prompt: str) -> tuple[ChatMessage, ...]:
    """Split a prompt made by ``render_chatml`` back into messages.

    Raises ``ValueError`` when the text is not a sequence of complete ChatML
    turns followed by an open assistant turn.
    """
    if not prompt.endswith(_OPEN_ASSISTANT):
        raise ValueError("the prompt does not end with an open assistant turn ('<|im_start|>assistant\\n')")
    body = prompt[: -len(_OPEN_ASSISTANT)]
    messages: list[ChatMessage] = []
    position = 0
    for match in _TURN.finditer(body):
        if match.start() != position:
            raise ValueError(f"unexpected text at character {position} of the prompt; expected '<|im_start|>'")
        messages.append(ChatMessage(role=match.group(1), content=match.group(2)))  # type: ignore[arg-type]
        position = match.end()
    if position != len(body):
        raise ValueError(f"unexpected text at character {position} of the prompt; expected '<|im_start|>'")
    if not messages:
        raise ValueError("the prompt contains no ChatML turns")
    return tuple(messages)
