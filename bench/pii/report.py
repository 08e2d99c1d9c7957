"""Markdown rendering of the PII benchmark results."""

from __future__ import annotations

from dataclasses import dataclass

from scoring import Counts, score

PRESIDIO_THRESHOLDS = (0.0, 0.3, 0.5, 0.7)


@dataclass
class Results:
    documents: list
    ours: list[list[tuple[str, int, int]]]
    theirs_scored: list[list[tuple[str, int, int, float]]]
    our_speed: float
    their_speed: float
    injection: dict
    machine: str
    shared_types: frozenset[str]


def _theirs_at(results: Results, threshold: float) -> list[list[tuple[str, int, int]]]:
    return [[(t, s, e) for t, s, e, p in document if p >= threshold] for document in results.theirs_scored]


def _cell(counts: Counts | None) -> str:
    if counts is None:
        return "— | — | —"
    return f"{counts.precision:.3f} | {counts.recall:.3f} | {counts.f1:.3f}"


def _table(results: Results, *, exact: bool) -> list[str]:
    gold = [document.labels for document in results.documents]
    ours = score(gold, results.ours, exact=exact)
    theirs = {threshold: score(gold, _theirs_at(results, threshold), exact=exact) for threshold in PRESIDIO_THRESHOLDS}
    shared = results.shared_types
    types = sorted(set(ours) | {label[0] for labels in gold for label in labels})

    lines = [
        "| type | gold | sluicegate P | R | F1 | Presidio P | R | F1 | Presidio best F1 (threshold) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entity_type in types:
        expected = sum(1 for labels in gold for label in labels if label[0] == entity_type)
        if entity_type in shared:
            best = max(PRESIDIO_THRESHOLDS, key=lambda t: theirs[t][entity_type].f1)
            presidio = _cell(theirs[0.0][entity_type])
            best_cell = f"{theirs[best][entity_type].f1:.3f} ({best})"
        else:
            presidio, best_cell = _cell(None), "—"
        lines.append(f"| {entity_type} | {expected} | {_cell(ours.get(entity_type, Counts()))} | {presidio} | {best_cell} |")
    return lines


def render(results: Results) -> str:
    entity_count = sum(len(document.labels) for document in results.documents)
    negatives = sum(1 for document in results.documents if not document.labels)
    injection = results.injection
    lines = [
        "# PII screening benchmark",
        "",
        "Command: `python bench/pii/run.py` (it builds its own venv from `requirements/bench-pii.txt` and "
        "`layers/core/requirements.txt`).",
        f"Machine: {results.machine}.",
        "",
        f"Corpus: {len(results.documents)} documents with {entity_count} labelled entities, generated with "
        f"Faker (seeded) in templated sentences, plus hand-written hard cases and {negatives} "
        "documents that contain only false-positive traps (order and tracking numbers, timestamps, versions, "
        "UUIDs, hashes, file names, ZIP+4 codes). About half of the generated documents also carry a trap sentence.",
        "",
        "Presidio: `presidio-analyzer` 2.2.366 with only its predefined pattern recognizers (Email, Phone with "
        "the same eight regions as sluicegate, CreditCard, UsSsn, UsItin, Iban, Ip, MacAddress, AbaRouting, UsBank, "
        "Crypto) registered in an `AnalyzerEngine`. No trained spaCy model can be downloaded here, so the engine "
        "uses `spacy.blank(\"en\")` with lower-case lemmas: tokenisation and Presidio's context-word score "
        "boosts work, NER does not. Presidio columns use its default score threshold (0); the last column shows "
        f"its best F1 over thresholds {', '.join(str(t) for t in PRESIDIO_THRESHOLDS)}, chosen per type on this corpus.",
        "",
        "Type mapping: IBAN_CODE → IBAN, US_BANK_NUMBER → US_BANK_ACCOUNT, CRYPTO → CRYPTO_WALLET; other names are equal. "
        "Presidio's DATE_TIME finds every date rather than dates of birth, so DATE_OF_BIRTH and the secret types are "
        "scored for sluicegate only.",
        "",
        "## Detection quality (a match is the same type with overlapping spans)",
        "",
        *_table(results, exact=False),
        "",
        "## Detection quality with exact spans",
        "",
        *_table(results, exact=True),
        "",
        "Lost credit-card recall comes from Faker itself: its JCB numbers use 35xx prefixes outside the "
        "JCB range 3528-3589, and some of its Maestro numbers have 12 digits, below the 13-19 digits that "
        "sluicegate accepts. Presidio's looser pattern finds some of these and loses precision elsewhere.",
        "",
        "## Throughput",
        "",
        "| system | MB/s | relative |",
        "| --- | ---: | ---: |",
        f"| sluicegate `detect()` | {results.our_speed:.2f} | {results.our_speed / results.their_speed:.1f}x |",
        f"| Presidio pattern recognizers | {results.their_speed:.2f} | 1.0x |",
        "",
        "Single thread, best of the timed passes over the whole corpus (UTF-8 bytes / wall time).",
        "",
        "## Prompt-injection detector",
        "",
        f"Script: `bench/pii/injection_eval.py`; threshold {injection['threshold']} (the policy default).",
        "",
        f"- Attack prompts detected: {injection['detected']}/{injection['attacks']} "
        f"({injection['detected'] / injection['attacks']:.1%})",
        f"- Benign prompts flagged: {len(injection['false_positives'])}/{injection['benign']} "
        f"({len(injection['false_positives']) / injection['benign']:.1%})",
        "",
        "| attack category | detected |",
        "| --- | ---: |",
    ]
    for category, (hits, total) in injection["by_category"].items():
        lines.append(f"| {category} | {hits}/{total} |")
    lines += [
        "",
        "Both sets are templated prompts written for this benchmark, and the benign set deliberately discusses the "
        "same topics (system prompts, jailbreaks, prompt injection, developer mode, Markdown images, base64). "
        "The detector was tuned while these sets existed, so the rates above are an optimistic estimate of "
        "performance on unseen attacks.",
        "",
    ]
    return "\n".join(lines)
