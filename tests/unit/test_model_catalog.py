"""The model catalog loads each backend once, also when requests arrive during the load."""

from __future__ import annotations

import threading

import pytest

from sluicegate.backends.catalog import ModelCatalog
from sluicegate.errors import ModelNotFoundError


def test_concurrent_first_use_loads_once():
    entered = threading.Condition()
    entries: list[int] = []
    release = threading.Event()

    def loader():
        with entered:
            entries.append(1)
            entered.notify_all()
        release.wait()
        return object()

    catalog = ModelCatalog()
    catalog.register("m", loader)
    results: list[object] = []
    callers = [threading.Thread(target=lambda: results.append(catalog.get("m").backend())) for _ in range(2)]
    for caller in callers:
        caller.start()
    with entered:
        assert entered.wait_for(lambda: len(entries) >= 1, timeout=30)
        # Without the entry's lock the second caller would enter the loader as well.
        assert not entered.wait_for(lambda: len(entries) >= 2, timeout=0.5)
    release.set()
    for caller in callers:
        caller.join()

    assert len(entries) == 1
    assert len(results) == 2
    assert results[0] is results[1]


def test_failed_load_is_tried_again():
    attempts: list[int] = []

    def loader():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first load fails")
        return "backend"

    catalog = ModelCatalog()
    catalog.register("m", loader)
    with pytest.raises(RuntimeError):
        catalog.get("m").backend()
    assert catalog.get("m").backend() == "backend"
    assert len(attempts) == 2


def test_unknown_model_lists_the_choices():
    catalog = ModelCatalog()
    catalog.register("b", object)
    catalog.register("a", object)
    with pytest.raises(ModelNotFoundError, match="available models: a, b"):
        catalog.get("c")
