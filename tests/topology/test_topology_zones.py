"""Zones, conduits and level skips over small known plants."""

from __future__ import annotations

import networkx as nx
import pytest
from plant_builder import Plant, PlantBuilder

from otm.model.assets import Role
from otm.model.plant import Level, LevelAssignment, Source, ZoneAssignment, ZoneSpec
from otm.topology.levels import assign_levels
from otm.topology.zones import (
    LAYER2_ZONE,
    assign_zones,
    find_conduits,
    find_level_skips,
    level_distance,
)

SITE = """
schema: otm.plant/1
zones:
  - name: control-line3
    level: 1
    subnets: [10.1.3.0/24]
    assets: ["pattern:RIO-*"]
  - name: supervision
    vlans: [20]
  - name: line3-all
    level: 2
    subnets: [10.1.0.0/16]
  - name: empty
    level: 3
    subnets: [172.16.0.0/24]
"""


def line3() -> PlantBuilder:
    """HMIs on VLAN 20 over a PLC and remote I/O; an engineering PC elsewhere."""
    return (
        PlantBuilder()
        .host("PLC-3", "10.1.3.5")
        .host("RIO-1", "10.9.9.40", role=Role.IO_MODULE)  # named by pattern, not subnet
        .host("HMI-3", "10.1.2.20", vlan=20)
        .host("HMI-4", "10.1.2.21", vlan=20)
        .host("EWS-1", "10.1.5.30")
        .host("ERP", "10.20.0.5")
        .host("DCP", mac="00:1b:1b:02:9a:c3")
        .talk("HMI-3", "PLC-3", "modbus", {"read": 90, "write": 2})
        .talk("HMI-3", "PLC-3", "s7comm", {"read": 10})
        .talk("HMI-4", "PLC-3", "modbus", {"read": 50})
        .talk("HMI-3", "HMI-4", "opcua", {"read": 1})
        .talk("PLC-3", "RIO-1", "enip", {"write": 50})
        .talk("EWS-1", "PLC-3", "s7comm", {"program/download_block": 1})
        .talk("DCP", "PLC-3", "profinet-dcp", {"identify": 1})
        .talk("ERP", "HMI-3", "https")
    )


def zones_of(plant: Plant) -> tuple[dict[str, ZoneSpec], dict[str, ZoneAssignment]]:
    levels = assign_levels(plant.inventory, plant.graph, plant.config, plant.names)
    zones, membership = assign_zones(plant.inventory, levels, plant.config, plant.names)
    return zones, {plant.name(a): z for a, z in membership.items()}


# -- declared zones ----------------------------------------------------------


def test_declared_zones_by_selector_subnet_and_vlan_with_the_reason() -> None:
    _, member = zones_of(line3().build(SITE))
    assert member["PLC-3"] == ZoneAssignment(
        "control-line3",
        "declared zone control-line3: subnet 10.1.3.0/24 holds 10.1.3.5",
        Source.DECLARED,
    )
    assert member["RIO-1"].reason == "declared zone control-line3: selector pattern:RIO-*"
    assert member["HMI-3"].zone == "supervision" and member["HMI-3"].reason.endswith("VLAN 20")


def test_first_matching_zone_in_file_order_wins() -> None:
    _, member = zones_of(line3().build(SITE))
    # 10.1.0.0/16 (line3-all) names PLC-3 and HMI-3 too, but comes later.
    assert member["PLC-3"].zone == "control-line3" and member["HMI-4"].zone == "supervision"
    assert member["EWS-1"].zone == "line3-all"


def test_zone_named_through_a_tag() -> None:
    config = """
    tags: {line3: ["cidr:10.20.0.0/24"]}
    zones:
      - {name: business, level: 4, assets: ["tag:line3"]}
    """
    _, member = zones_of(line3().build(config))
    assert member["ERP"] == ZoneAssignment(
        "business", "declared zone business: selector tag:line3", Source.DECLARED
    )


def test_declared_zones_are_listed_in_file_order_even_when_empty() -> None:
    zones, _ = zones_of(line3().build(SITE))
    declared = [z.name for z in zones.values() if z.source is Source.DECLARED]
    assert declared == ["control-line3", "supervision", "line3-all", "empty"]
    assert zones["empty"].level is Level.OPERATIONS


def test_declared_zone_without_level_gets_its_members_level() -> None:
    zones, _ = zones_of(line3().build(SITE))
    supervision = zones["supervision"]
    assert supervision.level is Level.SUPERVISORY and supervision.source is Source.DECLARED
    assert "level 2 inferred: 2 of 2 members are level 2" in supervision.description
    assert supervision.trust_rank == 2.0


def test_declared_config_is_not_mutated() -> None:
    plant = line3().build(SITE)
    zones_of(plant)
    assert plant.config.zones[1].level is None and plant.config.zones[1].description == ""


# -- inferred zones ----------------------------------------------------------


def test_undeclared_assets_go_to_vlan_then_subnet_then_layer2_zones() -> None:
    zones, member = zones_of(line3().build())
    assert {n: m.zone for n, m in member.items()} == {
        "PLC-3": "subnet-10.1.3.0/24",
        "RIO-1": "subnet-10.9.9.0/24",
        "HMI-3": "vlan-20",
        "HMI-4": "vlan-20",
        "EWS-1": "subnet-10.1.5.0/24",
        "ERP": "subnet-10.20.0.0/24",
        "DCP": LAYER2_ZONE,
    }
    assert all(m.source is Source.INFERRED for m in member.values())
    assert member["HMI-3"].reason == "no declared zone names it; tagged VLAN 20"
    assert member["PLC-3"].reason == "no declared zone names it; subnet 10.1.3.0/24"
    assert member["DCP"].reason == "no declared zone names it; no IP address or VLAN: layer 2 only"
    assert list(zones) == [
        "vlan-20",
        "subnet-10.1.3.0/24",
        "subnet-10.1.5.0/24",
        "subnet-10.9.9.0/24",
        "subnet-10.20.0.0/24",
        LAYER2_ZONE,
    ]
    assert zones["vlan-20"].vlans == [20] and zones["subnet-10.1.3.0/24"].subnets == ["10.1.3.0/24"]
    assert all(z.source is Source.INFERRED for z in zones.values())


def test_inferred_zone_level_is_the_most_common_member_level() -> None:
    plant = (
        line3()
        .host("PLC-4", "10.1.3.6")
        .host("PC", "10.1.3.90")
        .talk("HMI-4", "PLC-4", "modbus")
        .talk("PC", "HMI-3", "rdp")
        .build()
    )
    zones, _ = zones_of(plant)
    net = zones["subnet-10.1.3.0/24"]  # PLC-3, PLC-4 at 1; PC at 3
    assert net.level is Level.BASIC_CONTROL and "2 of 3 members are level 1" in net.description
    assert zones["vlan-20"].level is Level.SUPERVISORY


def test_inferred_zone_level_tie_goes_nearer_the_process() -> None:
    plant = line3().host("HMI-9", "10.1.3.9").talk("HMI-9", "PLC-3", "modbus").build()
    zones, _ = zones_of(plant)
    assert zones["subnet-10.1.3.0/24"].level is Level.BASIC_CONTROL  # 1 PLC, 1 HMI


def test_asset_on_several_vlans_takes_the_lowest() -> None:
    plant = (
        PlantBuilder()
        .host("R", "10.0.0.1", mac="00:1b:1b:00:00:01", vlan=30)
        .host("R2", "10.0.0.1", mac="00:1b:1b:00:00:01", vlan=10)
        .build()
    )
    _, member = zones_of(plant)
    (only,) = member.values()
    assert only.zone == "vlan-10" and "also seen on VLAN 30" in only.reason


def test_ipv4_subnet_before_ipv6_and_ipv6_only_assets_get_a_64() -> None:
    plant = (
        PlantBuilder()
        .host("DUAL", "10.0.0.254", mac="00:1b:1b:00:00:fe")
        .host("DUAL", "2001:db8::fe", mac="00:1b:1b:00:00:fe")
        .host("V6", "2001:db8::7")
        .build()
    )
    zones, member = zones_of(plant)
    assert member["DUAL"].zone == "subnet-10.0.0.0/24"
    assert member["V6"].zone == "subnet-2001:db8::/64"
    assert list(zones) == ["subnet-10.0.0.0/24", "subnet-2001:db8::/64"]


def test_loopback_and_link_local_hosts_are_layer2() -> None:
    plant = PlantBuilder().host("LO", "127.0.0.1").host("LL", "169.254.1.2").build()
    zones, member = zones_of(plant)
    assert list(zones) == [LAYER2_ZONE]
    assert member["LL"].reason.endswith("169.254.1.2 is loopback or link-local: layer 2 only")


def test_inferred_zone_never_merges_into_a_declared_zone_of_the_same_name() -> None:
    config = """
    zones:
      - {name: vlan-20, level: 3, assets: ["ERP"]}
    """
    zones, member = zones_of(line3().build(config))
    assert member["ERP"].zone == "vlan-20" and member["HMI-3"].zone == "vlan-20-inferred"
    assert zones["vlan-20"].source is Source.DECLARED
    assert zones["vlan-20-inferred"].source is Source.INFERRED


# -- conduits ----------------------------------------------------------------


def test_conduits_group_cross_zone_edges_by_client_and_server_zone() -> None:
    plant = line3().build(SITE)
    _, member = zones_of(plant)
    membership = {plant.id(n): m for n, m in member.items()}
    conduits = find_conduits(plant.graph, membership)
    assert list(conduits) == [
        (LAYER2_ZONE, "control-line3"),  # DCP -> PLC-3
        ("line3-all", "control-line3"),  # EWS-1 -> PLC-3
        ("subnet-10.20.0.0/24", "supervision"),  # ERP (in no declared zone) -> HMI-3
        ("supervision", "control-line3"),  # HMI-3 and HMI-4 -> PLC-3
    ]
    hmi = conduits["supervision", "control-line3"]
    assert hmi.zones == ("supervision", "control-line3")
    assert hmi.protocols == {"modbus", "s7comm"}
    assert hmi.operations == {"read": 150, "write": 2}
    assert len(hmi.links) == 3 and hmi.links == sorted(hmi.links)
    assert {link[2] for link in hmi.links} == {"modbus", "s7comm"}
    assert conduits["line3-all", "control-line3"].operations == {"program": 1}
    # PLC-3 -> RIO-1 and HMI-3 -> HMI-4 stay inside their zones: no conduit.
    assert ("control-line3", "control-line3") not in conduits


def test_conduit_direction_follows_who_initiates() -> None:
    plant = line3().talk("PLC-3", "HMI-3", "modbus", {"write": 1}).build(SITE)
    _, member = zones_of(plant)
    conduits = find_conduits(plant.graph, {plant.id(n): m for n, m in member.items()})
    back = conduits["control-line3", "supervision"]
    assert back.protocols == {"modbus"} and back.operations == {"write": 1}


# -- level skips -------------------------------------------------------------

LADDER = [
    ("0", "1", False),
    ("1", "2", False),
    ("2", "3", False),
    ("3", "3.5", False),
    ("3.5", "4", False),
    ("4", "5", False),
    ("0", "2", True),
    ("1", "3", True),
    ("3", "4", True),
    ("2", "3.5", True),
    ("4", "1", True),
    ("5", "3.5", True),
]


@pytest.mark.parametrize(("a", "b", "skip"), LADDER)
def test_level_skip_ladder(a: str, b: str, skip: bool) -> None:
    graph = nx.DiGraph()
    graph.add_node("c", name="C")
    graph.add_node("s", name="S")
    graph.add_edge("c", "s", links=[("10.0.0.1", "10.0.0.2", "http", "tcp", 80)])
    levels = {
        "c": LevelAssignment(Level(a), "", Source.DECLARED),
        "s": LevelAssignment(Level(b), "", Source.DECLARED),
    }
    skips = find_level_skips(graph, levels)
    assert bool(skips) is skip
    assert (level_distance(Level(a), Level(b)) > 1) is skip
    if skip:
        assert skips[0].client_level is Level(a) and skips[0].server_level is Level(b)
        assert f"C (level {a}) -> S (level {b}) skips level" in skips[0].reason


def test_enterprise_host_talking_to_a_controller_is_a_skip_per_link() -> None:
    plant = (
        line3()
        .talk("ERP", "PLC-3", "modbus", {"read": 3})
        .talk("ERP", "PLC-3", "http")
        .build("levels: {ERP: 4}")
    )
    levels = assign_levels(plant.inventory, plant.graph, plant.config, plant.names)
    skips = find_level_skips(plant.graph, levels)
    erp = [s for s in skips if s.link[0] == "10.20.0.5" and s.link[1] == "10.1.3.5"]
    assert [s.link[2] for s in erp] == ["http", "modbus"]
    assert erp[0].reason == "ERP (level 4) -> PLC-3 (level 1) skips levels 3.5, 3, 2"
    assert (erp[0].client_level, erp[0].server_level) == (Level.ENTERPRISE, Level.BASIC_CONTROL)
    # ERP -> HMI-3 (4 -> 2) is a skip too; HMI -> PLC (2 -> 1) is not.
    assert any(s.link[1] == "10.1.2.20" for s in skips)
    assert not any(s.link[0] == "10.1.2.20" and s.link[1] == "10.1.3.5" for s in skips)


def test_ends_without_a_level_are_not_judged() -> None:
    graph = nx.DiGraph()
    graph.add_edge("c", "s", links=[("a", "b", "http", "tcp", 80)])
    assert (
        find_level_skips(graph, {"c": LevelAssignment(Level.INTERNET, "", Source.DECLARED)}) == []
    )
