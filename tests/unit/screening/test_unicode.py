"""Detection through Unicode obfuscation, with offsets in original code points."""

from __future__ import annotations

from sluicegate.screening import EntityType, Screener, detect
from sluicegate.screening.normalize import normalize


def test_zero_width_inside_email() -> None:
    text = "mail ja\u200bne@exa\u200dmple.com now"
    entities = detect(text)
    assert [(e.type, e.start, e.end) for e in entities] == [(EntityType.EMAIL_ADDRESS, 5, 23)]
    assert text[5:23] == "ja\u200bne@exa\u200dmple.com"


def test_full_width_digits_in_card() -> None:
    card = "\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11"
    text = f"card: {card}!"
    entities = detect(text)
    assert [(e.type, e.start, e.end) for e in entities] == [(EntityType.CREDIT_CARD, 6, 6 + len(card))]


def test_offsets_after_astral_characters() -> None:
    text = "\U0001f600\U0001f600 write to jane@example.com"
    entities = detect(text)
    start = text.index("jane")
    assert [(e.start, e.end) for e in entities] == [(start, start + len("jane@example.com"))]


def test_ligature_expansion_maps_back() -> None:
    text = "\ufb01le owner jane@example.com"
    normalized = normalize(text)
    assert normalized.text.startswith("file")
    entities = detect(text)
    assert text[entities[0].start : entities[0].end] == "jane@example.com"


def test_full_width_at_sign() -> None:
    text = "jane\uff20example.com"
    assert [(e.start, e.end) for e in detect(text)] == [(0, len(text))]


def test_redaction_removes_obfuscated_value() -> None:
    session = Screener().start()
    text = "ssn 536\u200b-90-4399 ok"
    redacted = session.redact(text)
    assert redacted == "ssn <US_SSN_1> ok"
    assert session.restore(redacted) == text


def test_ascii_text_keeps_identity_map() -> None:
    assert normalize("plain text").index_map is None
