"""Redaction placeholders and their restore semantics."""

from __future__ import annotations

from sluicegate.screening import Screener


def test_same_value_same_placeholder_across_messages() -> None:
    session = Screener().start()
    first = session.redact("mail jane@example.com")
    second = session.redact("again jane@example.com and bob@example.org")
    assert first == "mail <EMAIL_ADDRESS_1>"
    assert second == "again <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>"


def test_different_values_never_share_placeholder() -> None:
    session = Screener().start()
    redacted = session.redact("a@example.com b@example.com A@example.com")
    assert redacted == "<EMAIL_ADDRESS_1> <EMAIL_ADDRESS_2> <EMAIL_ADDRESS_3>"


def test_adjacent_entities_not_merged() -> None:
    session = Screener().start()
    redacted = session.redact("a@example.com,b@example.org")
    assert redacted == "<EMAIL_ADDRESS_1>,<EMAIL_ADDRESS_2>"
    assert session.restore(redacted) == "a@example.com,b@example.org"


def test_placeholders_numbered_per_type() -> None:
    session = Screener().start()
    redacted = session.redact("jane@example.com +1 415-555-2671 bob@example.org")
    assert redacted == "<EMAIL_ADDRESS_1> <PHONE_NUMBER_1> <EMAIL_ADDRESS_2>"


def test_restore_ignores_placeholder_case() -> None:
    session = Screener().start()
    session.redact("jane@example.com")
    assert session.restore("Hi <email_address_1> and <Email_Address_1>") == "Hi jane@example.com and jane@example.com"


def test_restore_leaves_invented_placeholder() -> None:
    session = Screener().start()
    session.redact("jane@example.com")
    answer = "<EMAIL_ADDRESS_7> and <PHONE_NUMBER_1> and <NOT_A_TYPE_1>"
    assert session.restore(answer) == answer


def test_restore_inserts_values_literally() -> None:
    session = Screener().start()
    password = r"p\1a$s.*\g<0>(x)+^|{2}"
    text = f"dsn postgres://admin:{password}@db.example.com/app"
    redacted = session.redact(text)
    assert "<URL_CREDENTIALS_1>" in redacted
    assert session.restore(redacted) == text


def test_restore_value_with_backslashes() -> None:
    session = Screener().start()
    text = r"url https://me:C:\new\table@example.com and \1"
    redacted = session.redact(text)
    assert session.restore(redacted) == text


def test_restore_is_identity_without_placeholders() -> None:
    session = Screener().start()
    assert session.restore("plain answer, 3 < 4") == "plain answer, 3 < 4"


def test_literal_placeholder_in_input_is_not_reused() -> None:
    session = Screener().start()
    redacted = session.redact("the template says <EMAIL_ADDRESS_1>; my mail is jane@example.com")
    assert redacted == "the template says <EMAIL_ADDRESS_1>; my mail is <EMAIL_ADDRESS_2>"
    assert session.restore("<EMAIL_ADDRESS_1> <EMAIL_ADDRESS_2>") == "<EMAIL_ADDRESS_1> jane@example.com"


def test_scan_output_redacts_new_values_without_restoring() -> None:
    session = Screener().start()
    session.redact("my mail is jane@example.com")
    answer = session.restore("Hello <EMAIL_ADDRESS_1>, contact support@vendor.example or 4111 1111 1111 1111")
    scanned = session.scan_output(answer)
    assert scanned == "Hello jane@example.com, contact <EMAIL_ADDRESS_2> or <CREDIT_CARD_1>"
    assert session.restore(scanned) == scanned


def test_scan_output_before_restore() -> None:
    session = Screener().start()
    session.redact("my mail is jane@example.com")
    scanned = session.scan_output("Hello <EMAIL_ADDRESS_1>, write to x@vendor.example")
    assert session.restore(scanned) == "Hello jane@example.com, write to <EMAIL_ADDRESS_2>"


def test_entity_counts_by_type() -> None:
    session = Screener().start()
    session.redact("jane@example.com jane@example.com +1 415-555-2671")
    session.scan_output("call 4111 1111 1111 1111")
    assert session.entity_counts() == {"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1, "CREDIT_CARD": 1}


def test_analyze_returns_entities_and_text() -> None:
    session = Screener().start()
    result = session.analyze("mail jane@example.com")
    assert result.text == "mail <EMAIL_ADDRESS_1>"
    assert [e.to_dict() for e in result.entities] == [
        {"type": "EMAIL_ADDRESS", "start": 5, "end": 21, "score": 1.0}
    ]
