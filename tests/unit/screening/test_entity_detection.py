"""Table-driven detection tests: each case names the exact span it expects."""

from __future__ import annotations

import pytest

from sluicegate.screening import EntityType, detect

E = EntityType

# (entity type, text, the value whose span must be reported)
POSITIVES = [
    (E.EMAIL_ADDRESS, "write to jane.doe@example.com today", "jane.doe@example.com"),
    (E.EMAIL_ADDRESS, "tag: jane+billing@mail.example.co.uk.", "jane+billing@mail.example.co.uk"),
    (E.EMAIL_ADDRESS, "punycode a.b@xn--mnchen-3ya.de ok", "a.b@xn--mnchen-3ya.de"),
    (E.EMAIL_ADDRESS, "internal ops@db.internal", "ops@db.internal"),
    (E.EMAIL_ADDRESS, "corp alice@hq.corp and more", "alice@hq.corp"),
    (E.EMAIL_ADDRESS, "printer@office.local is down", "printer@office.local"),
    (E.EMAIL_ADDRESS, "root@localhost received it", "root@localhost"),
    (E.PHONE_NUMBER, "call +1 415-555-2671 now", "+1 415-555-2671"),
    (E.PHONE_NUMBER, "call +1 415-555-2671 ext. 42 now", "+1 415-555-2671 ext. 42"),
    (E.PHONE_NUMBER, "office (415) 555-2671 x123.", "(415) 555-2671 x123"),
    (E.PHONE_NUMBER, "london 0044 20 7946 0958", "0044 20 7946 0958"),
    (E.PHONE_NUMBER, "london 020 7946 0958", "020 7946 0958"),
    (E.PHONE_NUMBER, "berlin +49 30 12345678", "+49 30 12345678"),
    (E.PHONE_NUMBER, "paris 01 23 45 67 89", "01 23 45 67 89"),
    (E.PHONE_NUMBER, "mumbai 98765 43210", "98765 43210"),
    (E.PHONE_NUMBER, "sao paulo (11) 91234-5678", "(11) 91234-5678"),
    (E.PHONE_NUMBER, "sydney 0412 345 678", "0412 345 678"),
    (E.PHONE_NUMBER, "phone: 4155552671", "4155552671"),
    (E.CREDIT_CARD, "visa 4111 1111 1111 1111 exp", "4111 1111 1111 1111"),
    (E.CREDIT_CARD, "mc 5555-5555-5555-4444.", "5555-5555-5555-4444"),
    (E.CREDIT_CARD, "mc2 2223003122003222 ok", "2223003122003222"),
    (E.CREDIT_CARD, "amex 3782 822463 10005", "3782 822463 10005"),
    (E.CREDIT_CARD, "discover 6011000990139424", "6011000990139424"),
    (E.CREDIT_CARD, "visa19 4111 1111 1111 1111 003 paid", "4111 1111 1111 1111 003"),
    (E.CREDIT_CARD, "card 4111 1111 1111 1111 123 (cvv)", "4111 1111 1111 1111"),
    (E.US_SSN, "ssn 536-90-4399.", "536-90-4399"),
    (E.US_SSN, "number 536 90 4399 here", "536 90 4399"),
    (E.US_SSN, "SSN: 536904399", "536904399"),
    (E.US_ITIN, "ITIN 912-70-1234", "912-70-1234"),
    (E.IBAN, "iban DE89 3704 0044 0532 0130 00 thanks", "DE89 3704 0044 0532 0130 00"),
    (E.IBAN, "pay GB82WEST12345698765432.", "GB82WEST12345698765432"),
    (E.IBAN, "to FR14 2004 1010 0505 0001 3M02 606 now", "FR14 2004 1010 0505 0001 3M02 606"),
    (E.IP_ADDRESS, "host 192.168.1.20 down", "192.168.1.20"),
    (E.IP_ADDRESS, "from 8.8.8.8.", "8.8.8.8"),
    (E.IP_ADDRESS, "v6 2001:db8::8a2e:370:7334 up", "2001:db8::8a2e:370:7334"),
    (E.IP_ADDRESS, "full fe80:0:0:0:202:b3ff:fe1e:8329 up", "fe80:0:0:0:202:b3ff:fe1e:8329"),
    (E.MAC_ADDRESS, "nic 00:1A:2B:3C:4D:5E up", "00:1A:2B:3C:4D:5E"),
    (E.MAC_ADDRESS, "nic 00-1a-2b-3c-4d-5e up", "00-1a-2b-3c-4d-5e"),
    (E.MAC_ADDRESS, "cisco 001a.2b3c.4d5e up", "001a.2b3c.4d5e"),
    (E.ABA_ROUTING_NUMBER, "routing number 021000021 for chase", "021000021"),
    (E.US_BANK_ACCOUNT, "account number 123456789012", "123456789012"),
    (E.US_BANK_ACCOUNT, "routing 021000021, acct # 00012345678", "00012345678"),
    (E.DATE_OF_BIRTH, "born on March 5, 1980 in Ohio", "March 5, 1980"),
    (E.DATE_OF_BIRTH, "DOB: 1975-04-12", "1975-04-12"),
    (E.DATE_OF_BIRTH, "date of birth 12/31/1990.", "12/31/1990"),
    (E.DATE_OF_BIRTH, "birthday 5th of June 2001", "5th of June 2001"),
    (E.CRYPTO_WALLET, "btc 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 ok", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
    (E.CRYPTO_WALLET, "p2sh 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"),
    (E.CRYPTO_WALLET, "bech32 bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    (
        E.CRYPTO_WALLET,
        "taproot bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr",
        "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr",
    ),
    (E.CRYPTO_WALLET, "to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
    (
        E.CRYPTO_WALLET,
        "my eth wallet 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    ),
    (E.AWS_ACCESS_KEY_ID, "key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    (E.AWS_ACCESS_KEY_ID, "session ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    (
        E.AWS_SECRET_ACCESS_KEY,
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        E.JWT,
        "token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    (E.BEARER_TOKEN, "Authorization: Bearer abcDEF123456ghiJKL", "abcDEF123456ghiJKL"),
    (E.API_KEY, "OPENAI_API_KEY=sk-proj-abcdefghijklmnop1234567890", "sk-proj-abcdefghijklmnop1234567890"),
    (E.API_KEY, "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    (E.API_KEY, "slack xoxb-123456789012-abcdefABCDEF", "xoxb-123456789012-abcdefABCDEF"),
    (E.API_KEY, "google AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
    (E.API_KEY, "gitlab glpat-ab12CD34ef56GH78ij90", "glpat-ab12CD34ef56GH78ij90"),
    (E.API_KEY, "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    (E.URL_CREDENTIALS, "dsn postgres://admin:s3cr3t@db.internal:5432/app", "admin:s3cr3t"),
    (E.URL_CREDENTIALS, "get https://bob:p%40ss@example.com/x", "bob:p%40ss"),
]

PRIVATE_KEY_TEXT = (
    "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u\n"
    "-----END RSA PRIVATE KEY-----\nthanks"
)
TRUNCATED_KEY_TEXT = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "QyNTUxOQAAACB\nthat is all I have"
)


@pytest.mark.parametrize(("entity_type", "text", "value"), POSITIVES, ids=[f"{c[0].value}-{i}" for i, c in enumerate(POSITIVES)])
def test_detects_exact_span(entity_type: EntityType, text: str, value: str) -> None:
    start = text.index(value)
    found = [(e.type, e.start, e.end) for e in detect(text)]
    assert (entity_type, start, start + len(value)) in found


def test_private_key_block_span() -> None:
    start = PRIVATE_KEY_TEXT.index("-----BEGIN")
    end = PRIVATE_KEY_TEXT.index("\nthanks")
    found = [(e.type, e.start, e.end) for e in detect(PRIVATE_KEY_TEXT)]
    assert found == [(EntityType.PRIVATE_KEY, start, end)]


def test_private_key_without_end_line() -> None:
    entities = detect(TRUNCATED_KEY_TEXT)
    assert [e.type for e in entities] == [EntityType.PRIVATE_KEY]
    assert TRUNCATED_KEY_TEXT[entities[0].end :] == "\nthat is all I have"


def test_adjacent_entities_are_separate() -> None:
    text = "a@example.com,b@example.org 192.168.0.1/8.8.8.8"
    values = [text[e.start : e.end] for e in detect(text)]
    assert values == ["a@example.com", "b@example.org", "192.168.0.1", "8.8.8.8"]


def test_url_credentials_win_over_email() -> None:
    text = "redis://user:hunter2@cache.example.com:6379"
    types = [e.type for e in detect(text)]
    assert types == [EntityType.URL_CREDENTIALS]


def test_card_with_20_digits_is_not_truncated() -> None:
    assert detect("ref 41111111111111111112 ok") == []


def test_card_with_mixed_separators_rejected() -> None:
    assert detect("visa 4111 1111-1111 1111") == []


def test_eth_address_with_broken_checksum_rejected() -> None:
    assert detect("to 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD") == []


def test_single_case_eth_address_needs_context() -> None:
    assert detect("hash 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") == []


def test_invalid_ssn_areas_rejected() -> None:
    for value in ("000-12-3456", "666-12-3456", "923-12-3456", "536-00-4399", "536-90-0000"):
        types = [e.type for e in detect(f"ssn {value}")]
        assert EntityType.US_SSN not in types, value


def test_bare_ssn_needs_context() -> None:
    assert [e.type for e in detect("code 536904399 here")] == []


def test_iban_with_bad_checksum_rejected() -> None:
    assert detect("iban DE88 3704 0044 0532 0130 00") == []


def test_routing_number_needs_context_and_checksum() -> None:
    assert detect("number 021000021") == []
    assert detect("routing number 021000022") == []


def test_date_without_birth_context_ignored() -> None:
    assert detect("the meeting is on 1975-04-12") == []
