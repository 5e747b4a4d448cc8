"""Change over time: new and vanished assets, links, protocols and operations.

The synthetic morning of ``maps_support.timeline``: before ``SPLIT`` the HMI
reads the PLC and the PLC writes its remote I/O; after it the HMI also
writes, an engineering workstation downloads a program, the I/O is silent.
"""

from __future__ import annotations

from maps_support import EWS, HMI, IO, PLC, T0, link, mac, seen, timeline
from otm.inventory.builder import build_inventory
from otm.model.assets import Asset, Inventory, Link
from otm.observations.records import AssetSeen, Communication, Identity, Operation
from otm.topology.diff import (
    OperationChange,
    ProtocolChange,
    as_of,
    between,
    diff_inventories,
    newest_time,
)

SPLIT = T0 + 1000


def _morning() -> tuple[Inventory, Inventory]:
    obs = timeline()
    return build_inventory(as_of(obs, SPLIT)), build_inventory(between(obs, SPLIT))


def test_the_morning_diff_has_the_known_answers() -> None:
    old, new = _morning()
    d = diff_inventories(old, new)
    assert [a.ips for a in d.new_assets] == [(EWS,)]
    assert [(a.name, a.ips) for a in d.vanished_assets] == [("RIO-3", (IO,))]
    assert [k.key for k in d.new_links] == [(EWS, PLC, "s7comm", "tcp", 102)]
    assert dict(d.new_links[0].operations) == {"request_download": 1, "setup_communication": 1}
    assert [k.key for k in d.vanished_links] == [(PLC, IO, "enip", "tcp", 44818)]
    plc = new.find(PLC)
    assert plc is not None
    assert d.new_protocols == [ProtocolChange(plc.id, "PLC-3", "s7comm", "server")]
    assert d.vanished_protocols == [ProtocolChange(plc.id, "PLC-3", "enip", "client")]
    # The category comes from the link alone here: "write" is the only one with count 3.
    assert d.new_operations == [
        OperationChange((HMI, PLC, "modbus", "tcp", 502), "write_single_register", "write", 3)
    ]
    assert d.vanished_operations == []
    assert not d.empty
    assert d.counts()["new_assets"] == 1


def test_nothing_changes_between_an_inventory_and_itself() -> None:
    inv = build_inventory(timeline())
    d = diff_inventories(inv, inv)
    assert d.empty and set(d.counts().values()) == {0}


def test_reversing_the_sides_swaps_new_and_vanished() -> None:
    old, new = _morning()
    forward, backward = diff_inventories(old, new), diff_inventories(new, old)
    assert [a.ips for a in backward.vanished_assets] == [a.ips for a in forward.new_assets]
    assert [k.key for k in backward.new_links] == [k.key for k in forward.vanished_links]
    assert [o.operation for o in backward.vanished_operations] == ["write_single_register"]


def test_assets_are_matched_by_address_when_their_ids_differ() -> None:
    """A rebuild from a slice of the observations may anchor a device on another address."""
    old = Inventory(assets={"a1": Asset("a1", ips={"10.0.0.1"}, macs={"02:00:00:00:00:01"})})
    same = Inventory(assets={"b7": Asset("b7", ips={"10.0.0.1", "10.0.9.1"})})
    other = Inventory(assets={"c3": Asset("c3", ips={"10.0.0.2"})})
    assert diff_inventories(old, same).empty
    d = diff_inventories(old, other)
    assert [a.id for a in d.new_assets] == ["c3"] and [a.id for a in d.vanished_assets] == ["a1"]


def test_operation_categories_come_from_the_observations_when_given() -> None:
    key = ("10.0.0.1", "10.0.0.2", "modbus", "tcp", 502)
    old = Inventory(links={key: Link(*key, operations={"read_coils": 4}, categories={"read": 4})})
    ops = {"read_coils": 4, "write_single_coil": 4, "diagnostics": 4}
    cats = {"read": 4, "write": 4, "diagnostic": 4}
    new = Inventory(links={key: Link(*key, operations=ops, categories=cats)})
    unsure = diff_inventories(old, new)
    assert {o.operation: o.category for o in unsure.new_operations} == {
        "diagnostics": "?",
        "write_single_coil": "?",
    }
    told = diff_inventories(old, new, {"write_single_coil": "write", "diagnostics": "diagnostic"})
    assert [o.category for o in told.new_operations] == ["diagnostic", "write"]


def test_as_of_keeps_what_began_before_the_moment_and_clamps_its_end() -> None:
    obs = list(as_of(timeline(), SPLIT))
    assert all(o.time <= SPLIT for o in obs if isinstance(o, AssetSeen | Identity))
    comms = [o for o in obs if isinstance(o, Communication)]
    assert {(c.client_ip, c.server_ip) for c in comms} == {(HMI, PLC), (PLC, IO)}
    hmi_plc = next(c for c in comms if c.client_ip == HMI)
    assert (hmi_plc.first_seen, hmi_plc.last_seen, hmi_plc.packets) == (T0, SPLIT, 10)
    inv = build_inventory(obs)
    assert {ip for a in inv.assets.values() for ip in a.ips} == {HMI, PLC, IO}
    assert inv.links[(HMI, PLC, "modbus", "tcp", 502)].last_seen == SPLIT


def test_between_clamps_records_to_the_window() -> None:
    obs = list(between(timeline(), SPLIT, T0 + 1250))
    ops = {o.name: (o.first_seen, o.last_seen) for o in obs if isinstance(o, Operation)}
    assert ops["request_download"] == (T0 + 1200, T0 + 1250)
    assert ops["read_holding_registers"] == (SPLIT, T0 + 1250)
    assert "write_single_register" not in ops  # at +1500, after the window
    assert "set_attribute_single" not in ops  # ended at +900, before it


def test_a_host_busy_through_the_whole_window_is_in_it() -> None:
    """Sightings mark a host's first and last activity, neither inside a short window."""
    obs = list(between(seen(HMI, T0, T0 + 1900), T0 + 500, T0 + 600))
    assert obs == [AssetSeen(T0 + 600, mac(HMI), HMI, obs[0].evidence)]
    assert list(between(seen(HMI, T0, T0 + 400), T0 + 500, T0 + 600)) == []
    assert list(between(seen(HMI, T0 + 700), T0 + 500, T0 + 600)) == []
    assert len(list(between(seen(HMI, T0 + 550), T0 + 500, T0 + 600))) == 1


def test_identities_learned_before_the_window_still_name_its_assets() -> None:
    new = build_inventory(between(timeline(), SPLIT))
    plc = new.find(PLC)
    assert plc is not None and plc.value("name") == "PLC-3"
    assert new.find(IO) is None  # its name alone does not bring the silent I/O back


def test_an_empty_window_makes_everything_vanish() -> None:
    obs = timeline()
    d = diff_inventories(build_inventory(as_of(obs, T0 + 5000)),
                         build_inventory(between(obs, T0 + 5000)))  # fmt: skip
    assert {a.ips[0] for a in d.vanished_assets} == {HMI, PLC, IO, EWS}
    assert not d.new_assets


def test_newest_time_is_the_latest_end_of_any_record() -> None:
    assert newest_time(timeline()) == T0 + 1900
    assert newest_time(link(HMI, PLC, "modbus", 502, T0, T0 + 42)) == T0 + 42
    assert newest_time([]) is None
