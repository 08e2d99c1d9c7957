"""A labelled PII corpus: Faker-generated entities in templated sentences, plus hand-written hard cases.

Every document is built piece by piece, so each label's span is exact by
construction. The seed makes the corpus identical on every run.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass, field

import phonenumbers
from faker import Faker

from hard_cases import HARD_NEGATIVES, HARD_POSITIVES
from wallets import random_wallet

SEED = 20240611
ENTITIES_PER_TYPE = 140


@dataclass
class Document:
    text: str
    labels: list[tuple[str, int, int]] = field(default_factory=list)


class _DocumentBuilder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.labels: list[tuple[str, int, int]] = []
        self.length = 0

    def text(self, value: str) -> None:
        self.parts.append(value)
        self.length += len(value)

    def entity(self, entity_type: str, value: str) -> None:
        self.labels.append((entity_type, self.length, self.length + len(value)))
        self.text(value)

    def template(self, template: str, entity_type: str, value: str) -> None:
        before, _, after = template.partition("{}")
        self.text(before)
        self.entity(entity_type, value)
        self.text(after)

    def build(self) -> Document:
        return Document("".join(self.parts), self.labels)


_PHONE_LOCALES = {"en_US": "US", "en_GB": "GB", "de_DE": "DE", "fr_FR": "FR", "en_IN": "IN", "pt_BR": "BR", "en_AU": "AU", "en_CA": "CA"}


def _phone(fakers: dict[str, Faker], rng: random.Random) -> str:
    while True:
        locale = rng.choice(list(_PHONE_LOCALES))
        value = fakers[locale].phone_number()
        try:
            parsed = phonenumbers.parse(value, _PHONE_LOCALES[locale])
        except phonenumbers.NumberParseException:
            continue
        # Faker draws digits at random, so only numbers that libphonenumber
        # accepts as valid become gold labels.
        if phonenumbers.is_valid_number(parsed):
            return value


def _card(fake: Faker, rng: random.Random) -> str:
    while True:
        number = fake.credit_card_number(card_type=rng.choice(["visa16", "visa13", "visa19", "mastercard", "amex", "discover", "diners", "jcb16", "maestro"]))
        # Faker's Maestro list includes the prefix 0604, which no issuer uses.
        if not number.startswith("0"):
            break
    style = rng.choice(["plain", "space", "dash"])
    if style == "plain":
        return number
    separator = " " if style == "space" else "-"
    if len(number) == 15:
        return separator.join([number[:4], number[4:10], number[10:]])
    return separator.join(number[i : i + 4] for i in range(0, len(number), 4))


def _jwt(rng: random.Random) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    header = part({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
    payload = part({"sub": str(rng.randint(1, 10**9)), "iat": rng.randint(1_600_000_000, 1_700_000_000)})
    signature = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def _random_token(rng: random.Random, alphabet: str, length: int) -> str:
    while True:
        token = "".join(rng.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
            return token


_ALNUM = string.ascii_letters + string.digits


def _api_key(rng: random.Random) -> str:
    return rng.choice(
        [
            lambda: "sk-proj-" + _random_token(rng, _ALNUM + "_-", 48),
            lambda: "ghp_" + _random_token(rng, _ALNUM, 36),
            lambda: "xoxb-" + str(rng.randint(10**11, 10**12)) + "-" + _random_token(rng, _ALNUM, 24),
            lambda: "AIza" + _random_token(rng, _ALNUM + "_-", 35),
            lambda: "glpat-" + _random_token(rng, _ALNUM + "_-", 20),
            lambda: "sk_live_" + _random_token(rng, _ALNUM, 24),
        ]
    )()


def _entity_generators(fakers: dict[str, Faker], rng: random.Random):
    fake = fakers["en_US"]
    return {
        "EMAIL_ADDRESS": (lambda: rng.choice([fake.email(), fake.company_email(), fake.free_email(), fakers["de_DE"].email()]),
                          ["Please email {} for details.", "Contact: {}", "cc {} on the thread", "My address is {}."]),
        "PHONE_NUMBER": (lambda: _phone(fakers, rng),
                         ["Call me at {} tomorrow.", "Phone: {}", "You can reach the office on {}.", "mobile {} (after 5pm)"]),
        "CREDIT_CARD": (lambda: _card(fake, rng),
                        ["Charge it to card {} please.", "My card number is {}.", "Payment card: {}", "I used {} for the order."]),
        "US_SSN": (lambda: fake.ssn(),
                   ["My SSN is {}.", "SSN: {}", "Social security number {} on file.", "his ssn {} was verified"]),
        "US_ITIN": (lambda: fake.itin(),
                    ["ITIN {} for the filing.", "My ITIN is {}.", "taxpayer id (ITIN): {}"]),
        "IBAN": (lambda: rng.choice([fakers[loc].iban() for loc in ("de_DE", "fr_FR", "en_GB", "nl_NL", "es_ES", "it_IT")]),
                 ["Wire to IBAN {} by Friday.", "IBAN: {}", "Our account {} at the bank."]),
        "IP_ADDRESS": (lambda: rng.choice([fake.ipv4_public(), fake.ipv4_private(), fake.ipv6()]),
                       ["The login came from {} last night.", "Server IP: {}", "blocked {} after the scan"]),
        "MAC_ADDRESS": (lambda: rng.choice([fake.mac_address(), fake.mac_address().upper().replace(":", "-")]),
                        ["Device MAC {} joined the network.", "mac address: {}", "NIC {} is flapping"]),
        "ABA_ROUTING_NUMBER": (lambda: fake.aba(),
                               ["Routing number {} for the transfer.", "ABA: {}", "bank routing {} and"]),
        "US_BANK_ACCOUNT": (lambda: fake.numerify("#" * rng.randint(8, 17)),
                            ["Bank account number {} at Chase.", "acct # {}", "Checking account {} is overdrawn."]),
        "DATE_OF_BIRTH": (lambda: fake.date_of_birth().strftime(rng.choice(["%Y-%m-%d", "%m/%d/%Y", "%B %d, %Y", "%d.%m.%Y"])),
                          ["Date of birth: {}", "She was born on {}.", "DOB {} (verified)"]),
        "CRYPTO_WALLET": (lambda: random_wallet(rng),
                          ["Send the funds to {} today.", "wallet: {}", "My address is {} on mainnet."]),
        "AWS_ACCESS_KEY_ID": (lambda: rng.choice(["AKIA", "ASIA"]) + _random_token(rng, string.ascii_uppercase + "234567", 16),
                              ["aws_access_key_id = {}", "The key {} leaked in the repo."]),
        "JWT": (lambda: _jwt(rng), ["token={}", "The session JWT {} expired."]),
        "API_KEY": (lambda: _api_key(rng), ["API key: {}", "export TOKEN={}"]),
        "URL_CREDENTIALS": (lambda: f"{fake.user_name()}:{fake.password(special_chars=False)}",
                            ["postgres://{}@db.example.com:5432/app", "fetch https://{}@registry.example.org/pkg"]),
    }


def build_corpus(seed: int = SEED) -> list[Document]:
    rng = random.Random(seed)
    Faker.seed(seed)
    fakers = {locale: Faker(locale) for locale in set(_PHONE_LOCALES) | {"nl_NL", "es_ES", "it_IT"}}
    filler = fakers["en_US"]
    generators = _entity_generators(fakers, rng)

    pending = [(entity_type, generator, templates) for entity_type, (generator, templates) in generators.items() for _ in range(ENTITIES_PER_TYPE)]
    rng.shuffle(pending)

    documents: list[Document] = []
    while pending:
        builder = _DocumentBuilder()
        for index in range(min(rng.randint(1, 3), len(pending))):
            entity_type, generator, templates = pending.pop()
            if index or rng.random() < 0.5:
                builder.text(filler.sentence() + " ")
            builder.template(rng.choice(templates), entity_type, generator())
            builder.text(" ")
        if rng.random() < 0.5:
            builder.text(_generated_trap(fakers["en_US"], rng) + " ")
        builder.text(filler.sentence())
        documents.append(builder.build())

    documents.extend(_hand_written())
    return documents


def _generated_trap(fake: Faker, rng: random.Random) -> str:
    return rng.choice(
        [
            lambda: f"Order #{fake.numerify('#########')} has shipped.",
            lambda: f"Invoice {fake.numerify('INV-########')} is attached.",
            lambda: f"Tracking number {fake.numerify('1Z###########')}{rng.randint(1000, 9999)}.",
            lambda: f"created_at={fake.unix_time():.0f}",
            lambda: f"ts {int(fake.unix_time() * 1000)}",
            lambda: f"Upgrade to version {rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}.",
            lambda: f"request id {fake.uuid4()}",
            lambda: f"commit {fake.sha1()}",
            lambda: f"checksum {fake.sha256()}",
            lambda: f"see {fake.file_name()}",
            lambda: f"ZIP {fake.zipcode_plus4()}",
            lambda: f"The meeting is on {fake.date()} at {fake.time()}.",
            lambda: f"sku {fake.bothify('??#########??').upper()}",
            lambda: f"ISBN {fake.isbn13()}",
            lambda: f"EAN {fake.ean13()}",
        ]
    )()


def _hand_written() -> list[Document]:
    documents = []
    for text, values in HARD_POSITIVES:
        builder = _DocumentBuilder()
        rest = text
        for entity_type, value in values:
            before, _, rest = rest.partition(value)
            builder.text(before)
            builder.entity(entity_type, value)
        builder.text(rest)
        documents.append(builder.build())
    documents.extend(Document(text) for text in HARD_NEGATIVES)
    return documents
