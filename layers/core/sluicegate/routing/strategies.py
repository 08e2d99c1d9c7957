"""Routing strategies compiled from the YAML routes.

Each strategy turns the request's facts into an ordered list of candidates:
the backends to try, first to last, each with the label of the route that
chose it (``auto/long-prompt``, ``chat/canary``). The label goes into the
``x-sluicegate-route`` header, the ``Route`` metric dimension and the usage
ledger, so it only contains names from the config.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Protocol

from .conditions import Condition
from .config import FallbackRoute, RulesRoute, SplitRoute
from .facts import RequestFacts
from .loader import arm_label


@dataclass(frozen=True)
class Candidate:
    backend: str
    route: str


class Strategy(Protocol):
    def candidates(self, facts: RequestFacts, label: str) -> list[Candidate]: ...


@dataclass(frozen=True)
class Single:
    backend: str

    def candidates(self, facts: RequestFacts, label: str) -> list[Candidate]:
        return [Candidate(self.backend, label)]


@dataclass(frozen=True)
class Fallback:
    routes: tuple[Strategy, ...]

    def candidates(self, facts: RequestFacts, label: str) -> list[Candidate]:
        # A backend listed twice is tried once, at its first position.
        ordered: list[Candidate] = []
        seen: set[str] = set()
        for route in self.routes:
            for candidate in route.candidates(facts, label):
                if candidate.backend not in seen:
                    seen.add(candidate.backend)
                    ordered.append(candidate)
        return ordered


class Split:
    """Picks one arm with probability weight / total weight."""

    def __init__(self, arms: list[tuple[str, float, Strategy]], sticky: str, rng: random.Random) -> None:
        self.labels = [label for label, _, _ in arms]
        self.routes = [route for _, _, route in arms]
        self.cumulative = list(accumulate(weight for _, weight, _ in arms))
        self.sticky = sticky
        self.rng = rng

    def pick(self, facts: RequestFacts) -> int:
        total = self.cumulative[-1]
        if self.sticky == "tenant":
            digest = hashlib.sha256(facts.tenant_id.encode("utf-8")).digest()
            point = int.from_bytes(digest[:8], "big") / 2**64 * total
        else:
            point = self.rng.random() * total
        return min(bisect_right(self.cumulative, point), len(self.routes) - 1)

    def candidates(self, facts: RequestFacts, label: str) -> list[Candidate]:
        index = self.pick(facts)
        return self.routes[index].candidates(facts, f"{label}/{self.labels[index]}")


@dataclass(frozen=True)
class Rules:
    rules: tuple[tuple[str, Condition, Strategy], ...]
    default: Strategy

    def candidates(self, facts: RequestFacts, label: str) -> list[Candidate]:
        for name, condition, route in self.rules:
            if condition.matches(facts):
                return route.candidates(facts, f"{label}/{name}")
        return self.default.candidates(facts, f"{label}/default")


def compile_route(spec: Any, rng: random.Random) -> Strategy:
    """Build the strategy of one validated route from the config."""
    if isinstance(spec, str):
        return Single(spec)
    if isinstance(spec, FallbackRoute):
        return Fallback(tuple(compile_route(child, rng) for child in spec.fallback))
    if isinstance(spec, SplitRoute):
        arms = [(arm_label(arm, index), arm.weight, compile_route(arm.route, rng)) for index, arm in enumerate(spec.split)]
        return Split(arms, spec.sticky, rng)
    if isinstance(spec, RulesRoute):
        rules = tuple((rule.name, rule.when, compile_route(rule.route, rng)) for rule in spec.rules)
        return Rules(rules, compile_route(spec.default, rng))
    raise TypeError(f"unknown route type {type(spec).__name__}")
