"""Known vulnerabilities of the devices in the shared captures, against the labelled
list ``data/expected_matches.yaml`` (its reasoning is written next to each entry).

Each capture is analysed alone (the passive engine and the inventory builder,
as ``otm analyze`` runs them) and matched against the 38 shared advisories;
the matches must be exactly the expected ones, and each listed non-match must
be judged "not this product" for the reason the list gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from vulns_support import capture_inventory, shared_advisories, shared_advisory

from otm.vulns.matching import Matcher, Strength, explain
from otm.vulns.subjects import Subject, subjects_of

EXPECTED: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "data" / "expected_matches.yaml").read_text(encoding="utf-8")
)["captures"]


def _subjects(capture: str) -> list[Subject]:
    return [s for a in capture_inventory(capture).assets.values() for s in subjects_of(a)]


def _subject(capture: str, address: str, component: str | None) -> Subject:
    found = [s for s in _subjects(capture) if s.address == address and s.component == component]
    assert len(found) == 1, f"{capture}: no single subject {address} {component}"
    return found[0]


@pytest.mark.parametrize("capture", sorted(EXPECTED))
def test_matches_are_the_expected_ones(capture: str) -> None:
    matcher = Matcher(shared_advisories())
    found = {
        (m.subject.address, m.subject.component, m.advisory_id): m
        for s in _subjects(capture)
        for m in matcher.match(s)
    }
    expected = {
        (e["asset"], e.get("component"), e["advisory"]): e for e in EXPECTED[capture]["matches"]
    }
    assert sorted(found, key=str) == sorted(expected, key=str)
    for key, entry in expected.items():
        match = found[key]
        assert match.product.product_id == entry["product"], key
        assert match.confidence.value == entry["confidence"], (key, match.reason)
        assert match.cves == entry["cves"], key
        assert match.reason and match.remediations, key
        assert entry["why"].strip()


@pytest.mark.parametrize("capture", sorted(EXPECTED))
def test_near_misses_are_not_matched(capture: str) -> None:
    matcher = Matcher(shared_advisories())
    for entry in EXPECTED[capture]["non_matches"]:
        subject = _subject(capture, entry["asset"], entry.get("component"))
        advisory = shared_advisory(entry["advisory"])
        judged = {p.product_id: i for p, i in explain(subject, advisory)}
        if entry["product"] in judged:
            assert judged[entry["product"]].strength is Strength.NONE, judged[entry["product"]]
        matched = [m for m in matcher.match(subject) if m.advisory_id == advisory.id]
        assert all(m.product.product_id != entry["product"] for m in matched)
        assert entry["why"].strip()


def test_the_shared_captures_give_these_figures() -> None:
    """The figures of the report: matches by confidence over the listed captures."""
    counts: dict[str, int] = {}
    for capture in EXPECTED:
        for entry in EXPECTED[capture]["matches"]:
            counts[entry["confidence"]] = counts.get(entry["confidence"], 0) + 1
    assert counts == {"high": 9, "medium": 2, "low": 1}
