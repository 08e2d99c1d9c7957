"""Cryptocurrency wallet recognizer: Bitcoin and Ethereum addresses with checksums."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import bitcoin

from sluicegate.screening.context import keyword_before
from sluicegate.screening.entities import Candidate, EntityType
from sluicegate.screening.keccak import keccak_256
from sluicegate.screening.recognizers.base import DetectionOptions

_BASE58 = re.compile(r"(?<![\w])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![\w])")
_BECH32 = re.compile(r"(?<![\w])(?:bc1[02-9ac-hj-np-z]{8,87}|BC1[02-9AC-HJ-NP-Z]{8,87})(?![\w])")
_ETHEREUM = re.compile(r"(?<![\w])0x[0-9a-fA-F]{40}(?![\w])")
_WALLET_WORDS = re.compile(
    r"\b(?:eth|ether|ethereum|wallet|erc-?20|metamask|send|address|addr|usdt|usdc|crypto)\b",
    re.IGNORECASE,
)
# Bech32m (BIP 350) replaces the final constant 1 of bech32 for witness version 1 and up.
_BECH32M_CONSTANT = 0x2BC830A3
_BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _is_bech32m(address: str) -> bool:
    address = address.lower()
    data = [_BECH32_ALPHABET.index(char) for char in address[3:]]
    if not data or data[0] == 0:
        return False
    prefix = [ord(char) >> 5 for char in "bc"] + [0] + [ord(char) & 31 for char in "bc"]
    return bitcoin.bech32_checksum(prefix + data) == _BECH32M_CONSTANT


def is_eip55_checksum(address: str) -> bool:
    """Check the mixed-case EIP-55 checksum of a 0x-prefixed Ethereum address."""
    body = address[2:]
    digest = keccak_256(body.lower().encode("ascii")).hex()
    for char, nibble in zip(body, digest):
        if char.isalpha() and char.isupper() != (int(nibble, 16) >= 8):
            return False
    return True


def find_crypto_wallets(text: str, options: DetectionOptions) -> Iterator[Candidate]:
    for match in _BASE58.finditer(text):
        if bitcoin.is_valid(match.group()):
            yield Candidate(EntityType.CRYPTO_WALLET, match.start(), match.end(), 1.0)
    if "bc1" in text or "BC1" in text:
        for match in _BECH32.finditer(text):
            if bitcoin.is_valid(match.group()) or _is_bech32m(match.group()):
                yield Candidate(EntityType.CRYPTO_WALLET, match.start(), match.end(), 1.0)
    if "0x" in text:
        for match in _ETHEREUM.finditer(text):
            body = match.group()[2:]
            single_case = body == body.lower() or body == body.upper()
            if not single_case:
                if is_eip55_checksum(match.group()):
                    yield Candidate(EntityType.CRYPTO_WALLET, match.start(), match.end(), 1.0)
            elif keyword_before(text, match.start(), _WALLET_WORDS):
                # A single-case address carries no checksum, so it counts only after a wallet keyword.
                yield Candidate(EntityType.CRYPTO_WALLET, match.start(), match.end(), 0.7)
