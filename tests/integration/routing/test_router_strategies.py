"""Route planning: weighted splits, sticky splits, rules, fallbacks and the complexity score."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from sluicegate.backends.base import ChatMessage
from sluicegate.routing.complexity import complexity_score
from sluicegate.routing.facts import RequestFacts
from sluicegate.routing.loader import load_routing_config, parse_routing_config
from sluicegate.routing.pool import BackendPool
from sluicegate.routing.router import Router

ROOT = Path(__file__).resolve().parents[3]
DECISIONS = 10_000
TOLERANCE = 0.03


class CountingBackend:
    """Counts one token per word; a fixed context window."""

    def __init__(self, name: str) -> None:
        self.name = name

    def count_prompt_tokens(self, messages) -> int:
        return sum(len(message.content.split()) for message in messages)

    def context_window(self) -> int:
        return 8192


def router_for(config, seed: int = 7) -> Router:
    pool = BackendPool({name: (lambda name=name: CountingBackend(name)) for name in config.backends})
    return Router(config, pool, rng=random.Random(seed))


def facts(text: str = "hello", *, max_tokens=None, tier="standard", tenant="t-1", retrieval=False, router=None) -> RequestFacts:
    messages = (ChatMessage("user", text),)
    counter = router.count_prompt_tokens if router else None
    return RequestFacts(messages, max_tokens=max_tokens, tier=tier, tenant_id=tenant, retrieval=retrieval, count_prompt_tokens=counter)


def split_config(weights: list[float], sticky: str = "none"):
    backends = {f"b{index}": {"type": "local"} for index in range(len(weights))}
    arms = [{"weight": weight, "route": f"b{index}"} for index, weight in enumerate(weights)]
    return parse_routing_config({"backends": backends, "models": {"m": {"route": {"split": arms, "sticky": sticky}}}})


@pytest.mark.parametrize("weights", [[90, 10], [70, 20, 10], [1, 1, 1, 1], [0.5, 0.25, 0.25]])
def test_split_shares_within_three_points(weights):
    router = router_for(split_config(weights))

    chosen = Counter(router.plan("m", facts()).candidates[0].backend for _ in range(DECISIONS))

    total = sum(weights)
    for index, weight in enumerate(weights):
        share = chosen[f"b{index}"] / DECISIONS
        assert abs(share - weight / total) <= TOLERANCE, f"b{index}: {share:.3f} vs {weight / total:.3f}"


def test_shipped_canary_split_within_three_points():
    router = router_for(load_routing_config(ROOT / "config" / "routing.yaml"))

    labels = Counter(router.plan("smollm2-canary", facts()).candidates[0].route for _ in range(DECISIONS))

    assert abs(labels["smollm2-canary/canary"] / DECISIONS - 0.10) <= TOLERANCE
    assert abs(labels["smollm2-canary/stable"] / DECISIONS - 0.90) <= TOLERANCE


def test_canary_arm_falls_back_to_local():
    router = router_for(load_routing_config(ROOT / "config" / "routing.yaml"))

    plans = {router.plan("smollm2-canary", facts()).candidates for _ in range(200)}

    backends = {tuple(candidate.backend for candidate in plan) for plan in plans}
    assert backends == {("local",), ("gpu-tgi", "local")}


def test_sticky_split_keeps_tenant_on_one_arm():
    router = router_for(split_config([50, 50], sticky="tenant"))

    arms_per_tenant = {
        tenant: {router.plan("m", facts(tenant=tenant)).candidates[0].backend for _ in range(20)}
        for tenant in (f"t-{index}" for index in range(200))
    }

    assert all(len(arms) == 1 for arms in arms_per_tenant.values())
    shares = Counter(next(iter(arms)) for arms in arms_per_tenant.values())
    assert abs(shares["b0"] / 200 - 0.5) <= 0.1


@pytest.mark.parametrize(
    ("case", "expected_route", "expected_backends"),
    [
        ({"tier": "enterprise"}, "auto/enterprise", ["gpu-chat", "gpu-tgi", "local"]),
        ({"text": "tell " * 1500}, "auto/long-prompt", ["gpu-tgi", "local"]),
        ({"max_tokens": 1024}, "auto/long-answer", ["gpu-tgi", "local"]),
        ({"retrieval": True}, "auto/retrieval", ["gpu-tgi", "local"]),
        ({"text": "Explain step by step why this algorithm is slow and how to optimize it:\n```\ndef f(x):\n    return x\n```"}, "auto/complex", ["gpu-tgi", "local"]),
        ({"text": "hi there", "max_tokens": 64}, "auto/default", ["local"]),
    ],
)
def test_auto_rules_of_shipped_config(case, expected_route, expected_backends):
    router = router_for(load_routing_config(ROOT / "config" / "routing.yaml"))

    plan = router.plan("auto", facts(router=router, **case))

    assert [candidate.backend for candidate in plan.candidates] == expected_backends
    assert {candidate.route for candidate in plan.candidates} == {expected_route}


def test_fallback_lists_each_backend_once():
    config = parse_routing_config({
        "backends": {"a": {"type": "local"}, "b": {"type": "local"}},
        "models": {"m": {"route": {"fallback": ["a", {"fallback": ["b", "a"]}, "b"]}}},
    })

    plan = router_for(config).plan("m", facts())

    assert [candidate.backend for candidate in plan.candidates] == ["a", "b"]


def test_unknown_model_is_404_with_choices():
    from sluicegate.errors import ModelNotFoundError

    router = router_for(split_config([1, 1]))

    with pytest.raises(ModelNotFoundError) as caught:
        router.plan("gpt-5", facts())
    assert "available models: m" in caught.value.message


def test_complexity_score_orders_prompts():
    trivial = complexity_score((ChatMessage("user", "hi"),))
    question = complexity_score((ChatMessage("user", "Why is the sky blue? Explain."),))
    hard = complexity_score((ChatMessage("user", "Prove the theorem, derive the integral of x^2 and analyze the algorithm step by step:\n```python\ndef f(x):\n    return x * 2\n```"),))

    assert 0.0 <= trivial < question < hard <= 1.0
    assert trivial < 0.05
    assert hard >= 0.5
