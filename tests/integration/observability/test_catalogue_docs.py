"""docs/metrics.md and the metric catalogue describe the same metrics."""

from __future__ import annotations

import re

import pytest

from sluicegate.observability.catalog import CATALOG, MAX_DIMENSIONS

from observability_support import ROOT

ROW = re.compile(r"^\| `(?P<name>\w+)` \| (?P<unit>[\w/]+) \| (?P<dimensions>[^|]+) \|", re.MULTILINE)
NO_OWN_DIMENSIONS = "(service only)"
TENANT_DATA = {"tenant_id", "key_id", "request_id", "Collection", "collection"}


@pytest.fixture(scope="module")
def documented() -> dict[str, tuple[str, tuple[str, ...]]]:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    rows = {}
    for match in ROW.finditer(text):
        cell = match.group("dimensions").strip()
        dimensions = () if cell == NO_OWN_DIMENSIONS else tuple(part.strip() for part in cell.split(","))
        assert match.group("name") not in rows, f"{match.group('name')} is documented twice"
        rows[match.group("name")] = (match.group("unit"), dimensions)
    return rows


def test_docs_list_every_catalogued_metric(documented):
    assert set(documented) == set(CATALOG)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_docs_match_unit_and_dimensions(documented, name):
    unit, dimensions = documented[name]
    assert unit == CATALOG[name].unit.value
    assert dimensions == CATALOG[name].dimensions


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_dimensions_stay_bounded(name):
    dimensions = CATALOG[name].dimensions
    assert len(dimensions) <= MAX_DIMENSIONS
    assert not set(dimensions) & TENANT_DATA
    assert "service" not in dimensions


def test_catalogue_covers_observability_metrics():
    required = {
        "RequestLatency", "TimeToFirstToken", "GatewayOverhead", "StageLatency", "InputTokens", "OutputTokens",
        "CostMicroUSD", "Errors", "Fallbacks", "Retries", "QuotaRejections", "PiiEntities", "InjectionFlags",
        "RetrievalLatency", "RetrievalTopScore", "RetrievalPassages", "ColdStart", "BatchItems",
    }
    assert required <= set(CATALOG), f"missing {sorted(required - set(CATALOG))}"
