"""Property tests of the redactor for the entity types that
tests/unit/screening/test_properties.py does not generate: US ITIN, routing
and account numbers, dates of birth, crypto wallets, IPv6 addresses and the
secret types (sluicegate keys included). Each generated value, written with
the context words its recognizer needs, must not survive redaction or
masking, and restoring a redacted text must give the original back."""

from __future__ import annotations

import base64
import hashlib
import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.us import rtn

from sluicegate.auth.keys import generate_key
from sluicegate.screening import Screener, detect
from sluicegate.screening.keccak import keccak_256
from sluicegate.screening.policy import Action, ScreeningPolicy

FILLER_WORDS = ["the", "report", "and", "please", "check", "hello", "our", "team", "sent", "is", "to", "we"]
DIGITS = string.digits
ALPHANUMERIC = string.ascii_letters + string.digits
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def base58check(payload: bytes) -> str:
    """Encode ``payload`` with its 4-byte double SHA-256 checksum in Bitcoin's base58."""
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = BASE58_ALPHABET[remainder] + encoded
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + encoded


def eip55(address_bytes: bytes) -> str:
    """Return the mixed-case EIP-55 form of a 20-byte Ethereum address."""
    body = address_bytes.hex()
    digest = keccak_256(body.encode("ascii")).hex()
    return "0x" + "".join(char.upper() if int(nibble, 16) >= 8 else char for char, nibble in zip(body, digest))


def base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


@st.composite
def itins(draw: st.DrawFn) -> tuple[str, str]:
    group = draw(st.sampled_from([*range(50, 66), *range(70, 89), *range(90, 93), *range(94, 100)]))
    value = f"9{draw(st.integers(0, 99)):02d}-{group:02d}-{draw(st.integers(0, 9999)):04d}"
    return f"ITIN {value}", value


@st.composite
def routing_numbers(draw: st.DrawFn) -> tuple[str, str]:
    prefix = draw(st.sampled_from([*range(1, 13), *range(21, 33), *range(61, 73), 80]))
    body = f"{prefix:02d}" + draw(st.text(DIGITS, min_size=6, max_size=6))
    value = body + rtn.calc_check_digit(body)
    assert rtn.is_valid(value)
    return f"routing number {value}", value


@st.composite
def bank_accounts(draw: st.DrawFn) -> tuple[str, str]:
    value = draw(st.sampled_from("123456789")) + draw(st.text(DIGITS, min_size=9, max_size=14))
    return f"account number {value}", value


@st.composite
def dates_of_birth(draw: st.DrawFn) -> tuple[str, str]:
    year = draw(st.integers(1920, 2015))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    value = draw(
        st.sampled_from(
            [f"{year}-{month:02d}-{day:02d}", f"{month:02d}/{day:02d}/{year}", f"{MONTHS[month - 1]} {day}, {year}"]
        )
    )
    context = draw(st.sampled_from(["born on", "DOB:", "date of birth"]))
    return f"{context} {value}", value


@st.composite
def crypto_wallets(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["p2pkh", "p2sh", "eth"]))
    payload = draw(st.binary(min_size=20, max_size=20))
    if kind == "eth":
        value = eip55(payload)
    else:
        value = base58check((b"\x00" if kind == "p2pkh" else b"\x05") + payload)
    return f"wallet {value}", value


@st.composite
def ipv6_addresses(draw: st.DrawFn) -> tuple[str, str]:
    groups = draw(st.lists(st.integers(0, 0xFFFF), min_size=8, max_size=8))
    groups[0] = draw(st.integers(0x2001, 0x2FFF))
    value = ":".join(f"{group:x}" for group in groups)
    return f"host {value} is down", value


@st.composite
def private_keys(draw: st.DrawFn) -> tuple[str, str]:
    label = draw(st.sampled_from(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]))
    lines = draw(st.lists(st.binary(min_size=30, max_size=48).map(lambda data: base64.b64encode(data).decode()),
                          min_size=1, max_size=4))
    value = f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"
    return f"key:\n{value}\nthanks", value


@st.composite
def jwts(draw: st.DrawFn) -> tuple[str, str]:
    header = base64url(json.dumps({"alg": draw(st.sampled_from(["HS256", "RS256"])), "typ": "JWT"}).encode())
    claims = base64url(json.dumps({"sub": draw(st.text(ALPHANUMERIC, min_size=1, max_size=12))}).encode())
    signature = base64url(draw(st.binary(min_size=16, max_size=32)))
    value = f"{header}.{claims}.{signature}"
    return f"token {value}", value


@st.composite
def bearer_tokens(draw: st.DrawFn) -> tuple[str, str]:
    value = draw(st.text(ALPHANUMERIC + "-._~", min_size=12, max_size=40).filter(lambda token: token[0].isalnum()))
    return f"Authorization: Bearer {value}", value


@st.composite
def api_keys(draw: st.DrawFn) -> tuple[str, str]:
    shape = draw(
        st.sampled_from(
            [("sk-proj-", ALPHANUMERIC, 24), ("ghp_", ALPHANUMERIC, 36), ("glpat-", ALPHANUMERIC, 20),
             ("sk_live_", ALPHANUMERIC, 24), ("hf_", ALPHANUMERIC, 34), ("AIza", ALPHANUMERIC, 35)]
        )
    )
    prefix, alphabet, length = shape
    # Real keys are random, so their bodies mix letters and digits; the recognizer requires that.
    body = draw(
        st.text(alphabet, min_size=length, max_size=length).filter(
            lambda text: any(char.isdigit() for char in text) and any(char.isalpha() for char in text)
        )
    )
    value = prefix + body
    return f"key {value}", value


@st.composite
def sluicegate_keys(draw: st.DrawFn) -> tuple[str, str]:
    draw(st.just(None))
    value = generate_key()[1]
    return f"my gateway key is {value}", value


def mixes_cases_and_digits(value: str) -> bool:
    return value.lower() != value and value.upper() != value and any(char.isdigit() for char in value)


@st.composite
def aws_secret_keys(draw: st.DrawFn) -> tuple[str, str]:
    # Real secret keys mix cases and digits; the recognizer skips single-case strings, which are usually digests.
    value = draw(st.text(ALPHANUMERIC + "/+", min_size=40, max_size=40).filter(mixes_cases_and_digits))
    return f"aws_secret_access_key = {value}", value


@st.composite
def url_credentials(draw: st.DrawFn) -> tuple[str, str]:
    user = draw(st.text(string.ascii_lowercase, min_size=2, max_size=8))
    password = draw(st.text(ALPHANUMERIC, min_size=4, max_size=12))
    scheme = draw(st.sampled_from(["postgres", "https", "redis", "amqp"]))
    return f"dsn {scheme}://{user}:{password}@db.internal:5432/app", f"{user}:{password}"


ENTITIES = st.one_of(
    itins(), routing_numbers(), bank_accounts(), dates_of_birth(), crypto_wallets(), ipv6_addresses(),
    private_keys(), jwts(), bearer_tokens(), api_keys(), sluicegate_keys(), aws_secret_keys(), url_credentials(),
)


@st.composite
def texts_with_entities(draw: st.DrawFn) -> tuple[str, list[str]]:
    samples = draw(st.lists(ENTITIES, min_size=1, max_size=4))
    parts: list[str] = []
    for phrase, _ in samples:
        parts.extend(draw(st.lists(st.sampled_from(FILLER_WORDS), max_size=3)))
        # A full stop keeps the context words of one entity away from the next one.
        parts.append(phrase + ".")
    return " ".join(parts), [value for _, value in samples]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_with_entities())
def test_entities_do_not_survive_redaction(sample):
    text, values = sample
    session = Screener().start()
    redacted = session.redact(text)
    for value in values:
        assert value not in redacted
    assert detect(redacted) == []
    assert session.restore(redacted) == text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_with_entities())
def test_entities_do_not_survive_masking(sample):
    text, values = sample
    session = Screener(ScreeningPolicy(default_action=Action.MASK)).start()
    masked = session.redact(text)
    for value in values:
        assert value not in masked
    # Masked values are never restored, so restoring leaves the masked text as it is.
    assert session.restore(masked) == masked


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_with_entities())
def test_offsets_cover_each_value(sample):
    text, values = sample
    analysis = Screener().start().analyze(text)
    covered = [text[entity.start:entity.end] for entity in analysis.entities]
    for value in values:
        assert any(value in span or span in value for span in covered), (value, covered)
