"""Keccak-256 against known digests and against hashlib's SHA3-256 padding variant."""

from __future__ import annotations

import hashlib

from sluicegate.screening.keccak import keccak_256


def test_empty_input_digest() -> None:
    assert keccak_256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_sha3_padding_matches_hashlib() -> None:
    for length in (0, 1, 135, 136, 137, 272, 500):
        data = bytes(range(256)) * 2
        assert keccak_256(data[:length], padding=0x06) == hashlib.sha3_256(data[:length]).digest(), length


def test_differs_from_sha3() -> None:
    assert keccak_256(b"abc") != hashlib.sha3_256(b"abc").digest()
