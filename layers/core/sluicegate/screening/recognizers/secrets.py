"""Credential recognizers: cloud keys, private keys, tokens and URL passwords."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator

from sluicegate.screening.context import keyword_before
from sluicegate.screening.entities import Candidate, EntityType
from sluicegate.screening.recognizers.base import DetectionOptions

_AWS_ACCESS_KEY_ID = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])")
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_SECRET_WORDS = re.compile(
    r"(?:aws_?secret|secret_?access_?key|secretaccesskey|secret access key|aws.{0,20}secret|secret_key|"
    r"AWS_SECRET_ACCESS_KEY)",
    re.IGNORECASE,
)


def find_aws_keys(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    key_ids = list(_AWS_ACCESS_KEY_ID.finditer(text))
    for match in key_ids:
        yield Candidate(EntityType.AWS_ACCESS_KEY_ID, match.start(), match.end(), 1.0)
    for match in _AWS_SECRET.finditer(text):
        value = match.group()
        # Secret keys mix upper case, lower case and digits, but hex digests
        # and words do not.
        if value.lower() == value or value.upper() == value or not any(char.isdigit() for char in value):
            continue
        near_key_id = any(abs(key.start() - match.start()) < 160 for key in key_ids)
        if near_key_id or keyword_before(text, match.start(), _AWS_SECRET_WORDS, window=64):
            yield Candidate(EntityType.AWS_SECRET_ACCESS_KEY, match.start(), match.end(), 0.9)


_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?P<label>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:[\s\S]*?-----END (?P=label)-----"
    r"|(?:[ \t]*\r?\n[A-Za-z0-9+/=]{4,}[ \t]*(?=\r?\n|$))*)"
)


def find_private_keys(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    """Find PEM private-key blocks.

    A block without its END line extends over the whole lines of base64 that follow.
    """
    for match in _PRIVATE_KEY.finditer(text):
        yield Candidate(EntityType.PRIVATE_KEY, match.start(), match.end(), 1.0)


# A full stop may follow the token (the end of a sentence), but not one that continues a longer dotted name.
_JWT = re.compile(
    r"(?<![\w\-.])(e[wy][A-Za-z0-9_\-]{6,})\.([A-Za-z0-9_\-]{4,})\.([A-Za-z0-9_\-]*)(?![\w\-]|\.[\w\-])"
)


def _decode_base64url(part: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        return None


def is_jwt(header: str) -> bool:
    """Check that a JWT header part decodes to a JSON object with an ``alg`` field."""
    decoded = _decode_base64url(header)
    if decoded is None:
        return False
    try:
        value = json.loads(decoded)
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(value, dict) and "alg" in value


def find_jwts(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _JWT.finditer(text):
        if is_jwt(match.group(1)):
            yield Candidate(EntityType.JWT, match.start(), match.end(), 1.0)


_BEARER = re.compile(r"\bBearer[ \t]+([A-Za-z0-9\-._~+/]{8,}=*)(?![\w\-.~+/=])", re.IGNORECASE)


def find_bearer_tokens(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _BEARER.finditer(text):
        token = match.group(1)
        if not any(char.isdigit() for char in token) and token.isalpha():
            continue
        yield Candidate(EntityType.BEARER_TOKEN, match.start(1), match.end(1), 0.9)


# Token formats with a fixed, documented prefix.
_API_KEY = re.compile(
    r"(?<![\w\-])(?:"
    r"sk-(?:proj-|ant-(?:api|admin)\d{2}-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"  # OpenAI, Anthropic
    r"|gh[pousr]_[A-Za-z0-9]{36,255}"  # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{22,255}"
    r"|xox[baprse]-[A-Za-z0-9\-]{10,250}"  # Slack
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API keys
    r"|glpat-[A-Za-z0-9_\-]{20,}"  # GitLab personal access tokens
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe secret and restricted keys
    r"|hf_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|npm_[A-Za-z0-9]{36}"  # npm
    r"|SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"  # SendGrid
    r"|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}"  # PyPI upload tokens
    r")(?![\w\-])"
)


def find_api_keys(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _API_KEY.finditer(text):
        value = match.group()
        body = value.split("_", 1)[-1] if value[:3] != "sk-" else value[3:]
        # Real keys are random: require both letters and digits after the prefix.
        if not any(char.isdigit() for char in body) or not any(char.isalpha() for char in body):
            continue
        yield Candidate(EntityType.API_KEY, match.start(), match.end(), 0.95)


_URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.\-]{1,20}://([^\s:/?#@\[\]]+:[^\s/?#@\[\]]+)@", re.IGNORECASE)


def find_url_credentials(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    """Find ``user:password`` inside URLs. The span covers the credentials, not the '@' or the host."""
    for match in _URL_CREDENTIALS.finditer(text):
        yield Candidate(EntityType.URL_CREDENTIALS, match.start(1), match.end(1), 1.0)
