"""Benchmark texts taken from the docstrings of Python's standard library.

Docstrings are real English prose, ship with every interpreter, and are the
same on every machine with the same Python version, so the prompts need no
download. Token counts come from the chat model's own tokenizer.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Sequence

# Module docstrings for the long prompts. pdb's docstring (its command reference)
# has about 2,700 tokens, enough for the 1,500-token prompt.
PROMPT_SOURCES = {"short": (), "medium": ("argparse", "csv"), "long": ("pdb",)}
PROMPT_INSTRUCTION = "Summarize the following Python documentation in plain words.\n\n"
SHORT_QUESTION = "Explain what a Python generator is and when to use one."

# Held out from every prompt, for perplexity.
PERPLEXITY_SOURCES = ("heapq", "difflib", "tempfile")

# Chat prompts whose greedy answers are compared between the quantized model and float32.
AGREEMENT_QUESTIONS = (
    "What is the capital of France?",
    "Explain what a CPU does in one sentence.",
    "List three primary colors.",
    "Write a haiku about the sea.",
    "What does the Python function len() return?",
    "Give two tips for writing readable code.",
    "Translate 'good morning' into Spanish.",
    "Why is the sky blue? Answer briefly.",
)

# Modules whose docstrings are split into sentences for the embedding benchmark.
SENTENCE_SOURCES = (
    "json", "argparse", "subprocess", "collections", "itertools", "doctest", "heapq", "re",
    "unittest", "difflib", "typing", "csv", "sqlite3", "inspect", "pdb", "ast", "statistics",
    "random", "tempfile", "turtle", "pydoc", "string", "calendar", "pickle", "logging",
    "socketserver", "configparser", "cmd", "sched", "shelve", "timeit", "copy", "fnmatch",
)


def module_text(names: Sequence[str]) -> str:
    """Return the docstrings of the modules ``names``, joined by blank lines."""
    return "\n\n".join(inspect.getdoc(importlib.import_module(name)) or "" for name in names)


def chat_prompts(
    render: Callable[[str], list[int]], encode: Callable[[str], list[int]], decode: Callable[[list[int]], str],
    sizes: dict[str, int],
) -> dict[str, list[int]]:
    """Return prompt ids per size name: a chat message cut so that the rendered prompt has the target length.

    ``render`` turns a user message into prompt ids with the chat template,
    ``encode`` and ``decode`` convert plain text. The short prompt is a
    question, whose length is whatever the template makes of it.
    """
    prompts: dict[str, list[int]] = {}
    for name, target in sizes.items():
        if not PROMPT_SOURCES[name]:
            prompts[name] = render(SHORT_QUESTION)
            continue
        text_ids = encode(module_text(PROMPT_SOURCES[name]))
        overhead = len(render(PROMPT_INSTRUCTION))
        count = target - overhead
        if count > len(text_ids):
            raise ValueError(f"the {name} prompt needs {count} text tokens, but its sources have {len(text_ids)}")
        ids = render(PROMPT_INSTRUCTION + decode(text_ids[:count]))
        # Decoding and encoding again can merge tokens differently at the cut, so adjust the count.
        while len(ids) > target and count > 0:
            count -= 1
            ids = render(PROMPT_INSTRUCTION + decode(text_ids[:count]))
        prompts[name] = ids
    return prompts


def sentences(count: int) -> list[str]:
    """Return ``count`` sentences of at least four words from standard-library docstrings, cycling if needed."""
    found: list[str] = []
    for name in SENTENCE_SOURCES:
        text = re.sub(r"\s+", " ", inspect.getdoc(importlib.import_module(name)) or "")
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            if len(sentence.split()) >= 4:
                found.append(sentence.strip())
    if not found:
        raise RuntimeError("no sentences found in the standard-library docstrings")
    return [found[index % len(found)] for index in range(count)]
