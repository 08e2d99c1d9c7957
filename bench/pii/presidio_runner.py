"""Presidio's predefined pattern recognizers, run without a downloaded spaCy model.

``AnalyzerEngine`` normally loads a trained spaCy pipeline, which cannot be
downloaded here. The engine below uses ``spacy.blank("en")`` (a tokenizer
only) and sets each token's lemma to its lower-case form, so Presidio's
context enhancement (which compares lemmas with each recognizer's context
words) still works.
"""

from __future__ import annotations

import os

# Keep tldextract (used by Presidio's email validation) on its bundled suffix
# list instead of fetching one over the network.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import spacy  # noqa: E402
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry  # noqa: E402
from presidio_analyzer.nlp_engine import SpacyNlpEngine  # noqa: E402
from presidio_analyzer.predefined_recognizers import (  # noqa: E402
    AbaRoutingRecognizer,
    CreditCardRecognizer,
    CryptoRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    MacAddressRecognizer,
    PhoneRecognizer,
    UsBankRecognizer,
    UsItinRecognizer,
    UsSsnRecognizer,
)
from spacy.language import Language  # noqa: E402

# Presidio entity name -> sluicegate entity type.
TYPE_MAP = {
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "US_SSN": "US_SSN",
    "US_ITIN": "US_ITIN",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP_ADDRESS",
    "MAC_ADDRESS": "MAC_ADDRESS",
    "ABA_ROUTING_NUMBER": "ABA_ROUTING_NUMBER",
    "US_BANK_NUMBER": "US_BANK_ACCOUNT",
    "CRYPTO": "CRYPTO_WALLET",
}
PHONE_REGIONS = ["US", "GB", "DE", "FR", "IN", "BR", "CA", "AU"]


@Language.component("lowercase_lemma")
def _lowercase_lemma(doc):
    for token in doc:
        token.lemma_ = token.lower_
    return doc


class BlankSpacyEngine(SpacyNlpEngine):
    """A spaCy NLP engine with a tokenizer and lower-case lemmas, and no trained model."""

    def load(self) -> None:
        pipeline = spacy.blank("en")
        pipeline.add_pipe("lowercase_lemma")
        self.nlp = {"en": pipeline}


def recognizers() -> list:
    return [
        EmailRecognizer(),
        PhoneRecognizer(supported_regions=PHONE_REGIONS),
        CreditCardRecognizer(),
        UsSsnRecognizer(),
        UsItinRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        MacAddressRecognizer(),
        AbaRoutingRecognizer(),
        UsBankRecognizer(),
        CryptoRecognizer(),
    ]


def build_engine() -> AnalyzerEngine:
    engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry(recognizers=recognizers(), supported_languages=["en"])
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


def analyze(engine: AnalyzerEngine, text: str) -> list[tuple[str, int, int, float]]:
    """Return (sluicegate type, start, end, score) for every result at Presidio's default threshold 0."""
    results = engine.analyze(text, language="en", entities=list(TYPE_MAP))
    return [(TYPE_MAP[r.entity_type], r.start, r.end, r.score) for r in results if r.entity_type in TYPE_MAP]
