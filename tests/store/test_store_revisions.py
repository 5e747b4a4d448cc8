"""Each topic's revision rises with every transaction that changes it, and only then
(the console's caches and live updates rely on it), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from otm.model.plant import PlantConfig, ZoneSpec
from otm.services.analysis import analyze_captures
from otm.services.detection import detect_sources
from otm.store.combined import Store

EVERYTHING = (
    Path(__file__).resolve().parents[2].parent / "shared" / "pcaps" / "snap7_s300_everything.pcapng"
)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url) as s:
        yield s


def test_revisions_follow_changes_not_reads(store: Store) -> None:
    assert store.revisions() == {}
    analyze_captures([EVERYTHING], store, 1.0)
    after_analysis = store.revisions()
    assert after_analysis.get("inventory", 0) >= 1
    store.load_inventory()
    store.assets()
    store.alerts()
    assert store.revisions() == after_analysis  # reading changes nothing

    detect_sources(store, [s.key for s in store.sources()], 1.0)
    detected = store.revisions()
    assert detected.get("alerts", 0) > after_analysis.get("alerts", 0)
    assert detected["inventory"] == after_analysis["inventory"]

    (alert, *_) = store.alerts()
    store.set_alert_status(alert.id, "acknowledged", "ann", 2.0, "seen")
    assert store.revisions()["alerts"] == detected["alerts"] + 1

    store.save_plant_config(PlantConfig(zones=[ZoneSpec(name="cell", subnets=["10.0.0.0/8"])]))
    changed = store.revisions()
    assert changed["plant"] == detected.get("plant", 0) + 1
    assert changed["alerts"] == detected["alerts"] + 1
