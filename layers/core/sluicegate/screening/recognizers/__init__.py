"""The recognizers, one per entity family, each behind a cheap prefilter."""

from __future__ import annotations

from sluicegate.screening.entities import EntityType
from sluicegate.screening.recognizers.base import DetectionOptions, Recognizer, has_digit
from sluicegate.screening.recognizers.contact import find_emails, find_ip_addresses, find_mac_addresses
from sluicegate.screening.recognizers.crypto import find_crypto_wallets
from sluicegate.screening.recognizers.dates import find_dates_of_birth
from sluicegate.screening.recognizers.payment import find_credit_cards, find_ibans
from sluicegate.screening.recognizers.phone import find_phone_numbers
from sluicegate.screening.recognizers.secrets import (
    find_api_keys,
    find_aws_keys,
    find_bearer_tokens,
    find_jwts,
    find_private_keys,
    find_url_credentials,
)
from sluicegate.screening.recognizers.us_ids import find_bank_accounts, find_routing_numbers, find_us_tax_ids


def _contains(*needles: str):
    def prefilter(text: str) -> bool:
        return any(needle in text for needle in needles)

    return prefilter


def _types(*names: EntityType) -> frozenset[EntityType]:
    return frozenset(names)


RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer("email", _types(EntityType.EMAIL_ADDRESS), find_emails, _contains("@")),
    Recognizer("phone", _types(EntityType.PHONE_NUMBER), find_phone_numbers, has_digit, runs_last=True),
    Recognizer("credit_card", _types(EntityType.CREDIT_CARD), find_credit_cards, has_digit),
    Recognizer("us_tax_id", _types(EntityType.US_SSN, EntityType.US_ITIN), find_us_tax_ids, has_digit),
    Recognizer("iban", _types(EntityType.IBAN), find_ibans, has_digit),
    Recognizer("ip_address", _types(EntityType.IP_ADDRESS), find_ip_addresses, _contains(".", ":")),
    Recognizer("mac_address", _types(EntityType.MAC_ADDRESS), find_mac_addresses, _contains(":", "-", ".")),
    Recognizer("aba_routing", _types(EntityType.ABA_ROUTING_NUMBER), find_routing_numbers, has_digit),
    Recognizer("bank_account", _types(EntityType.US_BANK_ACCOUNT), find_bank_accounts, has_digit),
    Recognizer("date_of_birth", _types(EntityType.DATE_OF_BIRTH), find_dates_of_birth, has_digit),
    Recognizer("crypto_wallet", _types(EntityType.CRYPTO_WALLET), find_crypto_wallets, has_digit),
    Recognizer(
        "aws_keys",
        _types(EntityType.AWS_ACCESS_KEY_ID, EntityType.AWS_SECRET_ACCESS_KEY),
        find_aws_keys,
        _contains("AKIA", "ASIA", "ABIA", "ACCA", "ecret", "ECRET"),
    ),
    Recognizer("private_key", _types(EntityType.PRIVATE_KEY), find_private_keys, _contains("-----BEGIN ")),
    Recognizer("jwt", _types(EntityType.JWT), find_jwts, _contains("ey", "ew")),
    Recognizer("bearer", _types(EntityType.BEARER_TOKEN), find_bearer_tokens, _contains("earer", "EARER")),
    Recognizer(
        "api_key",
        _types(EntityType.API_KEY),
        find_api_keys,
        _contains("sk-", "gh", "github_pat_", "xox", "AIza", "glpat-", "_live_", "_test_", "hf_", "npm_", "SG.", "pypi-"),
    ),
    Recognizer("url_credentials", _types(EntityType.URL_CREDENTIALS), find_url_credentials, _contains("://")),
)

__all__ = ["RECOGNIZERS", "DetectionOptions", "Recognizer"]
