"""Entity types that the screening stage detects, and the detection result."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class EntityType(str, Enum):
    EMAIL_ADDRESS = "EMAIL_ADDRESS"
    PHONE_NUMBER = "PHONE_NUMBER"
    CREDIT_CARD = "CREDIT_CARD"
    US_SSN = "US_SSN"
    US_ITIN = "US_ITIN"
    IBAN = "IBAN"
    IP_ADDRESS = "IP_ADDRESS"
    MAC_ADDRESS = "MAC_ADDRESS"
    US_BANK_ACCOUNT = "US_BANK_ACCOUNT"
    ABA_ROUTING_NUMBER = "ABA_ROUTING_NUMBER"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    CRYPTO_WALLET = "CRYPTO_WALLET"
    AWS_ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
    AWS_SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
    PRIVATE_KEY = "PRIVATE_KEY"
    JWT = "JWT"
    BEARER_TOKEN = "BEARER_TOKEN"
    API_KEY = "API_KEY"
    URL_CREDENTIALS = "URL_CREDENTIALS"

    def __str__(self) -> str:
        return self.value


# Credentials rather than personal data: masking hides them completely.
SECRET_TYPES = frozenset(
    {
        EntityType.AWS_ACCESS_KEY_ID,
        EntityType.AWS_SECRET_ACCESS_KEY,
        EntityType.PRIVATE_KEY,
        EntityType.JWT,
        EntityType.BEARER_TOKEN,
        EntityType.API_KEY,
        EntityType.URL_CREDENTIALS,
    }
)

# When two candidates overlap, the higher priority wins before score and length.
# More specific, checksum-validated types rank above generic digit patterns.
PRIORITY: dict[EntityType, int] = {
    EntityType.PRIVATE_KEY: 100,
    EntityType.URL_CREDENTIALS: 95,
    EntityType.JWT: 90,
    EntityType.AWS_ACCESS_KEY_ID: 88,
    EntityType.API_KEY: 86,
    EntityType.BEARER_TOKEN: 84,
    EntityType.AWS_SECRET_ACCESS_KEY: 82,
    EntityType.CRYPTO_WALLET: 80,
    EntityType.EMAIL_ADDRESS: 75,
    EntityType.IBAN: 70,
    EntityType.CREDIT_CARD: 68,
    EntityType.MAC_ADDRESS: 66,
    EntityType.IP_ADDRESS: 64,
    EntityType.US_ITIN: 62,
    EntityType.US_SSN: 60,
    EntityType.ABA_ROUTING_NUMBER: 58,
    EntityType.DATE_OF_BIRTH: 56,
    EntityType.PHONE_NUMBER: 50,
    EntityType.US_BANK_ACCOUNT: 40,
}


@dataclass(frozen=True, slots=True)
class Entity:
    """A detected entity, with ``start`` and ``end`` as code-point offsets into the original text."""

    type: EntityType
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, object]:
        return {"type": self.type.value, "start": self.start, "end": self.end, "score": self.score}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A recognizer hit in normalised-text coordinates, before overlap resolution."""

    type: EntityType
    start: int
    end: int
    score: float
