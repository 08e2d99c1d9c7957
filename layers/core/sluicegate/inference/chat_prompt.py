"""Turn chat messages into prompt token ids with the ChatML template.

The SmolLM2 template renders each message as
``<|im_start|>{role}\\n{content}<|im_end|>\\n`` and ends with
``<|im_start|>assistant\\n``; when the first message is not a system message it
starts with a default system message.

Building the ids piece by piece keeps control tokens out of user text.
``<|im_start|>`` and ``<|im_end|>`` are inserted as ids. Message content goes
through a tokenizer without special tokens, so a special-token string in
content is encoded as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer

from ..backends.base import ChatMessage
from .manifest import Manifest, ModelFilesError


def load_tokenizer(tokenizer_file: Path) -> Tokenizer:
    """Load ``tokenizer_file`` so that it encodes special-token strings as plain text.

    ``tokenizers`` matches added special tokens anywhere in the input text,
    even with ``add_special_tokens=False``. With ``encode_special_tokens``
    set, a string such as ``<|im_start|>`` goes through the byte-level BPE
    model instead, and the BPE merges of SmolLM2 never produce a special
    token's id from plain text. Decoding is unchanged, so one tokenizer serves
    both directions.
    """
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.encode_special_tokens = True
    return tokenizer


class ChatPromptEncoder:
    """Encoder of chat messages into prompt ids for the ChatML model that ``manifest`` describes."""

    def __init__(self, manifest: Manifest, tokenizer: Tokenizer) -> None:
        """``tokenizer`` must come from ``load_tokenizer``, which keeps control tokens out of text."""
        if manifest["chat_format"] != "chatml":
            raise ModelFilesError(
                f"model {manifest.name!r} uses chat format {manifest['chat_format']!r}; "
                "only 'chatml' is supported"
            )
        special = manifest["special_tokens"]
        self._im_start = int(special["im_start"])
        self._im_end = int(special["im_end"])
        self._default_system_prompt: str = manifest["default_system_prompt"]
        if not tokenizer.encode_special_tokens:
            raise ValueError("the tokenizer would encode special-token strings as control ids; load it with load_tokenizer")
        self._text_tokenizer = tokenizer
        self._newline = self.encode_text("\n")

    def encode_text(self, text: str) -> list[int]:
        """Encode ``text`` as plain text: special-token strings never become control ids."""
        return self._text_tokenizer.encode(text, add_special_tokens=False).ids

    def render_prompt_ids(self, messages: Sequence[ChatMessage]) -> list[int]:
        ids: list[int] = []
        if messages and messages[0].role != "system":
            ids += self._message_ids("system", self._default_system_prompt)
        for message in messages:
            ids += self._message_ids(message.role, message.content)
        ids.append(self._im_start)
        ids += self.encode_text("assistant\n")
        return ids

    def _message_ids(self, role: str, content: str) -> list[int]:
        # The role and its newline are encoded together with the content, as
        # they would be if the rendered template were encoded as one string.
        return [self._im_start, *self.encode_text(f"{role}\n{content}"), self._im_end, *self._newline]
