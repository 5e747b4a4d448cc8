"""Purdue levels over small known plants: one test (or more) per rule, with
the case where the rule must not fire."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from plant_builder import Plant, PlantBuilder

from otm.model.assets import Role
from otm.model.plant import Level, LevelAssignment, Source
from otm.topology.levels import DEFAULT_LEVEL, assign_levels


def levels_of(plant: Plant) -> dict[str, LevelAssignment]:
    """Level assignments keyed by display name (the tests' names are unique)."""
    got = assign_levels(plant.inventory, plant.graph, plant.config, plant.names)
    return {plant.name(asset_id): verdict for asset_id, verdict in got.items()}


def level(plant: Plant, name: str) -> Level:
    return levels_of(plant)[name].level


def control_cell() -> PlantBuilder:
    """A line: SCADA and HMI over a PLC, an I/O rack, an EWS, a historian."""
    return (
        PlantBuilder()
        .host("PLC-3", "10.1.3.5")
        .host("RIO-1", "10.1.3.40", role=Role.IO_MODULE)
        .host("HMI-3", "10.1.2.20")
        .host("EWS-1", "10.1.2.30")
        .host("HIST-1", "10.1.4.10", role=Role.HISTORIAN)
        .host("RTU-9", "10.1.9.9")
        .host("SCADA", "10.1.2.10")
        .talk("HMI-3", "PLC-3", "modbus", {"read": 90, "write": 2})
        .talk("PLC-3", "RIO-1", "enip", {"write": 50})
        .talk("EWS-1", "PLC-3", "s7comm", {"program/download_block": 1})
        .talk("HIST-1", "HMI-3", "opcua", {"read": 10})
        .talk("SCADA", "RTU-9", "dnp3", {"read": 40})
    )


# -- rule 3: roles -----------------------------------------------------------


def test_roles_give_their_purdue_level_with_the_role_in_the_reason() -> None:
    plant = control_cell().build()
    got = levels_of(plant)
    expected = {
        "RIO-1": Level.PROCESS,
        "PLC-3": Level.BASIC_CONTROL,
        "RTU-9": Level.BASIC_CONTROL,
        "HMI-3": Level.SUPERVISORY,
        "EWS-1": Level.SUPERVISORY,
        "SCADA": Level.SUPERVISORY,
        "HIST-1": Level.OPERATIONS,
    }
    assert {n: got[n].level for n in expected} == expected
    roles = {n: plant.inventory.assets[plant.id(n)].role.value for n in expected}
    for name, verdict in got.items():
        assert verdict.source is Source.INFERRED
        assert verdict.reason.startswith(f"role {roles[name]}"), verdict.reason


def test_every_asset_gets_a_level_and_a_reason() -> None:
    plant = control_cell().host("ODD", mac="00:1b:1b:99:99:99", role=Role.UNKNOWN).build()
    got = assign_levels(plant.inventory, plant.graph, plant.config, plant.names)
    assert set(got) == set(plant.inventory.assets)
    assert all(v.reason for v in got.values())


# -- rules 1 and 2: what the user declares ------------------------------------


def test_declared_override_wins_over_role_and_zone() -> None:
    config = """
    zones:
      - {name: control, level: 1, subnets: [10.1.2.0/24]}
    levels: {"ip:10.1.2.20": 3, "pattern:EWS-*": 2.0}
    """
    got = levels_of(control_cell().build(config))
    assert got["HMI-3"] == LevelAssignment(
        Level.OPERATIONS, "declared: level override ip:10.1.2.20", Source.DECLARED
    )
    assert got["EWS-1"].level is Level.SUPERVISORY
    assert got["EWS-1"].source is Source.DECLARED
    assert "pattern:EWS-*" in got["EWS-1"].reason


def test_first_matching_override_in_file_order_wins() -> None:
    config = """
    levels: {"name:PLC-3": 0, "cidr:10.1.3.0/24": 2}
    """
    got = levels_of(control_cell().build(config))
    assert got["PLC-3"].level is Level.PROCESS and "name:PLC-3" in got["PLC-3"].reason
    assert got["RIO-1"].level is Level.SUPERVISORY


def test_override_by_tag() -> None:
    config = """
    tags: {dmz: ["HIST-1"]}
    levels: {"tag:dmz": 3.5}
    """
    got = levels_of(control_cell().build(config))
    assert got["HIST-1"].level is Level.DMZ and got["HIST-1"].source is Source.DECLARED


def test_declared_zone_level_gives_its_members_that_level() -> None:
    config = """
    zones:
      - {name: supervision, level: 3, vlans: [20], subnets: [10.1.2.0/24]}
    """
    got = levels_of(control_cell().build(config))
    for name in ("HMI-3", "EWS-1", "SCADA"):
        assert got[name].level is Level.OPERATIONS and got[name].source is Source.DECLARED
        assert "zone supervision is level 3 (subnet 10.1.2.0/24 holds" in got[name].reason
    assert got["PLC-3"].source is Source.INFERRED  # not a member


def test_zone_without_level_leaves_members_to_inference() -> None:
    config = """
    zones:
      - {name: cell, assets: ["PLC-3"]}
      - {name: fallback, level: 4, assets: ["PLC-3", "HMI-3"]}
    """
    got = levels_of(control_cell().build(config))
    # PLC-3's zone is "cell" (the first that names it), which has no level.
    assert got["PLC-3"].level is Level.BASIC_CONTROL and got["PLC-3"].source is Source.INFERRED
    assert got["HMI-3"].level is Level.ENTERPRISE and got["HMI-3"].source is Source.DECLARED


# -- rule 4: IT hosts by whom they talk to ------------------------------------


def it_side() -> PlantBuilder:
    """Control cell plus IT hosts: an ops client, a broker, enterprise hosts."""
    return (
        control_cell()
        .host("OPS-PC", "10.1.4.50")
        .host("BROKER", "10.1.35.5")
        .host("ERP", "10.20.0.5")
        .host("MAIL", "10.20.0.6")
        .host("CLERK", "10.20.0.7")
        .talk("OPS-PC", "HMI-3", "rdp")
        .talk("BROKER", "HIST-1", "https")
        .talk("ERP", "MAIL", "smb")
        .talk("CLERK", "MAIL", "smb")
    )


def test_it_host_that_talks_to_control_is_level_3() -> None:
    got = levels_of(it_side().build())
    assert got["OPS-PC"].level is Level.OPERATIONS
    assert got["OPS-PC"].reason == "it-host: talks to control assets level 2: HMI-3"


def test_it_host_between_control_and_it_is_the_dmz() -> None:
    plant = it_side().talk("ERP", "BROKER", "https").build()
    got = levels_of(plant)
    assert got["BROKER"].level is Level.DMZ
    assert got["BROKER"].reason == (
        "it-host: brokers between control (level 3: HIST-1) and IT (ERP)"
    )


def test_it_host_that_talks_only_it_is_enterprise() -> None:
    got = levels_of(it_side().talk("ERP", "BROKER", "https").build())
    assert got["MAIL"].level is Level.ENTERPRISE and got["CLERK"].level is Level.ENTERPRISE
    # ERP talks to BROKER (not IT: it talks to control) and to MAIL: enterprise.
    assert got["ERP"].level is Level.ENTERPRISE
    assert got["ERP"].reason == "it-host: talks only to IT hosts (MAIL)"


def test_broker_needs_both_sides() -> None:
    got = levels_of(it_side().build())
    assert got["BROKER"].level is Level.OPERATIONS  # HIST-1 only
    # ERP talks to BROKER, which is not IT once ERP also talks to control:
    # ERP is then the broker (PLC-3 and MAIL), BROKER stays at 3.
    got = levels_of(it_side().talk("ERP", "BROKER", "https").talk("ERP", "PLC-3", "http").build())
    assert got["BROKER"].level is Level.OPERATIONS
    assert got["ERP"].level is Level.DMZ


def test_silent_it_host_takes_its_segment() -> None:
    plant = it_side().host("LAPTOP", "10.1.3.77").host("PRINTER", "10.30.0.9").build()
    got = levels_of(plant)
    assert got["LAPTOP"].level is Level.OPERATIONS and "shares a segment" in got["LAPTOP"].reason
    assert got["PRINTER"].level is Level.ENTERPRISE


def test_public_host_outside_the_plant_is_level_5() -> None:
    plant = it_side().host("DNS", "8.8.8.8").talk("HMI-3", "DNS", "dns").build()
    got = levels_of(plant)
    assert got["DNS"].level is Level.INTERNET
    assert got["DNS"].reason == "it-host: public address 8.8.8.8 outside every control segment"


def test_public_host_on_a_control_segment_is_not_outside() -> None:
    # Some plants number their control network with public addresses (mb2.pcap).
    plant = (
        PlantBuilder()
        .host("PLC", "141.81.0.5")
        .host("HMI", "141.81.0.10")
        .host("PC", "141.81.0.20")
        .talk("HMI", "PLC", "modbus", {"read": 5})
        .talk("PC", "HMI", "smb")
        .build()
    )
    assert level(plant, "PC") is Level.OPERATIONS


# -- rule 5: network devices and unknown roles by their neighbours -----------


def test_network_device_takes_the_most_common_level_of_its_neighbours() -> None:
    plant = (
        control_cell()
        .host("SW-1", "10.1.3.2", role=Role.NETWORK_DEVICE)
        .talk("SCADA", "SW-1", "snmp", {"read": 5})
        .talk("HMI-3", "SW-1", "snmp", {"read": 5})
        .talk("SW-1", "PLC-3", "lldp")
        .build()
    )
    got = levels_of(plant)
    assert got["SW-1"].level is Level.SUPERVISORY
    assert got["SW-1"].reason == (
        "network-device: most of the assets it talks to are level 2 (1 at 1, 2 at 2)"
    )


def test_neighbour_tie_goes_to_the_level_nearer_the_process() -> None:
    plant = (
        control_cell()
        .host("SW-1", "10.1.3.2", role=Role.NETWORK_DEVICE)
        .talk("HMI-3", "SW-1", "snmp")
        .talk("SW-1", "PLC-3", "lldp")
        .build()
    )
    assert level(plant, "SW-1") is Level.BASIC_CONTROL


def test_unknown_server_sits_one_step_below_its_clients() -> None:
    plant = (
        control_cell()
        .host("BAC-1", "10.1.3.70", role=Role.UNKNOWN)
        .host("BAC-2", "10.1.3.71", role=Role.UNKNOWN)
        .talk("SCADA", "BAC-1", "bacnet", {"read": 5})
        .talk("SCADA", "BAC-2", "bacnet", {"read": 5})
        .talk("HMI-3", "BAC-2", "bacnet", {"read": 5})
        .build()
    )
    got = levels_of(plant)
    assert got["BAC-1"].level is Level.BASIC_CONTROL
    assert got["BAC-1"].reason == (
        "unknown: answers clients at level 2 (SCADA), so one step below them"
    )
    assert got["BAC-2"].level is Level.BASIC_CONTROL


def test_unknown_takes_its_level_from_the_nearest_placed_assets() -> None:
    plant = (
        control_cell()
        .host("GW", "10.1.3.60", role=Role.UNKNOWN)
        .host("METER", "10.1.3.61", role=Role.UNKNOWN)
        .host("BOTH", "10.1.3.62", role=Role.UNKNOWN)
        .talk("GW", "RIO-1", "bacnet")
        .talk("GW", "METER", "bacnet")
        .talk("HMI-3", "BOTH", "bacnet")
        .talk("BOTH", "PLC-3", "bacnet")
        .build()
    )
    got = levels_of(plant)
    assert got["GW"].level is Level.BASIC_CONTROL  # asks RIO-1 (0): one step above
    assert got["GW"].reason == "unknown: asks servers at level 0 (RIO-1), so one step above them"
    assert got["METER"].level is Level.PROCESS  # answers GW (1), one round later
    assert got["BOTH"].level is Level.BASIC_CONTROL  # asks and answers: most common, tie low
    assert got["BOTH"].reason == (
        "unknown: most of the assets it talks to are level 1 (1 at 1, 1 at 2)"
    )


def test_unknown_below_level_0_stays_0() -> None:
    plant = (
        control_cell()
        .host("SENSOR", "10.1.3.80", role=Role.UNKNOWN)
        .talk("RIO-1", "SENSOR", "bacnet")
        .build()
    )
    assert level(plant, "SENSOR") is Level.PROCESS


def test_unplaced_unknown_falls_back_to_its_segment_then_the_default() -> None:
    plant = (
        control_cell()
        .host("PLC-4", "10.1.3.6")
        .talk("HMI-3", "PLC-4", "modbus")
        .host("ODD-1", "10.1.3.99", role=Role.UNKNOWN)
        .host("ODD-2", mac="00:1b:1b:99:99:99", role=Role.UNKNOWN)
        .build()
    )
    got = levels_of(plant)
    assert got["ODD-1"].level is Level.BASIC_CONTROL  # the /24 of PLC-3, PLC-4 and RIO-1
    assert "most of its segment is level 1 (1 at 0, 2 at 1)" in got["ODD-1"].reason
    assert got["ODD-2"].level is DEFAULT_LEVEL and "(review)" in got["ODD-2"].reason


# -- whole-function properties ----------------------------------------------

ROLES = [Role.PLC, Role.HMI, Role.IT_HOST, Role.UNKNOWN, Role.NETWORK_DEVICE, Role.HISTORIAN]


@settings(max_examples=30, deadline=None)
@given(
    roles=st.lists(st.sampled_from(ROLES), min_size=1, max_size=12),
    edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=25),
    seed=st.integers(0, 1000),
)
def test_levels_are_total_and_do_not_depend_on_observation_order(
    roles: list[Role], edges: list[tuple[int, int]], seed: int
) -> None:
    def build(shuffle: bool) -> dict[str, LevelAssignment]:
        builder = PlantBuilder()
        for i, role in enumerate(roles):
            builder.host(f"H{i}", f"10.{i % 3}.0.{i + 1}", role=role)
        for a, b in edges:
            if a < len(roles) and b < len(roles) and a != b:
                builder.talk(f"H{a}", f"H{b}", "http")
        if shuffle:
            random.Random(seed).shuffle(builder.observations)
        return levels_of(builder.build())

    first = build(shuffle=False)
    assert set(first) == {f"H{i}" for i in range(len(roles))}
    assert build(shuffle=True) == first
