"""The inventory consumer over small, hand-made observation sets with known answers."""

from __future__ import annotations

import random

from otm.inventory.builder import build_inventory
from otm.model.assets import Role
from otm.observations.records import (
    AssetSeen,
    Communication,
    Evidence,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    Transport,
)

ROCKWELL_MAC = "00:00:bc:3e:eb:e4"  # OUI 00:00:BC belongs to Rockwell Automation
SIEMENS_MAC = "00:0e:8c:d0:f9:cb"  # OUI 00:0E:8C belongs to Siemens
ROUTER_MAC = "00:1b:1b:02:e6:1f"


def ev(frame: int, message: str = "test") -> Evidence:
    return Evidence("capture", "test.pcap", frame, message)


def seen(t: float, mac: str | None, ip: str | None, frame: int = 1) -> AssetSeen:
    return AssetSeen(t, mac, ip, ev(frame, "frame source"))


def comm(client: str, server: str, protocol: str, port: int, t: float = 10.0) -> Communication:
    return Communication(
        t, t + 5, client, server, None, None, protocol, Transport.TCP, port, 10, 1000, ev(1)
    )


def op(client: str, server: str, protocol: str, port: int, name: str, cat: str) -> Operation:
    return Operation(10.0, 11.0, client, server, protocol, name, cat, 3, ev(2), Transport.TCP, port)


def test_ip_and_mac_of_one_host_merge_into_one_asset() -> None:
    inv = build_inventory([seen(1, ROCKWELL_MAC, "192.168.10.120")])
    assert len(inv.assets) == 1
    (asset,) = inv.assets.values()
    assert asset.ips == {"192.168.10.120"} and asset.macs == {ROCKWELL_MAC}
    assert asset.value("mac_vendor") == "Rockwell Automation"


def test_device_that_changed_its_ip_stays_one_asset() -> None:
    inv = build_inventory(
        [seen(1, ROCKWELL_MAC, "192.168.10.120"), seen(50, ROCKWELL_MAC, "192.168.10.125")]
    )
    assert len(inv.assets) == 1
    (asset,) = inv.assets.values()
    assert asset.ips == {"192.168.10.120", "192.168.10.125"}
    assert (asset.first_seen, asset.last_seen) == (1, 50)


def test_router_mac_in_front_of_many_ips_does_not_merge_them() -> None:
    obs = [seen(i, ROUTER_MAC, f"10.{i}.0.5") for i in range(1, 6)]
    obs.append(seen(1, SIEMENS_MAC, "192.168.0.10"))
    inv = build_inventory(obs)
    by_ip = {ip: a for a in inv.assets.values() for ip in a.ips}
    assert len({by_ip[f"10.{i}.0.5"].id for i in range(1, 6)}) == 5
    assert all(ROUTER_MAC not in by_ip[f"10.{i}.0.5"].macs for i in range(1, 6))
    router = inv.find(ROUTER_MAC)
    assert router is not None and router.role is Role.NETWORK_DEVICE
    assert "router" in router.role_reason


def test_two_remote_hosts_behind_one_gateway_in_different_subnets_stay_apart() -> None:
    inv = build_inventory([seen(1, ROUTER_MAC, "3.15.227.20"), seen(2, ROUTER_MAC, "8.8.8.8")])
    ids = {a.id for a in inv.assets.values() if a.ips}
    assert len(ids) == 2


def test_loopback_null_mac_never_merges() -> None:
    inv = build_inventory(
        [seen(1, "00:00:00:00:00:00", "127.0.0.1"), seen(1, "00:00:00:00:00:00", "127.0.0.2")]
    )
    assert len([a for a in inv.assets.values() if a.ips]) == 2


def test_a_mac_only_host_is_an_asset_with_its_oui_vendor() -> None:
    inv = build_inventory([seen(1, SIEMENS_MAC, None), seen(9, SIEMENS_MAC, None, frame=7)])
    (asset,) = inv.assets.values()
    assert asset.ips == set() and asset.macs == {SIEMENS_MAC}
    assert asset.value("mac_vendor") == "Siemens AG"
    assert (asset.first_seen, asset.last_seen) == (1, 9)
    assert asset.evidence is not None and asset.evidence.packet == 1


def test_a_mac_only_host_that_later_sends_from_an_ip_is_one_asset() -> None:
    # A PROFINET device answers DCP before it has an address, then gets one.
    before = build_inventory([seen(5, SIEMENS_MAC, "192.168.0.10")])
    for obs in (
        [seen(1, SIEMENS_MAC, None), seen(5, SIEMENS_MAC, "192.168.0.10")],
        [seen(5, SIEMENS_MAC, "192.168.0.10"), seen(1, SIEMENS_MAC, None)],
    ):
        inv = build_inventory(obs)
        (asset,) = inv.assets.values()
        assert asset.ips == {"192.168.0.10"} and asset.macs == {SIEMENS_MAC}
        assert asset.first_seen == 1
        assert list(inv.assets) == list(before.assets)  # the id is drawn from the MAC


def test_group_and_null_macs_without_ip_are_no_asset() -> None:
    obs = [
        seen(1, m, None) for m in ("01:80:c2:00:00:0e", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00")
    ]
    assert build_inventory(obs).assets == {}


def test_a_router_heard_on_layer_2_is_one_asset_apart_from_the_hosts_behind_it() -> None:
    obs = [seen(1, ROUTER_MAC, None)] + [seen(i, ROUTER_MAC, f"10.{i}.0.5") for i in range(2, 5)]
    inv = build_inventory(obs)
    router = inv.find(ROUTER_MAC)
    assert router is not None and router.ips == set() and router.first_seen == 1
    assert len([a for a in inv.assets.values() if a.ips]) == 3


def test_identity_fields_keep_evidence_and_conflicts() -> None:
    obs: list[Observation] = [
        seen(1, SIEMENS_MAC, "10.0.0.2"),
        Identity(5, "10.0.0.2", SIEMENS_MAC, "s7comm", {"firmware": "V3.2.6"}, ev(40)),
        Identity(9, "10.0.0.2", SIEMENS_MAC, "s7comm", {"firmware": "V3.2.7"}, ev(90)),
        Identity(12, "10.0.0.2", SIEMENS_MAC, "s7comm", {"firmware": "V3.2.7"}, ev(120)),
    ]
    (asset,) = build_inventory(obs).assets.values()
    values = asset.fields["firmware"]
    assert [v.value for v in values] == ["V3.2.6", "V3.2.7"]
    assert values[1].evidence.packet == 90 and values[1].last_seen == 12
    assert asset.value("firmware") == "V3.2.7"


def test_cip_vendor_id_gives_vendor_name_and_components_stay_under_their_asset() -> None:
    obs: list[Observation] = [
        seen(1, ROCKWELL_MAC, "192.168.10.120"),
        Identity(
            2,
            "192.168.10.120",
            ROCKWELL_MAC,
            "enip",
            {"vendor_id": 1, "device_type": 0x0C, "product_name": "1756-ENBT/A"},
            ev(3),
        ),
        Identity(
            3,
            "192.168.10.120",
            ROCKWELL_MAC,
            "enip",
            {"vendor_id": 309, "device_type": 0x0C, "product_name": "MVI56"},
            ev(4),
            "slot 3",
        ),
        Identity(
            3,
            "192.168.10.120",
            ROCKWELL_MAC,
            "enip",
            {"vendor_id": 1, "device_type": 0x0E, "product_name": "1756-L61"},
            ev(5),
            "slot 0",
        ),
    ]
    (asset,) = build_inventory(obs).assets.values()
    assert asset.value("vendor") == "Rockwell Automation/Allen-Bradley"
    assert set(asset.components) == {"slot 0", "slot 3"}
    assert asset.components["slot 3"].value("vendor") == "ProSoft Technology"
    assert asset.role is Role.PLC  # a controller in the chassis


def test_roles_from_behaviour() -> None:
    plc, hmi, ews, scada = "10.0.0.10", "10.0.0.20", "10.0.0.30", "10.0.0.40"
    field = [f"10.0.1.{i}" for i in range(1, 6)]
    obs: list[Observation] = [
        comm(hmi, plc, "modbus", 502),
        op(hmi, plc, "modbus", 502, "read_holding_registers", "read"),
        comm(ews, plc, "s7comm", 102),
        op(ews, plc, "s7comm", 102, "download_block", "program"),
    ]
    for ip in field:
        obs.append(comm(scada, ip, "modbus", 502))
    inv = build_inventory(obs)
    role = {ip: a.role for a in inv.assets.values() for ip in a.ips}
    assert role[plc] is Role.PLC
    assert role[hmi] is Role.HMI
    assert role[ews] is Role.ENGINEERING_WORKSTATION
    assert role[scada] is Role.SCADA_SERVER
    assert "download_block" in inv.find(ews).role_reason  # type: ignore[union-attr]


def test_telecontrol_masters_are_scada_servers_and_operating_is_not_engineering() -> None:
    master, outstation, ews, rtu = "10.0.0.50", "10.0.0.51", "10.0.0.52", "10.0.0.53"
    obs: list[Observation] = [
        comm(master, outstation, "dnp3", 20000),
        op(master, outstation, "dnp3", 20000, "direct_operate", "control"),
        comm(ews, rtu, "dnp3", 20000),
        op(ews, rtu, "dnp3", 20000, "write_file", "program"),
    ]
    inv = build_inventory(obs)
    role = {ip: a for a in inv.assets.values() for ip in a.ips}
    assert role[master].role is Role.SCADA_SERVER and "dnp3" in role[master].role_reason
    assert role[outstation].role is Role.RTU
    # A file written to an outstation is engineering, whatever the protocol.
    assert role[ews].role is Role.ENGINEERING_WORKSTATION


def test_an_lldp_bridge_is_a_network_device_and_a_station_is_not() -> None:
    switch, station = "00:1b:1b:02:e6:1f", "00:1b:1b:02:e6:20"
    obs: list[Observation] = [
        seen(1.0, switch, None),
        seen(1.0, station, None),
        Identity(1.0, None, switch, "lldp", {"capabilities": "bridge,router"}, ev(2)),
        Identity(1.0, None, station, "lldp", {"capabilities": "station_only"}, ev(3)),
    ]
    inv = build_inventory(obs)
    by_mac = {m: a for a in inv.assets.values() for m in a.macs}
    assert by_mac[switch].role is Role.NETWORK_DEVICE
    assert "bridge, router" in by_mac[switch].role_reason
    assert by_mac[station].role is not Role.NETWORK_DEVICE


def test_links_sum_counts_and_operations() -> None:
    obs: list[Observation] = [
        comm("10.0.0.1", "10.0.0.2", "modbus", 502, t=10),
        comm("10.0.0.1", "10.0.0.2", "modbus", 502, t=3),
        op("10.0.0.1", "10.0.0.2", "modbus", 502, "write_single_register", "write"),
        op("10.0.0.1", "10.0.0.2", "modbus", 502, "write_single_register", "write"),
    ]
    (link,) = build_inventory(obs).links.values()
    assert (link.packets, link.bytes) == (20, 2000)
    assert link.first_seen == 3 and link.last_seen == 15
    assert link.operations == {"write_single_register": 6}
    assert link.categories == {"write": 6}


def probe(client: str, server: str, protocol: str, port: int, answered: bool) -> Communication:
    """A UDP request flow of a scan: answered or not."""
    return Communication(
        10.0, 10.5, client, server, None, None, protocol, Transport.UDP, port,
        2 if answered else 1, 120, ev(5), answered,
    )  # fmt: skip


def test_unanswered_udp_requests_link_the_scanner_but_serve_nothing() -> None:
    # A scanner probes an OPC UA server with BACnet, ListIdentity and SNMP; it
    # answers none of them.  An HMI reads it over OPC UA.
    scanner, server, hmi = "10.0.0.5", "10.0.0.30", "10.0.0.20"
    obs: list[Observation] = [
        probe(scanner, server, "bacnet", 47808, answered=False),
        probe(scanner, server, "enip", 44818, answered=False),
        probe(scanner, server, "snmp", 161, answered=False),
        comm(hmi, server, "opcua", 4840),
    ]
    inv = build_inventory(obs)
    # The traffic happened: each probe is a link, with its counts.
    keys = {(link.client, link.server, link.protocol) for link in inv.links.values()}
    assert {(scanner, server, p) for p in ("bacnet", "enip", "snmp")} <= keys
    assert inv.links[(scanner, server, "snmp", "udp", 161)].packets == 1
    target = inv.find(server)
    assert target is not None
    assert [(s.name, s.role) for s in target.services] == [("opcua", "server")]
    # Its role comes from what it serves (OPC UA), not from the probes.
    assert target.role is Role.SCADA_SERVER and "OPC UA" in target.role_reason
    assert "bacnet" not in target.role_reason and "enip" not in target.role_reason
    # The scanner used the protocols, whether or not anyone answered.
    source = inv.find(scanner)
    assert source is not None
    assert {(s.name, s.role) for s in source.services} == {
        ("bacnet", "client"), ("enip", "client"), ("snmp", "client"),
    }  # fmt: skip


def test_a_host_that_only_received_requests_gets_no_role_from_them() -> None:
    inv = build_inventory([probe("10.0.0.5", "10.0.0.31", "bacnet", 47808, answered=False)])
    target = inv.find("10.0.0.31")
    assert target is not None and target.services == []
    # Before, "serves bacnet to 1 client(s)": a PLC.
    assert target.role is not Role.PLC and "bacnet" not in target.role_reason


def test_a_link_answered_in_any_of_its_deltas_is_served() -> None:
    # A live capture reports one flow in deltas: the request before the
    # checkpoint (unanswered so far), the answer after it.
    client, server = "10.0.0.5", "10.0.0.40"
    for order in ((False, True), (True, False)):
        obs = [probe(client, server, "bacnet", 47808, answered) for answered in order]
        inv = build_inventory(obs)
        target = inv.find(server)
        assert target is not None and target.role is Role.PLC
        assert [(s.name, s.role) for s in target.services] == [("bacnet", "server")]
        (link,) = inv.links.values()
        assert link.packets == 3


def test_anomalies_are_counted_per_protocol_kind_and_sender() -> None:
    a = ParseAnomaly(1, 2, "modbus", "invalid_length", 4, ev(7), "10.0.0.2")
    b = ParseAnomaly(0.5, 3, "modbus", "invalid_length", 1, ev(3), "10.0.0.2")
    inv = build_inventory([a, b])
    (count,) = inv.anomalies.values()
    assert (count.count, count.first_seen, count.last_seen, count.evidence.packet) == (5, 0.5, 3, 3)


def test_replay_in_any_order_gives_the_same_inventory() -> None:
    obs: list[Observation] = [
        seen(1, ROCKWELL_MAC, "192.168.10.120"),
        seen(2, SIEMENS_MAC, "192.168.10.2"),
        seen(3, ROUTER_MAC, "10.1.0.1"),
        seen(4, ROUTER_MAC, "10.2.0.1"),
        comm("192.168.10.2", "192.168.10.120", "enip", 44818),
        op("192.168.10.2", "192.168.10.120", "enip", 44818, "get_attribute_single", "read"),
        Identity(5, "192.168.10.120", ROCKWELL_MAC, "enip", {"serial": "0x00ad5e"}, ev(9)),
    ]
    first = build_inventory(obs)
    for seed in range(5):
        shuffled = obs[:]
        random.Random(seed).shuffle(shuffled)
        assert build_inventory(shuffled) == first


def test_an_oui_owner_written_with_a_trailing_comma_is_the_same_vendor() -> None:
    import netaddr

    from otm.inventory.vendors import mac_vendor

    raw = netaddr.OUI("00-1B-1B").registration().org  # the IEEE registry as shipped
    assert raw.rstrip().endswith(","), raw  # the case this guards
    assert mac_vendor("00:1b:1b:02:9a:c3") == raw.strip().rstrip(",")
    assert mac_vendor("00:1b:1b:02:9a:c3") == mac_vendor("00:0e:8c:d0:f9:cb")  # both Siemens AG
