"""Precision, recall and F1 per entity type with one-to-one span matching."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass
class Counts:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 0.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def score(gold: list[list[tuple[str, int, int]]], predicted: list[list[tuple[str, int, int]]], *, exact: bool) -> dict[str, Counts]:
    """Count matches per type over all documents.

    A prediction matches an unmatched gold span of the same type when the two
    overlap (``exact=False``) or have identical offsets (``exact=True``).
    """
    counts: dict[str, Counts] = defaultdict(Counts)
    for gold_spans, predicted_spans in zip(gold, predicted):
        unmatched = list(gold_spans)
        for entity_type, start, end in predicted_spans:
            match = None
            for candidate in unmatched:
                same_type = candidate[0] == entity_type
                if exact:
                    hit = same_type and candidate[1] == start and candidate[2] == end
                else:
                    hit = same_type and candidate[1] < end and start < candidate[2]
                if hit:
                    match = candidate
                    break
            if match is None:
                counts[entity_type].false_positives += 1
            else:
                unmatched.remove(match)
                counts[entity_type].true_positives += 1
        for entity_type, _, _ in unmatched:
            counts[entity_type].false_negatives += 1
    return counts
