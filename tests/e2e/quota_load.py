"""Load generator for the HTTP quota concurrency test.

``send_chat_requests`` runs in a process started with the ``spawn`` method,
so it imports only the standard library.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

MODEL = "smollm2-135m-instruct"
# A prompt whose answer is longer than any small max_tokens, so every completion uses all of max_tokens.
PROMPT = "Count from one to one hundred in words, separated by commas."
REQUEST_TIMEOUT_S = 120


def post_chat(base_url: str, api_key: str, max_tokens: int) -> tuple[int, str | None, dict[str, str]]:
    """Send one chat completion and return its HTTP status, the error code (if any) and the response headers."""
    body = json.dumps(
        # Greedy decoding gives every request the same tokens, so none ends early with a sampled EOS.
        {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": max_tokens, "temperature": 0}
    ).encode()
    request = urllib.request.Request(
        f"{base_url}/chat/completions",
        data=body,
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            response.read()
            return response.status, None, dict(response.headers)
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            code = json.loads(payload)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = f"unparsed error body: {payload[:200]!r}"
        return error.code, code, dict(error.headers)
    except OSError as error:
        # Status 0 marks a request that got no HTTP response, such as a refused or reset connection.
        return 0, repr(error), {}


def send_chat_requests(base_urls: list[str], api_key: str, worker: int, count: int, max_tokens: int) -> list[tuple[int, str | None]]:
    """Send ``count`` chat completions at once, alternating between ``base_urls``; return ``(status, error code)`` of each."""
    targets = [base_urls[(worker + index) % len(base_urls)] for index in range(count)]
    with ThreadPoolExecutor(max_workers=count) as pool:
        responses = list(pool.map(lambda url: post_chat(url, api_key, max_tokens), targets))
    return [(status, code) for status, code, _ in responses]
