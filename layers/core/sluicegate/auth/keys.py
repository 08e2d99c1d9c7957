"""API key format: ``sk-sg_<key id>_<secret>``.

The key id is public (shown in listings and logs); the whole key is stored
only as a SHA-256 digest and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "sk-sg"
_KEY_ID_BYTES = 6
_SECRET_BYTES = 32


@dataclass(frozen=True)
class ParsedKey:
    key_id: str
    digest: bytes


def generate_key() -> tuple[str, str]:
    """Return a new ``(key_id, full_key)``; the full key is shown to its owner once."""
    key_id = secrets.token_hex(_KEY_ID_BYTES)
    return key_id, f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"


def digest_key(full_key: str) -> bytes:
    return hashlib.sha256(full_key.encode("utf-8")).digest()


def parse_key(full_key: str) -> ParsedKey | None:
    """Split a presented key; ``None`` when it does not have the sluicegate shape."""
    parts = full_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key_id, secret = parts[1], parts[2]
    if len(key_id) != 2 * _KEY_ID_BYTES or not secret:
        return None
    return ParsedKey(key_id=key_id, digest=digest_key(full_key))


def digests_match(presented: bytes, stored: bytes) -> bool:
    return hmac.compare_digest(presented, stored)


def display_prefix(key_id: str) -> str:
    """Return the part of a key that is safe to show: ``sk-sg_<key id>_...``."""
    return f"{KEY_PREFIX}_{key_id}_..."
