"""The plant use cases over a real store (SQLite and PostgreSQL): loading the plant
file whole or by section, level overrides, the documents the faces show, impact
and exposure by the names a person types."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_topology_plan import LINE3, SITE, line3

from otm.model.plant import Level, PlantConfig, Selector, Source
from otm.services import plantdocs
from otm.services.plant import (
    PlantError,
    current_view,
    export_plant,
    exposure_of,
    find_asset,
    impact_of,
    load_plant_document,
    load_plant_file,
    set_level,
)
from otm.services.plantfile import PlantFileError, parse_plant
from otm.store import SqlStore

ZONES_ONLY = """\
schema: otm.plant/1
zones:
  - name: cell-a
    level: 1
    assets: ["PLC-3", "RIO-*", "tag:nowhere", "ip:10.9.9.9"]
"""


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    with SqlStore(store_url) as opened:
        opened.save_inventory(line3().inventory)
        yield opened


@pytest.fixture
def site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE, encoding="utf-8")
    return path


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loading_the_whole_file_stores_every_section(store: SqlStore, site_file: Path) -> None:
    result = load_plant_file(store, site_file)
    assert result.sections == ("zones", "conduits", "processes", "levels", "tags", "names")
    assert result.counts == {
        "zones": 2,
        "conduits": 0,
        "processes": 2,
        "levels": 2,
        "tags": 1,
        "names": 1,
    }
    assert result.warnings == []
    assert store.load_plant_config() == parse_plant(SITE).config


def test_loading_zones_only_keeps_the_stored_processes(
    store: SqlStore, site_file: Path, tmp_path: Path
) -> None:
    load_plant_file(store, site_file)
    result = load_plant_file(store, _write(tmp_path, "zones.yaml", ZONES_ONLY), "zones")
    assert result.sections == ("zones",)
    assert result.counts["zones"] == 1 and result.counts["processes"] == 2
    stored = store.load_plant_config()
    assert [z.name for z in stored.zones] == ["cell-a"]
    assert stored.processes == parse_plant(SITE).config.processes
    assert stored.names == parse_plant(SITE).config.names
    # PLC-3 (a declared name) and RIO-* match; the tag and the IP name nothing.
    assert result.warnings == [
        "zone cell-a: tag:nowhere is not defined under tags",
        "zone cell-a: ip:10.9.9.9 names no asset of the inventory",
    ]


def test_loading_processes_from_a_whole_file_takes_only_its_processes(
    store: SqlStore, site_file: Path, tmp_path: Path
) -> None:
    load_plant_file(store, _write(tmp_path, "zones.yaml", ZONES_ONLY), "zones")
    load_plant_file(store, site_file, "processes")
    stored = store.load_plant_config()
    assert [z.name for z in stored.zones] == ["cell-a"]
    assert [p.name for p in stored.processes] == [LINE3, "Acme/Plant1/Utilities"]
    assert stored.levels == {}


def test_a_file_without_the_section_changes_nothing(
    store: SqlStore, site_file: Path, tmp_path: Path
) -> None:
    load_plant_file(store, site_file)
    with pytest.raises(PlantFileError, match="processes: the document has no such section"):
        load_plant_file(store, _write(tmp_path, "zones.yaml", ZONES_ONLY), "processes")
    assert store.load_plant_config() == parse_plant(SITE).config


def test_an_invalid_file_stores_nothing_and_says_where(store: SqlStore, tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.yaml", "schema: otm.plant/1\nzones:\n  - name: a\n    level: 9\n")
    with pytest.raises(PlantFileError, match=r"bad\.yaml:4: zones\[0\]\.level: not a Purdue"):
        load_plant_file(store, bad)
    assert store.load_plant_config() == PlantConfig()


def test_an_unreadable_file(store: SqlStore, tmp_path: Path) -> None:
    with pytest.raises(PlantFileError, match=r"missing\.yaml: cannot read the file"):
        load_plant_file(store, tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PlantFileError, match="not UTF-8"):
        load_plant_file(store, binary)


def test_a_document_from_the_api(store: SqlStore) -> None:
    doc = {"schema": "otm.plant/1", "zones": [{"name": "z", "subnets": ["10.1.3.0/24"]}]}
    result = load_plant_document(store, doc, "api", "zones")
    assert result.counts["zones"] == 1
    with pytest.raises(PlantFileError, match=r"^api: zones\[0\]\.vlans\[0\]"):
        bad = {"schema": "otm.plant/1", "zones": [{"name": "z", "vlans": [0]}]}
        load_plant_document(store, bad, "api")


def test_export_reads_back_as_the_stored_configuration(store: SqlStore, site_file: Path) -> None:
    load_plant_file(store, site_file)
    assert parse_plant(export_plant(store)).config == store.load_plant_config()


# -- finding assets and overriding levels ------------------------------------------


def test_assets_are_found_by_what_a_person_types(store: SqlStore, site_file: Path) -> None:
    load_plant_file(store, site_file)
    view = current_view(store)
    plc = next(a for a, n in view.plant.names.items() if n == "PLC-3")
    assert find_asset(view, "PLC-3") == find_asset(view, "plc-3") == plc
    assert find_asset(view, "10.1.3.5") == find_asset(view, plc) == plc
    mac = sorted(view.inventory.assets[plc].macs)[0]
    assert find_asset(view, mac.upper()) == plc
    with pytest.raises(PlantError, match="no asset 'PLC-9'"):
        find_asset(view, "PLC-9")


def test_a_name_several_assets_share_is_refused(store: SqlStore, tmp_path: Path) -> None:
    load_plant_file(
        store,
        _write(tmp_path, "n.yaml", 'schema: otm.plant/1\nnames: {"role:plc": X, "role:hmi": X}\n'),
    )
    with pytest.raises(PlantError, match="'X' names 2 assets"):
        find_asset(current_view(store), "X")


def test_set_level_by_name_ip_or_selector(store: SqlStore, site_file: Path) -> None:
    load_plant_file(store, site_file)
    plc = find_asset(current_view(store), "PLC-3")

    change = set_level(store, "PLC-3", "2")
    assert change.selector == Selector("id", plc)
    assert [(n, a.level, a.source) for _, n, a in change.assets] == [
        ("PLC-3", Level.SUPERVISORY, Source.DECLARED)
    ]
    assert current_view(store).plant.levels[plc].reason == f"declared: level override id:{plc}"

    assert set_level(store, "10.1.3.40", "dmz").selector == Selector("ip", "10.1.3.40")
    change = set_level(store, "pattern:RIO-*", "0")
    assert [(n, a.level) for _, n, a in change.assets] == [("RIO-1", Level.PROCESS)]
    stored = store.load_plant_config()
    assert list(stored.levels)[:3] == [  # newest first
        Selector("pattern", "RIO-*"),
        Selector("ip", "10.1.3.40"),
        Selector("id", plc),
    ]
    assert set_level(store, "PLC-3", "3").assets[0][2].level is Level.OPERATIONS
    assert list(store.load_plant_config().levels)[:2] == [
        Selector("id", plc),
        Selector("pattern", "RIO-*"),
    ]
    assert stored.zones == parse_plant(SITE).config.zones  # the rest untouched

    removed = set_level(store, "PLC-3", None)
    assert removed.level is None
    # Back to what its zone says.
    assert [a.level for _, _, a in removed.assets] == [Level.BASIC_CONTROL]
    assert Selector("id", plc) not in store.load_plant_config().levels


@pytest.mark.parametrize(
    ("asset", "level", "message"),
    [
        ("PLC-3", "7", "not a Purdue level"),
        ("PLC-9", "2", "no asset 'PLC-9'"),
        ("cidr:192.168.0.0/16", "2", "names no asset"),
        ("ip:10.1.3.999", "2", "not an IP address"),
        ("HMI-3", None, "no level override id:"),
    ],
)
def test_set_level_mistakes(store: SqlStore, asset: str, level: str | None, message: str) -> None:
    with pytest.raises(PlantError, match=message):
        set_level(store, asset, level)
    assert store.load_plant_config() == PlantConfig()


# -- documents, impact and exposure ----------------------------------------------


def test_levels_and_zones_documents(store: SqlStore, site_file: Path) -> None:
    load_plant_file(store, site_file)
    view = current_view(store)
    levels = plantdocs.levels_doc(view)
    assert [(r["name"], r["level"], r["source"], r["zone"]) for r in levels] == [
        ("PLC-3", "1", "declared", "control-line3"),
        ("RIO-1", "1", "declared", "control-line3"),
        ("HMI-3", "2", "declared", "control-line3"),
        ("HIST", "3", "inferred", "ops"),
        ("corp-pc", "4", "declared", "subnet-10.2.0.0/24"),
    ]
    zones = plantdocs.zones_doc(view)
    assert [
        (z["name"], z["level"], z["trust"], [m["name"] for m in z["members"]])
        for z in zones["zones"]
    ] == [
        ("control-line3", "1", 1.0, ["HMI-3", "PLC-3", "RIO-1"]),
        ("ops", "3", 3.0, ["HIST"]),
        ("subnet-10.2.0.0/24", "4", 4.0, ["corp-pc"]),
    ]
    assert [(c["from"], c["to"], c["protocols"], c["links"]) for c in zones["conduits"]] == [
        ("ops", "control-line3", ["opcua"], 1),
        ("subnet-10.2.0.0/24", "control-line3", ["modbus"], 1),
        ("subnet-10.2.0.0/24", "ops", ["http"], 1),
    ]
    skip = zones["level_skips"][1]
    assert (skip["client_name"], skip["server_name"], skip["protocol"], skip["port"]) == (
        "corp-pc",
        "PLC-3",
        "modbus",
        "tcp/502",
    )
    json.dumps(zones)  # JSON-ready


def test_the_process_tree_has_the_levels_above_the_declared_processes(
    store: SqlStore, site_file: Path
) -> None:
    load_plant_file(store, site_file)
    tree = plantdocs.processes_doc(current_view(store).plant)

    def walk(nodes: list[dict[str, object]], depth: int = 0) -> list[tuple[int, str, object]]:
        out = []
        for n in nodes:
            out.append((depth, str(n["path"]), n["declared"]))
            out += walk(n["children"], depth + 1)  # type: ignore[arg-type]
        return out

    assert walk(tree) == [
        (0, "Acme", False),
        (1, "Acme/Plant1", False),
        (2, "Acme/Plant1/Packaging", False),
        (3, LINE3, True),
        (2, "Acme/Plant1/Utilities", True),
    ]
    line = tree[0]["children"][0]["children"][0]["children"][0]
    assert (line["kind"], line["criticality"]) == ("line", 5)
    plc = line["assets"][0]
    assert (plc["name"], plc["source"], plc["reason"], plc["via"]) == (
        "PLC-3",
        "declared",
        "selector name:PLC-3",
        [],
    )
    hmi = next(a for a in line["assets"] if a["name"] == "HMI-3")
    assert (hmi["source"], hmi["via"]) == ("inferred", ["HMI-3", "PLC-3"])


def test_impact_by_name_fail_and_isolate(store: SqlStore, site_file: Path) -> None:
    load_plant_file(store, site_file)
    _view, report = impact_of(store, "PLC-3")
    doc = plantdocs.impact_doc(report)
    assert (doc["name"], doc["mode"]) == ("PLC-3", "fail")
    assert [(p["process"], p["criticality"], p["kind"], p["names"]) for p in doc["processes"]] == [
        (LINE3, 5, "control", ["PLC-3"]),
    ]
    assert ("RIO-1", "control", ["PLC-3", "RIO-1"]) in [
        (a["name"], a["kind"], a["names"]) for a in doc["assets"]
    ]
    _view, isolated = impact_of(store, "10.1.3.5", "isolate")
    assert isolated.mode == "isolate"
    with pytest.raises(PlantError, match="unknown impact mode"):
        impact_of(store, "PLC-3", "explode")
    with pytest.raises(PlantError, match="no asset"):
        impact_of(store, "nothing")


def test_exposure_by_name(store: SqlStore, site_file: Path) -> None:
    load_plant_file(store, site_file)
    _view, report = exposure_of(store, "PLC-3", max_paths=2)
    doc = plantdocs.exposure_doc(report)
    assert (doc["zone"], doc["trust"], doc["sources"]) == ("control-line3", 1.0, 2)
    assert doc["sources_by_zone"] == {"ops": 1, "subnet-10.2.0.0/24": 1}
    assert [p["names"] for p in doc["paths"]] == [["corp-pc", "PLC-3"], ["HIST", "PLC-3"]]
    assert doc["truncated"] is True  # corp-pc -> HIST -> PLC-3 is left out
    assert doc["paths"][0]["hops"] == [
        {
            "from": "corp-pc",
            "to": "PLC-3",
            "from_zone": "subnet-10.2.0.0/24",
            "to_zone": "control-line3",
            "protocols": ["modbus"],
        }
    ]
    with pytest.raises(PlantError, match="at least 1"):
        exposure_of(store, "PLC-3", 0)
