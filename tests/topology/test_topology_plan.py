"""``build_plant_map``: one call gives names, levels, zones, conduits, level skips and
process attachments that agree with each other, on a small known plant and on
shared captures."""

from __future__ import annotations

import pytest
from plant_builder import Plant, PlantBuilder, capture_plant

from conftest import PCAPS
from otm.model.assets import Inventory, Role
from otm.model.plant import Level, PlantConfig, PlantMap, Source
from otm.services.plantfile import parse_plant
from otm.topology.impact import impact
from otm.topology.levels import assign_levels
from otm.topology.plan import asset_names, build_plant_map, plant_view
from otm.topology.processes import attach
from otm.topology.zones import asset_tags, assign_zones, find_conduits, find_level_skips

SITE = """\
schema: otm.plant/1
zones:
  - name: control-line3
    level: 1
    subnets: [10.1.3.0/24]
  - name: ops
    trust: 3
    assets: ["tag:ops"]
processes:
  - path: Acme/Plant1/Packaging/Line3
    criticality: 5
    assets: ["PLC-3"]
  - path: Acme/Plant1/Utilities
    criticality: 2
    assets: ["role:historian"]
levels: {"ip:10.1.3.20": 2, "name:corp-pc": 4}
tags: {ops: ["cidr:10.1.5.0/24"]}
names: {"ip:10.1.3.5": "PLC-3"}
"""
"""The PLC calls itself plc-a; the file renames it PLC-3 and names it so
everywhere else (the process), which only works if the names reach every step."""

LINE3 = "Acme/Plant1/Packaging/Line3"


def line3() -> Plant:
    """PLC-3 with its remote I/O and HMI on 10.1.3.0/24, a historian on the ops
    subnet, and an office PC that reads the historian and, once, the PLC."""
    return (
        PlantBuilder()
        .host("plc-a", "10.1.3.5", role=Role.PLC)
        .host("RIO-1", "10.1.3.40", role=Role.IO_MODULE)
        .host("HMI-3", "10.1.3.20", role=Role.HMI)
        .host("HIST", "10.1.5.10", role=Role.HISTORIAN)
        .host("corp-pc", "10.2.0.50", role=Role.IT_HOST)
        .talk("HMI-3", "plc-a", "s7comm", {"read": 500, "write": 5}, packets=600)
        .talk("plc-a", "RIO-1", "enip", {"write": 300, "read": 300}, packets=700)
        .talk("HIST", "plc-a", "opcua", {"read": 200}, packets=300)
        .talk("corp-pc", "HIST", "http", packets=100)
        .talk("corp-pc", "plc-a", "modbus", {"read": 3}, packets=8)
        .build()
    )


@pytest.fixture(scope="module")
def site() -> PlantConfig:
    return parse_plant(SITE, "site.yaml").config


@pytest.fixture(scope="module")
def plant() -> Plant:
    return line3()


@pytest.fixture(scope="module")
def mapped(plant: Plant, site: PlantConfig) -> PlantMap:
    return build_plant_map(plant.inventory, site)


def _id(mapped: PlantMap, name: str) -> str:
    (found,) = (a for a, n in mapped.names.items() if n == name)
    return found


def test_declared_names_win_and_reach_every_step(mapped: PlantMap) -> None:
    assert sorted(mapped.names.values()) == ["HIST", "HMI-3", "PLC-3", "RIO-1", "corp-pc"]
    plc = _id(mapped, "PLC-3")
    declared = [a for a in mapped.attachments if a.asset == plc and a.process == LINE3]
    assert [(a.source, a.reason) for a in declared] == [(Source.DECLARED, "selector name:PLC-3")]


def test_known_levels_with_their_reasons(mapped: PlantMap) -> None:
    got = {mapped.names[a]: (v.level, v.source) for a, v in mapped.levels.items()}
    assert got == {
        "PLC-3": (Level.BASIC_CONTROL, Source.DECLARED),  # its zone says 1
        "RIO-1": (Level.BASIC_CONTROL, Source.DECLARED),
        "HMI-3": (Level.SUPERVISORY, Source.DECLARED),  # the override beats the zone
        "HIST": (Level.OPERATIONS, Source.INFERRED),  # by role
        "corp-pc": (Level.ENTERPRISE, Source.DECLARED),  # override by name
    }
    assert mapped.levels[_id(mapped, "HMI-3")].reason == "declared: level override ip:10.1.3.20"
    assert "zone control-line3" in mapped.levels[_id(mapped, "PLC-3")].reason


def test_known_zones_and_conduits(mapped: PlantMap) -> None:
    zone_of = {mapped.names[a]: m.zone for a, m in mapped.membership.items()}
    assert zone_of == {
        "PLC-3": "control-line3",
        "RIO-1": "control-line3",
        "HMI-3": "control-line3",
        "HIST": "ops",  # by tag, the tag by CIDR
        "corp-pc": "subnet-10.2.0.0/24",  # inferred
    }
    assert mapped.membership[_id(mapped, "HIST")].reason == "declared zone ops: selector tag:ops"
    assert list(mapped.zones) == ["control-line3", "ops", "subnet-10.2.0.0/24"]
    assert mapped.zones["subnet-10.2.0.0/24"].source is Source.INFERRED
    assert {k: sorted(c.protocols) for k, c in mapped.conduits.items()} == {
        ("ops", "control-line3"): ["opcua"],
        ("subnet-10.2.0.0/24", "control-line3"): ["modbus"],
        ("subnet-10.2.0.0/24", "ops"): ["http"],
    }


def test_level_skips_are_judged_on_the_final_levels(mapped: PlantMap) -> None:
    skips = {
        (s.link[0], s.link[1], s.client_level.value, s.server_level.value)
        for s in mapped.level_skips
    }
    assert skips == {
        ("10.1.5.10", "10.1.3.5", "3", "1"),
        ("10.2.0.50", "10.1.3.5", "4", "1"),
        ("10.2.0.50", "10.1.5.10", "4", "3"),
    }


def test_processes_and_attachments(mapped: PlantMap) -> None:
    assert list(mapped.processes) == [LINE3, "Acme/Plant1/Utilities"]
    line = {
        (mapped.names[a.asset], a.source)
        for a in mapped.attachments
        if a.process == LINE3 and mapped.names[a.asset] != "corp-pc"
    }
    assert line == {
        ("PLC-3", Source.DECLARED),
        ("HMI-3", Source.INFERRED),  # polls the PLC
        ("HIST", Source.INFERRED),  # reads the PLC
        ("RIO-1", Source.INFERRED),  # the PLC writes it
    }
    hmi = next(a for a in mapped.attachments if a.asset == _id(mapped, "HMI-3"))
    assert hmi.via == (_id(mapped, "HMI-3"), _id(mapped, "PLC-3"))
    utilities = [mapped.names[a.asset] for a in mapped.attachments if a.process != LINE3]
    assert utilities == ["HIST"]


def test_the_map_is_its_parts_called_with_the_same_names_and_tags(
    plant: Plant, site: PlantConfig, mapped: PlantMap
) -> None:
    inv = plant.inventory
    names = asset_names(inv, site)
    assert names == plant.names | {_id(mapped, "PLC-3"): "PLC-3"}
    view = plant_view(inv, site)
    tags = asset_tags(inv, site, names)
    assert view.tags == tags == {_id(mapped, "HIST"): frozenset({"ops"})}
    levels = assign_levels(inv, view.graph, site, names)
    zones, membership = assign_zones(inv, levels, site, names)
    assert mapped == PlantMap(
        levels=levels,
        zones=zones,
        membership=membership,
        conduits=find_conduits(view.graph, membership),
        level_skips=find_level_skips(view.graph, levels),
        processes={p.name: p for p in site.processes},
        attachments=attach(inv, view.graph, site, names, tags),
        names=names,
    )
    assert view.graph.nodes[_id(mapped, "PLC-3")]["name"] == "PLC-3"


def test_the_same_inputs_give_the_same_map(plant: Plant, site: PlantConfig) -> None:
    assert build_plant_map(line3().inventory, site) == build_plant_map(plant.inventory, site)


def test_the_first_declared_name_wins() -> None:
    plant = PlantBuilder().host("plc-a", "10.1.3.5").build()
    config = parse_plant(
        'schema: otm.plant/1\nnames: {"pattern:plc-*": "first", "ip:10.1.3.5": "second"}\n'
    ).config
    assert list(build_plant_map(plant.inventory, config).names.values()) == ["first"]


def test_without_a_configuration_everything_is_inferred(plant: Plant) -> None:
    mapped = build_plant_map(plant.inventory, PlantConfig())
    assert set(mapped.levels) == set(mapped.membership) == set(plant.inventory.assets)
    assert all(v.source is Source.INFERRED for v in mapped.levels.values())
    assert all(m.source is Source.INFERRED for m in mapped.membership.values())
    assert mapped.processes == {}
    assert mapped.attachments == []


def test_an_empty_inventory_gives_an_empty_map(site: PlantConfig) -> None:
    mapped = build_plant_map(Inventory(), site)
    assert mapped.levels == mapped.membership == mapped.conduits == {}
    assert mapped.attachments == [] and mapped.level_skips == []
    assert list(mapped.zones) == ["control-line3", "ops"]  # declared, even if empty
    assert list(mapped.processes) == [LINE3, "Acme/Plant1/Utilities"]


def test_impact_works_on_the_view_it_is_given(plant: Plant, site: PlantConfig) -> None:
    view = plant_view(plant.inventory, site)
    report = impact(view.graph, view.plant, _id(view.plant, "PLC-3"))
    # HIST (utilities) loses data from PLC-3, but still serves the utilities.
    assert [(p.process, p.criticality) for p in report.processes] == [(LINE3, 5)]


# -- shared captures: answers a reviewer can check by hand ---------------------


def test_wincc_capture_plc_is_level_1_its_hmi_2_and_the_hmi_supports_its_line() -> None:
    """wincc_s400_production: one WinCC HMI (194.250.63.239) polling one S7-400
    (194.250.63.170) over S7comm; declare the PLC as a line."""
    config = parse_plant(
        "schema: otm.plant/1\nprocesses:\n"
        "  - path: Plant/Area/Line1\n    criticality: 4\n    assets: [ip:194.250.63.170]\n"
    ).config
    plant = capture_plant(PCAPS / "wincc_s400_production.pcapng")
    mapped = build_plant_map(plant.inventory, config)
    plc, hmi = plant.id("194.250.63.170"), plant.id("194.250.63.239")
    assert mapped.levels[plc].level is Level.BASIC_CONTROL
    assert mapped.levels[hmi].level is Level.SUPERVISORY
    assert mapped.membership[plc].zone == mapped.membership[hmi].zone == "subnet-194.250.63.0/24"
    attached = {(a.asset, a.source) for a in mapped.attachments}
    assert attached == {(plc, Source.DECLARED), (hmi, Source.INFERRED)}
    view = plant_view(plant.inventory, config)
    hit = impact(view.graph, view.plant, plc).processes
    assert [(p.process, p.kind.value) for p in hit] == [("Plant/Area/Line1", "control")]


def test_mb2_capture_every_asset_is_placed_and_the_scada_server_is_level_2() -> None:
    """mb2: a SCADA server (141.81.0.10) polling some thirty PLCs over Modbus,
    S7comm and EtherNet/IP on 141.81.0.0/24."""
    plant = capture_plant(PCAPS / "mb2.pcap")
    mapped = build_plant_map(plant.inventory, PlantConfig())
    assert set(mapped.levels) == set(mapped.membership) == set(plant.inventory.assets)
    scada = plant.id("141.81.0.10")
    assert mapped.levels[scada].level is Level.SUPERVISORY
    polled = list(plant.graph.successors(scada))
    assert len(polled) >= 25
    assert all(
        mapped.levels[p].level is Level.BASIC_CONTROL
        for p in polled
        if plant.graph.nodes[p]["role"] == "plc"
    )
    assert mapped.membership[scada].zone == "subnet-141.81.0.0/24"
