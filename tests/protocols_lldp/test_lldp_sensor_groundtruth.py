"""The LLDP/CDP sensor against the ground truth of the shared captures, and its behaviour.

Every shared capture whose ``groundtruth/<capture>.json`` lists LLDP or CDP
frames is walked by the passive engine with only this sensor registered
(``sensor_support``); the inventory built from
the observations must hold every LLDP/CDP endpoint of the oracle (role
``device`` is otm's ``server``: the announcing device; the group address
is no asset) and every identity field, and no LLDP/CDP endpoint the oracle
does not know.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lldp_frames import LLDP_MULTICAST, ethernet, snap_cdp, write_pcap

from otm.observations.records import Communication, Identity, Observation, ParseAnomaly
from otm.protocols.cdp import encode_cdp
from otm.protocols.cdp import messages as c
from otm.protocols.lldp import encode_lldpdu
from otm.protocols.lldp import messages as m
from otm.protocols.lldp.constants import ETHERTYPE_LLDP
from otm.sensing.lldp import LldpSensor
from sensor_support import (
    analysed,
    captures_with,
    identity_recall,
    missing_endpoints,
    sense_capture,
    truth_endpoints,
    truth_identities,
    unknown_endpoints,
)

PROTOCOLS = {"lldp": "lldp", "cdp": "cdp"}
"""Oracle protocol -> otm protocol."""

FIELDS = {
    ("lldp", "chassis_mac"): "lldp_chassis_mac",
    ("lldp", "system_name"): "name",
    ("cdp", "device_id"): "name",
}
"""(identity source, oracle field) -> otm field."""

CAPTURES = captures_with(*PROTOCOLS)


def observe(capture: str | Path) -> list[Observation]:
    """Walk a capture with only the LLDP/CDP sensor, as the passive engine would."""
    return sense_capture([LldpSensor()], capture)


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_every_oracle_endpoint_is_found(capture: str) -> None:
    endpoints = truth_endpoints(capture, *PROTOCOLS)
    assert all(ep["ip"] is None for ep in endpoints), "LLDP/CDP endpoints are layer 2"
    missing = missing_endpoints(analysed(capture, LldpSensor)[1], endpoints, PROTOCOLS)
    assert not missing, f"endpoints the oracle found and otm did not: {missing}"


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_no_endpoint_the_oracle_does_not_know(capture: str) -> None:
    inv = analysed(capture, LldpSensor)[1]
    extra = unknown_endpoints(inv, truth_endpoints(capture, *PROTOCOLS), PROTOCOLS)
    assert not extra, f"endpoints otm reports that the oracle does not: {extra}"


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_every_oracle_identity_field_is_found(capture: str) -> None:
    inv = analysed(capture, LldpSensor)[1]
    recall = identity_recall(inv, truth_identities(capture, *PROTOCOLS), FIELDS)
    assert recall.compared > 0
    assert not recall.missing, "identity facts the oracle found and otm did not:\n" + "\n".join(
        recall.missing
    )


# --- behaviour on built frames ---

SWITCH = bytes.fromhex("00a045000001")


def _lldp(*optional: m.Tlv, ttl: int = 120) -> bytes:
    head = (m.ChassisId(4, SWITCH), m.PortId(5, b"port-3"), m.TimeToLive(ttl))
    return ethernet(encode_lldpdu(m.Lldpdu((*head, *optional))), ETHERTYPE_LLDP, src=SWITCH)


def _identities(obs: list[Observation], protocol: str) -> list[Identity]:
    return [o for o in obs if isinstance(o, Identity) and o.protocol == protocol]


def test_lldp_identity_with_management_address_and_vlan(tmp_path: Path) -> None:
    frame = _lldp(
        m.SystemName(b"cell-switch"),
        m.SystemDescription(b"Siemens SCALANCE XC208"),
        m.PortDescription(b"uplink"),
        m.SystemCapabilities(0x0004, 0x0004),
        m.ManagementAddress(1, bytes.fromhex("00000000"), 2, 1, b""),
        m.ManagementAddress(1, bytes.fromhex("c0a80a05"), 2, 1, b""),
        m.PortVlanId(30),
        m.ProfinetAlias(b"port-003.cell-switch"),
    )
    obs = observe(write_pcap(tmp_path / "a.pcap", [frame, frame, frame]))
    idents = _identities(obs, "lldp")
    # Repeats of one advertisement: the first sighting and the last, same facts.
    assert [i.evidence.packet for i in idents] == [1, 3]
    ident = idents[0]
    assert (ident.ip, ident.mac) == ("192.168.10.5", "00:a0:45:00:00:01")
    assert ident.fields == {
        "lldp_chassis_id": "00:a0:45:00:00:01",
        "lldp_chassis_mac": "00:a0:45:00:00:01",
        "lldp_port_id": "port-3",
        "name": "cell-switch",
        "description": "Siemens SCALANCE XC208",
        "capabilities": "bridge",
        "lldp_port_description": "uplink",
        "vlan_id": 30,
        "lldp_profinet_alias": "port-003.cell-switch",
        "management_ip": "192.168.10.5",
    }
    traffic = [o for o in obs if isinstance(o, Communication)]
    assert len(traffic) == 1
    assert (traffic[0].client_mac, traffic[0].server_mac) == (
        ":".join(f"{b:02x}" for b in LLDP_MULTICAST),
        "00:a0:45:00:00:01",
    )
    assert traffic[0].packets == 3


def test_unspecified_management_address_gives_no_ip(tmp_path: Path) -> None:
    frame = _lldp(m.ManagementAddress(1, bytes(4), 2, 1, b""))
    ident = _identities(observe(write_pcap(tmp_path / "a.pcap", [frame])), "lldp")[0]
    assert ident.ip is None and "management_ip" not in ident.fields


def test_broken_lldpdus_are_counted_per_frame(tmp_path: Path) -> None:
    good = _lldp()
    broken = ethernet(b"\x04\x03\x05ab" + bytes(40), ETHERTYPE_LLDP, src=SWITCH)  # port id first
    obs = observe(write_pcap(tmp_path / "a.pcap", [broken, good, broken]))
    anomalies = [o for o in obs if isinstance(o, ParseAnomaly)]
    assert [(a.protocol, a.kind, a.count) for a in anomalies] == [("lldp", "missing_mandatory", 2)]
    assert "00:a0:45:00:00:01" in anomalies[0].detail
    assert len(_identities(obs, "lldp")) == 1


def _cdp(*tlvs: c.Tlv, checksum: bool = True) -> bytes:
    wire = encode_cdp(c.CdpPacket(2, 180, 0, tlvs), fill_checksum=checksum)
    return snap_cdp(wire, src=SWITCH)


def test_cdp_identity(tmp_path: Path) -> None:
    ip = c.CdpAddress(1, b"\xcc", bytes.fromhex("0a0a0a01"))
    frame = _cdp(
        c.DeviceId(b"ie3400"),
        c.SoftwareVersion(b"Cisco IOS XE Software, Version 17.3.1\nCopyright"),
        c.Platform(b"cisco IE-3400-8T2S"),
        c.PortId(b"GigabitEthernet1/4"),
        c.Capabilities(0x28),
        c.NativeVlan(1),
        c.Duplex(1),
        c.VtpManagementDomain(b"PLANT"),
        c.SystemName(b"ie3400.plant"),
        c.Addresses((ip,)),
    )
    ident = _identities(observe(write_pcap(tmp_path / "a.pcap", [frame])), "cdp")[0]
    assert (ident.ip, ident.mac) == ("10.10.10.1", "00:a0:45:00:00:01")
    assert ident.fields == {
        "name": "ie3400",
        "model": "cisco IE-3400-8T2S",
        "firmware": "Cisco IOS XE Software, Version 17.3.1",
        "lldp_port_id": "GigabitEthernet1/4",
        "capabilities": "switch,igmp_capable",
        "vlan_id": 1,
        "cdp_duplex": "full",
        "cdp_vtp_domain": "PLANT",
        "cdp_system_name": "ie3400.plant",
        "management_ip": "10.10.10.1",
    }


def test_cdp_with_a_bad_checksum_teaches_nothing(tmp_path: Path) -> None:
    frame = bytearray(_cdp(c.DeviceId(b"ie3400")))
    frame[26] ^= 0x01  # a checksum byte: 14 Ethernet + 8 LLC/SNAP + version, ttl
    obs = observe(write_pcap(tmp_path / "a.pcap", [bytes(frame)]))
    assert not _identities(obs, "cdp")
    anomaly = next(o for o in obs if isinstance(o, ParseAnomaly))
    assert (anomaly.protocol, anomaly.kind) == ("cdp", "bad_checksum")
