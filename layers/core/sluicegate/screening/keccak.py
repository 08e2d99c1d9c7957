"""Keccak-256 as used by Ethereum, in pure Python.

Ethereum hashes with the original Keccak padding (0x01), which differs from
the NIST SHA3-256 padding (0x06) that ``hashlib.sha3_256`` applies, and
neither the standard library, OpenSSL 3.0 nor the installed ``cryptography``
package offers the original variant. Only EIP-55 address checksums use this,
on 40-byte inputs, so speed is not a concern.
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_RATE_BYTES = 136  # 1600-bit state minus 2 x 256-bit capacity


def _lfsr_bit(step: int) -> int:
    """Return bit ``step`` of the round-constant LFSR (x^8 + x^6 + x^5 + x^4 + 1)."""
    register = 1
    for _ in range(step % 255):
        register <<= 1
        if register & 0x100:
            register ^= 0x171
    return register & 1


def _round_constants() -> tuple[int, ...]:
    constants = []
    for round_index in range(24):
        value = 0
        for j in range(7):
            if _lfsr_bit(j + 7 * round_index):
                value |= 1 << ((1 << j) - 1)
        constants.append(value)
    return tuple(constants)


def _rotation_offsets() -> tuple[int, ...]:
    offsets = [0] * 25
    x, y = 1, 0
    for t in range(24):
        offsets[x + 5 * y] = ((t + 1) * (t + 2) // 2) % 64
        x, y = y, (2 * x + 3 * y) % 5
    return tuple(offsets)


_ROUND_CONSTANTS = _round_constants()
_ROTATIONS = _rotation_offsets()


def _rotate(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK if shift else value


def _permute(lanes: list[int]) -> None:
    """Apply Keccak-f[1600] in place. Lane (x, y) is ``lanes[x + 5 * y]``."""
    for constant in _ROUND_CONSTANTS:
        columns = [lanes[x] ^ lanes[x + 5] ^ lanes[x + 10] ^ lanes[x + 15] ^ lanes[x + 20] for x in range(5)]
        for x in range(5):
            delta = columns[(x - 1) % 5] ^ _rotate(columns[(x + 1) % 5], 1)
            for y in range(0, 25, 5):
                lanes[x + y] ^= delta

        moved = [0] * 25
        for x in range(5):
            for y in range(5):
                moved[y + 5 * ((2 * x + 3 * y) % 5)] = _rotate(lanes[x + 5 * y], _ROTATIONS[x + 5 * y])

        for y in range(0, 25, 5):
            row = moved[y : y + 5]
            for x in range(5):
                lanes[x + y] = row[x] ^ (~row[(x + 1) % 5] & _MASK & row[(x + 2) % 5])

        lanes[0] ^= constant


def keccak_256(data: bytes, *, padding: int = 0x01) -> bytes:
    """Return the 32-byte Keccak-256 digest, or the SHA3-256 digest with ``padding=0x06``."""
    message = bytearray(data)
    message.append(padding)
    message.extend(b"\x00" * (-len(message) % _RATE_BYTES))
    message[-1] |= 0x80

    lanes = [0] * 25
    for block_start in range(0, len(message), _RATE_BYTES):
        block = message[block_start : block_start + _RATE_BYTES]
        for index in range(_RATE_BYTES // 8):
            lanes[index] ^= int.from_bytes(block[index * 8 : index * 8 + 8], "little")
        _permute(lanes)

    return b"".join(lane.to_bytes(8, "little") for lane in lanes[:4])
