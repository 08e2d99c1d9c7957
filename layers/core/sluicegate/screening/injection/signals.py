"""Prompt-injection signals: each is a pattern with a weight between 0 and 1.

A weight is the score a text gets when only that signal fires; the detector
combines several signals as independent evidence (noisy OR).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Signal:
    flag: str
    pattern: re.Pattern[str]
    weight: float


def _signal(flag: str, weight: float, pattern: str) -> Signal:
    return Signal(flag, re.compile(pattern, re.IGNORECASE | re.MULTILINE), weight)


_TARGET_WORDS = (
    r"(?:instructions?|prompts?|rules?|directives?|directions?|guidelines?|guardrails?|constraints?|"
    r"polic(?:y|ies)|programming|context|messages?|restrictions?|filters?|safeguards?|training|orders?|commands?)"
)

SIGNALS: tuple[Signal, ...] = (
    _signal(
        "instruction_override",
        0.8,
        r"\b(?:ignore|disregard|forget|override|bypass|skip|abandon|neglect|discard|erase|drop|set aside|"
        r"(?:do not|don't|stop) (?:follow(?:ing)?|obey(?:ing)?))\b"
        # The gap may not mention the user's own text ("my previous message").
        r"(?:(?!\b(?:my|our|typos?|mistakes?|spelling)\b)[^.!?\n]){0,40}?"
        r"\b(?:previous|prior|preceding|above|earlier|former|original|initial|all|any|every|your|system|"
        r"developer|existing|current|the)\b"
        r"(?:(?!\b(?:my|our|typos?|mistakes?|spelling)\b)[^.!?\n]){0,30}?\b" + _TARGET_WORDS + r"\b",
    ),
    _signal(
        "instruction_override",
        0.55,
        r"\b(?:new|updated|real|actual|revised) (?:instructions|system prompt|rules|task)\s*(?::|are|is)"
        r"|\byour (?:new|real|true) (?:task|goal|purpose|instructions?) (?:is|are)\b"
        r"|\bfrom now on,? (?:you|ignore|only|always|respond|answer)\b",
    ),
    _signal(
        "role_play_jailbreak",
        0.85,
        r"\bDAN\b[^.\n]{0,60}\bdo anything now\b|\bdo anything now\b|\bjailbr(?:eak|oken)(?:ed)? mode\b"
        r"|\b(?:enable|activate|enter|switch to|you are in|now in|turn on)\b[^.\n]{0,20}"
        r"\b(?:developer|dev|god|sudo|debug|unrestricted|admin|maintenance) mode\b"
        # Developer mode of a phone, browser or editor is a real setting.
        r"(?![^.\n]{0,30}\b(?:on|in|for|of)\s+(?:my\s+|your\s+|the\s+|an?\s+)?(?:android|iphone|ios|phone|"
        r"chrome|firefox|browser|windows|mac|macos|device|settings|tablet|pixel|samsung|xbox|vs ?code|router|tv)\b)",
    ),
    _signal(
        "role_play_jailbreak",
        0.6,
        r"\b(?:you are|you're) no longer (?:bound|restricted|limited|censored|an? (?:ai|assistant|language model)|chatgpt)\b"
        r"|\b(?:pretend|imagine|act|behave|roleplay|role-play)\b[^.\n]{0,50}"
        r"\b(?:no|without|free of|free from|not bound by|unbound by)\b[^.\n]{0,20}"
        r"\b(?:rules|restrictions|filters|limits|limitations|guidelines|ethics|morals|censorship|policies)\b"
        r"|\bact as (?:an? )?(?:unrestricted|unfiltered|uncensored|evil|jailbroken|unaligned)\b",
    ),
    _signal(
        "role_play_jailbreak",
        0.4,
        r"\b(?:you are|you're|you have become) now (?:an? |in |called |named |DAN\b)"
        r"|\b(?:you are|you're|you will be) going to (?:act|pretend|play)\b|\bstay in character\b",
    ),
    _signal(
        "system_prompt_request",
        0.75,
        r"\b(?:reveal|show|print|display|output|repeat|tell me|give me|leak|dump|recite|spell out|"
        r"copy|paste|share|list|what (?:is|are|were|was))\b[^.!?\n]{0,30}?"
        r"\b(?:your\s+(?:system\s+|developer\s+|initial\s+|original\s+|hidden\s+|secret\s+|full\s+)?"
        r"(?:prompt|instructions|configuration|directives|system message)"
        r"|the\s+(?:hidden\s+|secret\s+|original\s+|initial\s+|full\s+|exact\s+|above\s+|preceding\s+|"
        r"confidential\s+)?(?:system|developer|hidden)\s+(?:prompt|instructions|message))\b",
    ),
    _signal(
        "system_prompt_request",
        0.7,
        r"\b(?:repeat|print|output|copy|echo|reproduce)\b[^.!?\n]{0,25}\b(?:everything|all|the text|the words|"
        r"all text|the content)\b[^.!?\n]{0,20}\b(?:above|before|preceding|prior)\b"
        r"|\bstarting with ['\"]?you are\b",
    ),
    _signal(
        "chat_template_tokens",
        0.85,
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|end_of_text|start_header_id|"
        r"end_header_id|eot_id|eom_id|fim_prefix|im_sep)\|>|\[/?INST\]|<</?SYS>>|<start_of_turn>|<end_of_turn>",
    ),
    _signal(
        "role_marker",
        0.45,
        r"^\s*(?:#{1,4}\s*)?(?:system|assistant|developer)\s*(?:message|prompt)?\s*:\s*\S"
        r"|</?(?:system|instructions?|admin)>",
    ),
    _signal(
        "data_exfiltration",
        0.6,
        r"\b(?:send|post|upload|forward|transmit|exfiltrate|leak)\b[^.\n]{0,50}"
        r"\b(?:conversation|chat history|previous messages|system prompt|secrets?|passwords?|api keys?|"
        r"credentials|tokens?|user data|personal data)\b[^.\n]{0,40}\b(?:to|at|via)\b[^.\n]{0,20}"
        r"(?:https?://|webhook|server|endpoint|email)",
    ),
)

# Markdown image whose URL carries query parameters: a rendered image sends
# them to the host without a click.
MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]{0,200}\]\(\s*<?(https?://[^\s)>]+\?[^\s)>]*=[^\s)>]*)>?[^)]*\)", re.IGNORECASE)
# Hints in the image URL's query string that it is meant to carry data.
QUERY_EXFILTRATION_HINTS = re.compile(
    r"\{|\}|%7b|\$\{|\[[A-Z_]+\]|<[A-Z_]+>|\b(?:data|conversation|history|chat|secret|password|token|key|"
    r"summary|prompt|message|messages|email|user)\b",
    re.IGNORECASE,
)
# Hints in the surrounding text that tell the model to fill the URL in.
TEXT_EXFILTRATION_HINTS = re.compile(
    r"\b(?:append|replace|substitute|fill in|insert|include|encode|url-?encode|base64)\b[^.\n]{0,60}"
    r"\b(?:conversation|chat|history|previous messages|answer|response|secret|password|data|summary|"
    r"user'?s|email|name)\b|\b(?:every|each|all) (?:answer|response|reply|message)s?\b",
    re.IGNORECASE,
)
BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/_\-]{24,}={0,2}(?![A-Za-z0-9+/=_\-])")
UNICODE_TAGS = re.compile("[\U000e0000-\U000e007f]")
# Zero-width and bidirectional control characters. ZWJ (U+200D) and ZWNJ
# (U+200C) are left out because emoji sequences and several scripts use them.
INVISIBLE_CONTROLS = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
BIDI_OVERRIDES = re.compile("[\u202d\u202e\u2066-\u2069]")

# Text that discusses injection rather than attempting it: questions,
# training material, research.
DISCUSSION = re.compile(
    r"\b(?:what (?:is|are|does|do)|explain|explanation|describe|how (?:do|does|can|could|should|to|would)|"
    r"why (?:do|does|is|are)|examples? of|such as|for example|e\.g\.|training|course|lesson|workshop|"
    r"awareness|research|paper|detect(?:ion|ing)?|defend|defen[cs]e|prevent(?:ion|ing)?|mitigat\w*|"
    r"protect\w*|classif\w*|recogni[sz]e|test cases?|red team\w*|phrase|phrases|means?|meaning|definition)\b",
    re.IGNORECASE,
)
QUESTION_START = re.compile(r"(?:what|how|why|which|who|when|where|is|are|does|do|can|could)\b", re.IGNORECASE)
# Start of a sentence: text start, after . ! ? : or a newline, with an optional "please"/"now".
SENTENCE_START = re.compile(r"(?:^|[.!?:;\n])\s*(?:(?:please|now|ok|okay|so|and|then|first),?\s+)*$", re.IGNORECASE)
