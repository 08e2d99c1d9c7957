"""Valid cryptocurrency addresses for the corpus, built from random bytes."""

from __future__ import annotations

import hashlib
import random

from stdnum import bitcoin

from sluicegate.screening.keccak import keccak_256

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def base58check(version: int, payload: bytes) -> str:
    data = bytes([version]) + payload
    data += hashlib.sha256(hashlib.sha256(data).digest()).digest()[:4]
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = _BASE58[remainder] + encoded
    leading_zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading_zeros + encoded


def _to_five_bit(data: bytes) -> list[int]:
    accumulator, bits, values = 0, 0, []
    for byte in data:
        accumulator = (accumulator << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            values.append((accumulator >> bits) & 31)
    if bits:
        values.append((accumulator << (5 - bits)) & 31)
    return values


def segwit_address(witness_version: int, program: bytes) -> str:
    constant = 1 if witness_version == 0 else 0x2BC830A3
    data = [witness_version] + _to_five_bit(program)
    prefix = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]
    polymod = bitcoin.bech32_checksum(prefix + data + [0] * 6) ^ constant
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return "bc1" + "".join(_BECH32[value] for value in data + checksum)


def eip55(address_bytes: bytes) -> str:
    body = address_bytes.hex()
    digest = keccak_256(body.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(n, 16) >= 8 else c for c, n in zip(body, digest))


def random_wallet(rng: random.Random) -> str:
    kind = rng.choice(["p2pkh", "p2sh", "segwit", "taproot", "eth", "eth"])
    if kind == "p2pkh":
        return base58check(0, rng.randbytes(20))
    if kind == "p2sh":
        return base58check(5, rng.randbytes(20))
    if kind == "segwit":
        return segwit_address(0, rng.randbytes(20))
    if kind == "taproot":
        return segwit_address(1, rng.randbytes(32))
    return eip55(rng.randbytes(20))
