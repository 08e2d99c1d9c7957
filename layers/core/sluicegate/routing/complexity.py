"""A cheap complexity score for routing hard prompts to a larger model.

The score is a hand-weighted heuristic in [0, 1], not a trained classifier:
it looks at the last user message for length, reasoning verbs, code and math,
and adds a little for long conversations. It costs a few regular expression
scans, so the router can compute it on every request.
"""

from __future__ import annotations

import re

from ..backends.base import ChatMessage

_REASONING = re.compile(
    r"\b(why|explain|prove|derive|analy[sz]e|compare|contrast|trade-?offs?|step[- ]by[- ]step|design|architect\w*|"
    r"optimi[sz]e|debug|refactor|algorithm\w*|complexity|theorem|evaluate|critique|justify)\b",
    re.IGNORECASE,
)
_CODE = re.compile(r"```|\bdef \w+\(|\bclass \w+|\bfunction \w+\(|#include|\bSELECT\b.+\bFROM\b|=>|\{\s*$", re.MULTILINE)
_MATH = re.compile(r"\\(frac|sum|int|sqrt)|\d\s*[-+*/^=]\s*\d|\b(integral|derivative|matrix|equation|probability)\b", re.IGNORECASE)

# Weights add up to 1.0.
_LENGTH_WEIGHT = 0.3
_REASONING_WEIGHT = 0.3
_CODE_WEIGHT = 0.2
_MATH_WEIGHT = 0.1
_CONVERSATION_WEIGHT = 0.1
# Words in the last user message at which the length part is full.
_LONG_MESSAGE_WORDS = 400


def complexity_score(messages: tuple[ChatMessage, ...]) -> float:
    """Score how demanding the request looks, from 0.0 (trivial) to 1.0."""
    users = [message.content for message in messages if message.role == "user"]
    if users:
        text = users[-1]
    elif messages:
        text = messages[-1].content
    else:
        text = ""
    words = len(text.split())
    reasoning_hits = len(_REASONING.findall(text))
    score = (
        _LENGTH_WEIGHT * min(1.0, words / _LONG_MESSAGE_WORDS)
        + _REASONING_WEIGHT * min(1.0, reasoning_hits / 3)
        + _CODE_WEIGHT * (1.0 if _CODE.search(text) else 0.0)
        + _MATH_WEIGHT * (1.0 if _MATH.search(text) else 0.0)
        + _CONVERSATION_WEIGHT * min(1.0, max(0, len(messages) - 2) / 8)
    )
    return round(min(1.0, score), 4)
