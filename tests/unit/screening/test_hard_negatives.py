"""Texts that look like entities but are not: none may be detected."""

from __future__ import annotations

import pytest

from sluicegate.screening import detect

HARD_NEGATIVES = [
    "Your order #4111111111111111 has shipped.",
    "Order number 4155552671 is confirmed.",
    "Invoice no. 123456789 is due.",
    "Tracking number 1Z999AA10123456784 via UPS.",
    "tracking: 9400111899223197428490",
    "created_at=1700000000",
    "event timestamp 1700000000123 ms",
    "epoch 1699999999.123",
    "upgrade to version 1.2.3.4 today",
    "pip install requests==2.31.0.1",
    "release v10.0.0.1 notes",
    "id 550e8400-e29b-41d4-a716-446655440000",
    "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    "git sha 0x9fceb02d0ae598e95dc970b74767f19372d61af8 in the log",
    "edit config.py and settings.json",
    "open report.final.pdf",
    "zip 94105-1234 is in SF",
    "sku ABC1234567890XYZ",
    "token abc4111111111111111def",
    "build 20231005123456 passed",
    "meeting on 2023-10-05 at 10:30",
    "time 12:30:45 and 23:59:59",
    "ratio 3:2:1 and std::vector",
    "size 1024x768 at 60Hz",
    "pi is 3.14159265358979",
    "Bearer authentication is described in RFC 6750",
    "the sk-learn package",
    "use @decorator on config",
    "email me at name [at] example",
]


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negative_not_detected(text: str) -> None:
    found = [(e.type.value, text[e.start : e.end]) for e in detect(text)]
    assert found == []
