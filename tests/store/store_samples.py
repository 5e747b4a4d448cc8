"""Inventories and observations for the store tests, built by hand or in bulk."""

from __future__ import annotations

from otm.model.assets import (
    AnomalyCount,
    Asset,
    Component,
    FieldValue,
    Inventory,
    Link,
    Role,
    ServiceUse,
)
from otm.observations.records import (
    AssetSeen,
    Communication,
    Evidence,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    TagSample,
    Transport,
)


def ev(packet: int | None, message: str = "", ref: str = "plant.pcap") -> Evidence:
    """Evidence from a capture frame."""
    return Evidence("capture", ref, packet, message)


def sample_inventory() -> Inventory:
    """A small inventory exercising every part of the snapshot.

    Two assets disagree on order (10.0.0.9 sorts before 10.0.0.10 numerically,
    after it as text); one field has several values with different evidence;
    a component has fields of its own; an int value and a str value that
    looks like an int; a value with a NUL (as devices pad strings).
    """
    plc = Asset(
        id="mac:00:1b:1b:00:00:01",
        ips={"10.0.0.10", "192.168.1.10"},
        macs={"00:1b:1b:00:00:01"},
        vlans={10, 20},
        fields={
            "vendor": [
                FieldValue("Siemens", ev(3, "s7comm szl 0x0011"), 1.5, 9.5, "s7comm"),
                FieldValue("Siemens AG", ev(7, "snmp sysDescr"), 2.25, 3.0, "snmp"),
            ],
            "vendor_id": [FieldValue(42, ev(3), 1.5, 1.5, "s7comm")],
            "serial": [FieldValue("0042", ev(4), 1.5, 1.5, "s7comm")],
            "name": [FieldValue("PLC\x00\x00pad", ev(5), 1.0, 1.0, "s7comm")],
        },
        role=Role.PLC,
        role_reason="answers s7comm on 102",
        services=[
            ServiceUse("s7comm", "server", "tcp", 102),
            ServiceUse("modbus", "server", "tcp", 502),
            ServiceUse("snmp", "server", "udp", 161),
        ],
        components={
            "rack 0 slot 3": Component(
                key="rack 0 slot 3",
                fields={
                    "order_number": [FieldValue("6ES7 321-1BL00-0AA0", ev(11), 4.0, 4.5, "s7comm")],
                    "firmware": [
                        FieldValue("V2.0", ev(12), 4.0, 4.0, "s7comm"),
                        FieldValue("V2.1", ev(90), 8.0, 8.0, "s7comm"),
                    ],
                },
                first_seen=4.0,
                last_seen=8.0,
            ),
            "rack 0 slot 1": Component(key="rack 0 slot 1", first_seen=4.0, last_seen=4.0),
        },
        first_seen=1.0,
        last_seen=9.5,
        evidence=ev(1, "arp"),
    )
    hmi = Asset(
        id="ip:10.0.0.9",
        ips={"10.0.0.9"},
        macs={"00:80:f4:aa:bb:cc"},
        role=Role.HMI,
        services=[ServiceUse("modbus", "client", "tcp", 502)],
        first_seen=0.25,
        last_seen=10.0,
    )
    bare = Asset(id="mac:00:00:bc:01:02:03", macs={"00:00:bc:01:02:03"}, first_seen=2.0)
    v6 = Asset(id="ip:fe80::1", ips={"fe80::1"}, first_seen=3.0, evidence=ev(None, "", "eth0"))
    link = Link(
        client="10.0.0.9",
        server="10.0.0.10",
        protocol="modbus",
        transport="tcp",
        port=502,
        packets=1200,
        bytes=2**33 + 5,
        first_seen=0.25,
        last_seen=10.0,
        operations={"read_holding_registers": 590, "write_single_register": 10},
        categories={"read": 590, "write": 10},
        evidence=ev(2, "modbus read_holding_registers request"),
    )
    bare_link = Link("00:1b:1b:00:00:01", "00:00:bc:01:02:03", "profinet", "ethernet", 0)
    anomalies = [
        AnomalyCount("modbus", "invalid_length", 3, 5.0, 6.0, "10.0.0.9", ev(40), "length 1"),
        AnomalyCount("enip", "truncated", 1, 7.0, 7.0, None, ev(41)),
    ]
    return Inventory(
        assets={a.id: a for a in (plc, hmi, bare, v6)},
        links={link.key: link, bare_link.key: bare_link},
        anomalies={(a.protocol, a.kind, a.ip): a for a in anomalies},
    )


def big_inventory(n_assets: int, n_links: int) -> Inventory:
    """A synthetic inventory of the given size, for bulk sanity checks."""
    inv = Inventory()
    for i in range(n_assets):
        ip = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
        mac = f"00:1b:1b:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
        asset = Asset(
            id=f"mac:{mac}",
            ips={ip},
            macs={mac},
            fields={
                "vendor": [FieldValue("Siemens", ev(i + 1), 1.0, 2.0, "s7comm")],
                "serial": [FieldValue(f"S{i}", ev(i + 1), 1.0, 2.0, "s7comm")],
            },
            role=Role.PLC,
            services=[ServiceUse("s7comm", "server", "tcp", 102)],
            first_seen=1.0,
            last_seen=2.0,
            evidence=ev(i + 1),
        )
        inv.assets[asset.id] = asset
    for j in range(n_links):
        link = Link(
            client=f"172.16.{j >> 8 & 255}.{j & 255}",
            server=f"10.0.{j >> 8 & 255}.{j & 255}",
            protocol="modbus",
            transport="tcp",
            port=502 + (j >> 16),
            packets=j,
            bytes=60 * j,
            first_seen=1.0,
            last_seen=2.0,
            operations={"read_holding_registers": j, "write_single_register": 1},
            categories={"read": j, "write": 1},
            evidence=ev(j + 1),
        )
        inv.links[link.key] = link
    return inv


def observations(n: int, ref: str = "plant.pcap") -> list[Observation]:
    """``n`` observations cycling through every record type."""
    out: list[Observation] = []
    for i in range(n):
        e = ev(i + 1, "", ref)
        t = 1_700_000_000.0 + i / 1000
        ip = f"10.0.{i >> 8 & 255}.{i & 255}"
        match i % 6:
            case 0:
                out.append(AssetSeen(t, "00:1b:1b:00:00:01", ip, e, vlan=i % 4096 or None))
            case 1:
                out.append(Identity(t, ip, None, "modbus", {"vendor": "Schneider", "n": i}, e))
            case 2:
                out.append(
                    Communication(t, t + 1, ip, "10.0.0.1", None, None, "modbus",
                                  Transport.TCP, 502, 10, 600, e)
                )  # fmt: skip
            case 3:
                out.append(
                    Operation(
                        t,
                        t,
                        ip,
                        "10.0.0.1",
                        "modbus",
                        "read_coils",
                        "read",
                        3,
                        e,
                        detail={"unit": 1},
                    )
                )
            case 4:
                out.append(ParseAnomaly(t, t, "enip", "truncated", 1, e, ip, "short"))
            case _:
                out.append(TagSample(t, ip, "tank.level", 0.5 * i, "good", e))
    return out
