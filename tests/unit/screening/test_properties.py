"""Property tests: redaction round-trips, and no generated entity survives it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import iban, luhn

from sluicegate.screening import Screener, detect

FILLER_WORDS = ["the", "report", "and", "please", "check", "value", "hello", "our", "team", "sent", "is", "on", "to"]
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.text(_LOWER + _DIGITS, min_size=1, max_size=10))
    tag = draw(st.sampled_from(["", ".x", "+tag", "_1"]))
    domain = draw(st.text(_LOWER, min_size=2, max_size=8))
    tld = draw(st.sampled_from(["com", "org", "co.uk", "internal", "io", "de"]))
    return f"{local}{tag}@{domain}.{tld}"


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    prefix, length = draw(st.sampled_from([("4", 16), ("51", 16), ("2221", 16), ("34", 15), ("6011", 16), ("4", 19)]))
    body = prefix + draw(st.text(_DIGITS, min_size=length - len(prefix) - 1, max_size=length - len(prefix) - 1))
    number = body + luhn.calc_check_digit(body)
    separator = draw(st.sampled_from(["", " ", "-"]))
    return separator.join(number[i : i + 4] for i in range(0, len(number), 4))


@st.composite
def ssns(draw: st.DrawFn) -> str:
    area = draw(st.integers(1, 899).filter(lambda a: a != 666))
    group = draw(st.integers(1, 99))
    serial = draw(st.integers(1, 9999))
    return f"{area:03d}-{group:02d}-{serial:04d}"


@st.composite
def ibans(draw: st.DrawFn) -> str:
    bban = draw(st.text(_DIGITS, min_size=18, max_size=18))
    check = iban.calc_check_digits("DE00" + bban)
    return "DE" + check + bban


@st.composite
def ipv4_addresses(draw: st.DrawFn) -> str:
    first = draw(st.integers(1, 223))
    rest = draw(st.lists(st.integers(0, 255), min_size=3, max_size=3))
    return ".".join(str(part) for part in [first, *rest])


@st.composite
def mac_addresses(draw: st.DrawFn) -> str:
    octets = draw(st.lists(st.integers(0, 255), min_size=6, max_size=6).filter(lambda o: any(o) and set(o) != {255}))
    return ":".join(f"{octet:02x}" for octet in octets)


@st.composite
def aws_key_ids(draw: st.DrawFn) -> str:
    return "AKIA" + draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16))


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    template = draw(st.sampled_from(["+1 415-555-{0:04d}", "+44 20 7946 {0:04d}", "(212) 555-{0:04d}", "+49 30 1234{0:04d}"]))
    return template.format(draw(st.integers(100, 9999)))


ENTITIES = st.one_of(emails(), card_numbers(), ssns(), ibans(), ipv4_addresses(), mac_addresses(), aws_key_ids(), phone_numbers())


@st.composite
def texts_with_entities(draw: st.DrawFn) -> tuple[str, list[str]]:
    values = draw(st.lists(ENTITIES, min_size=1, max_size=6))
    parts: list[str] = []
    for value in values:
        parts.extend(draw(st.lists(st.sampled_from(FILLER_WORDS), max_size=4)))
        parts.append(value)
    parts.extend(draw(st.lists(st.sampled_from(FILLER_WORDS), max_size=3)))
    return " ".join(parts), values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts_with_entities())
def test_generated_entities_do_not_survive(sample: tuple[str, list[str]]) -> None:
    text, values = sample
    session = Screener().start()
    redacted = session.redact(text)
    for value in values:
        assert value not in redacted
    assert detect(redacted) == []
    assert session.restore(redacted) == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_restore_inverts_redact_on_any_text(text: str) -> None:
    session = Screener().start()
    assert session.restore(session.redact(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(texts_with_entities(), min_size=2, max_size=4))
def test_restore_inverts_redact_across_messages(samples: list[tuple[str, list[str]]]) -> None:
    session = Screener().start()
    texts = [text for text, _ in samples]
    redacted = [session.redact(text) for text in texts]
    assert session.restore("\n".join(redacted)) == "\n".join(texts)
