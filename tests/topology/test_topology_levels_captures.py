"""Levels and zones on the shared captures: answers a reviewer can check by
hand with Wireshark (Statistics > Conversations shows who polls whom)."""

from __future__ import annotations

import re
from functools import cache

import pytest
from plant_builder import Plant, capture_plant

from conftest import PCAPS
from otm.model.plant import Level, LevelAssignment, Source, ZoneAssignment, ZoneSpec
from otm.topology.levels import assign_levels
from otm.topology.zones import assign_zones, find_conduits, find_level_skips

CAPTURES = sorted(p.name for p in PCAPS.glob("*.pcap*"))


@cache
def analysed(
    capture: str,
) -> tuple[Plant, dict[str, LevelAssignment], dict[str, ZoneSpec], dict[str, ZoneAssignment]]:
    plant = capture_plant(PCAPS / capture)
    levels = assign_levels(plant.inventory, plant.graph, plant.config, plant.names)
    zones, membership = assign_zones(plant.inventory, levels, plant.config, plant.names)
    return plant, levels, zones, membership


def by_ip(capture: str) -> dict[str, Level]:
    plant, levels, _, _ = analysed(capture)
    return {ip: levels[a.id].level for a in plant.inventory.assets.values() for ip in a.ips}


def servers_of(plant: Plant, protocol: str) -> tuple[set[str], set[str]]:
    links = [link for link in plant.inventory.links.values() if link.protocol == protocol]
    return {link.client for link in links}, {link.server for link in links}


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_asset_of_every_capture_has_a_level_and_a_zone(capture: str) -> None:
    plant, levels, zones, membership = analysed(capture)
    assert set(levels) == set(plant.inventory.assets) == set(membership)
    assert all(v.reason and v.source is Source.INFERRED for v in levels.values())
    assert all(m.zone in zones and m.reason for m in membership.values())
    for zone in zones.values():
        assert re.fullmatch(r"vlan-\d+|subnet-[0-9a-f.:]+/\d+|layer2", zone.name), zone.name
        assert zone.level is not None and zone.source is Source.INFERRED
    # Conduits and skips only ever name known zones and assets.
    for (a, b), conduit in find_conduits(plant.graph, membership).items():
        assert a in zones and b in zones and conduit.links
    for skip in find_level_skips(plant.graph, levels):
        assert abs(list(Level).index(skip.client_level) - list(Level).index(skip.server_level)) > 1


def test_mb2_controllers_are_level_1_under_their_level_2_poller() -> None:
    plant, _, zones, membership = analysed("mb2.pcap")
    levels = by_ip("mb2.pcap")
    for protocol in ("s7comm", "modbus", "enip"):
        clients, servers = servers_of(plant, protocol)
        assert clients == {"141.81.0.10"}
        assert servers and all(levels[ip] is Level.BASIC_CONTROL for ip in servers)
    assert levels["141.81.0.10"] is Level.SUPERVISORY
    assert levels["141.81.0.182"] is Level.OPERATIONS  # SMB to the level-2 poller
    # One /24 holds the whole control network: an inferred zone at level 1.
    assert zones["subnet-141.81.0.0/24"].level is Level.BASIC_CONTROL
    assert membership[plant.id("141.81.0.10")].zone == "subnet-141.81.0.0/24"
    assert find_level_skips(plant.graph, analysed("mb2.pcap")[1]) == []


def test_bacnet_devices_sit_below_the_workstation_that_polls_them() -> None:
    plant, levels, _, _ = analysed("bacnet_example.pcap")
    ips = by_ip("bacnet_example.pcap")
    assert ips["172.20.32.200"] is Level.SUPERVISORY  # polls 39 devices
    named = [a for a in plant.inventory.assets.values() if plant.names[a.id].startswith("PLC_")]
    assert named and all(levels[a.id].level is Level.BASIC_CONTROL for a in named)


@pytest.mark.parametrize(
    ("capture", "protocol"),
    [
        ("snap7_s300_everything.pcapng", "s7comm"),
        ("dnp3.pcap", "dnp3"),
        ("modicon_test.pcap", "modbus"),
    ],
)
def test_masters_are_level_2_and_their_controllers_level_1(capture: str, protocol: str) -> None:
    plant, _, _, _ = analysed(capture)
    levels = by_ip(capture)
    clients, servers = servers_of(plant, protocol)
    assert clients and all(levels[ip] is Level.SUPERVISORY for ip in clients)
    assert servers and all(levels[ip] is Level.BASIC_CONTROL for ip in servers)


def test_hmi_talking_straight_to_an_io_adapter_is_a_level_skip() -> None:
    plant, levels, _, _ = analysed("enip_cip_example.pcap")
    skips = find_level_skips(plant.graph, levels)
    assert [(s.link[:3], s.client_level, s.server_level) for s in skips] == [
        (("10.1.1.167", "10.1.1.164", "enip"), Level.SUPERVISORY, Level.PROCESS)
    ]
    assert skips[0].reason == "10.1.1.167 (level 2) -> 10.1.1.164 (level 0) skips level 1"
