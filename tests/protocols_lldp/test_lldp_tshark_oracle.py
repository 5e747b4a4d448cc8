"""The LLDP codec against tshark, the oracle, field by field.

Every LLDP frame of every shared capture that holds LLDP (per
``groundtruth/<capture>.json``), and frames built here so that every TLV
class and ID subtype the codec decodes is seen by tshark too, are decoded
by the codec; from the decoded LLDPDU alone the test derives the values
tshark 4.0 shows for each field (by Wireshark filter name) and compares
them frame by frame.

Where tshark shows things its own way the test follows it and says so:
chassis ids that are not a MAC or an address are shown as hex bytes, and
the PROFINET alias is not decoded by tshark (shown as unknown content).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from lldp_frames import Expected, ethernet, write_pcap

from conftest import GROUNDTRUTH, PCAPS
from otm.protocols.lldp import Lldpdu, decode_lldpdu, encode_lldpdu, encode_tlv
from otm.protocols.lldp import messages as m
from otm.protocols.lldp.constants import ETHERTYPE_LLDP
from tshark_support import payloads, tshark_fields

pytestmark = pytest.mark.tshark


def _captures(protocol: str) -> list[str]:
    out = []
    for path in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(path.read_text())
        if protocol in data["protocol_frames"]:
            out.append(data["capture"])
    return out


CAPTURES = _captures("lldp")

COMPARED = [
    "lldp.tlv.type",
    "lldp.tlv.len",
    "lldp.chassis.subtype",
    "lldp.chassis.id",
    "lldp.chassis.id.mac",
    "lldp.chassis.id.ip4",
    "lldp.chassis.id.ip6",
    "lldp.network_address.subtype",
    "lldp.port.subtype",
    "lldp.port.id",
    "lldp.port.id.mac",
    "lldp.port.id.ip4",
    "lldp.port.id.ip6",
    "lldp.time_to_live",
    "lldp.port.desc",
    "lldp.tlv.system.name",
    "lldp.tlv.system.desc",
    "lldp.tlv.system_cap",
    "lldp.tlv.enable_system_cap",
    "lldp.mgn.address.len",
    "lldp.mgn.address.subtype",
    "lldp.mgn.addr.ip4",
    "lldp.mgn.addr.ip6",
    "lldp.mgn.addr.hex",
    "lldp.mgn.interface.subtype",
    "lldp.mgn.interface.number",
    "lldp.mgn.obj.len",
    "lldp.mgn.obj.id",
    "lldp.orgtlv.oui",
    "lldp.ieee.802_1.subtype",
    "lldp.ieee.802_1.port_vlan.id",
    "lldp.ieee.802_1.port_and_vlan_id_flag",
    "lldp.ieee.802_1.port_proto_vlan.id",
    "lldp.ieee.802_1.vlan.id",
    "lldp.ieee.802_1.vlan.name_len",
    "lldp.ieee.802_1.vlan.name",
    "lldp.ieee.802_1.proto.id_length",
    "lldp.ieee.802_1.proto.id",
    "lldp.ieee.802_3.subtype",
    "lldp.ieee.802_3.mac_phy_auto_neg_status",
    "lldp.ieee.802_3.pmd_auto_neg_advertised_caps",
    "lldp.ieee.802_3.pmd_mau_type",
    "lldp.ieee.802_3.aggregation_status",
    "lldp.ieee.802_3.aggregated_port_id",
    "lldp.ieee.802_3.max_frame_size",
    "lldp.profinet.subtype",
    "lldp.profinet.port_rx_delay_local",
    "lldp.profinet.port_rx_delay_remote",
    "lldp.profinet.port_tx_delay_local",
    "lldp.profinet.port_tx_delay_remote",
    "lldp.profinet.cable_delay_local",
    "lldp.profinet.rtc2_port_status",
    "lldp.profinet.rtc3_port_status",
    "lldp.profinet.mrp_domain_uuid",
    "lldp.profinet.mrrt_port_status",
    "lldp.profinet.cm_mac_add",
    "lldp.profinet.master_source_address",
    "lldp.profinet.subdomain_uuid",
    "lldp.profinet.ir_data_uuid",
    "lldp.profinet.length_of_period_valid",
    "lldp.profinet.length_of_period_length",
    "lldp.profinet.red_period_begin_valid",
    "lldp.profinet.red_period_begin_offset",
    "lldp.profinet.orange_period_begin_offset",
    "lldp.profinet.green_period_begin_offset",
    "lldp.unknown_subtype",
    "lldp.unknown_subtype.content",
]

_TEXT_PORT_SUBTYPES = (1, 5, 7)
"""Port id subtypes tshark shows as a string (alias, interface name, local)."""


def _address(out: Expected, prefix: str, family: int, raw: bytes) -> None:
    if family == 1 and len(raw) == 4:
        out.add(f"{prefix}.ip4", m.address_text(1, raw))
    elif family == 2 and len(raw) == 16:
        out.add(f"{prefix}.ip6", m.address_text(2, raw))


def _period(out: Expected, name: str, value: int) -> None:
    out.add(f"lldp.profinet.{name}_valid", value >> 31)
    suffix = "length" if name == "length_of_period" else "offset"
    out.add(f"lldp.profinet.{name}_{suffix}", value & 0x7FFFFFFF)


def _expect(pdu: Lldpdu, out: Expected) -> None:
    """What tshark 4.0 shows for one LLDPDU, derived from our decoded TLVs."""
    for tlv in pdu.tlvs:
        wire = encode_tlv(tlv)
        out.add("lldp.tlv.type", wire[0] >> 1)
        out.add("lldp.tlv.len", len(wire) - 2)
        _expect_tlv(tlv, out)
    if pdu.end:
        out.add("lldp.tlv.type", 0)
        out.add("lldp.tlv.len", 0)


def _expect_tlv(tlv: m.Tlv, out: Expected) -> None:
    match tlv:
        case m.ChassisId():
            out.add("lldp.chassis.subtype", tlv.subtype)
            if tlv.mac is not None:
                out.add("lldp.chassis.id.mac", tlv.mac)
            elif tlv.subtype == 5:
                out.add("lldp.network_address.subtype", tlv.id[0])
                _address(out, "lldp.chassis.id", tlv.id[0], tlv.id[1:])
            else:
                out.add("lldp.chassis.id", tlv.id.hex())
        case m.PortId():
            out.add("lldp.port.subtype", tlv.subtype)
            if tlv.subtype == 3:
                out.add("lldp.port.id.mac", tlv.text)
            elif tlv.subtype == 4:
                out.add("lldp.network_address.subtype", tlv.id[0])
                _address(out, "lldp.port.id", tlv.id[0], tlv.id[1:])
            elif tlv.subtype in _TEXT_PORT_SUBTYPES:
                out.add("lldp.port.id", tlv.text)
        case m.TimeToLive():
            out.add("lldp.time_to_live", tlv.seconds)
        case m.PortDescription():
            out.add("lldp.port.desc", tlv.text)
        case m.SystemName():
            out.add("lldp.tlv.system.name", tlv.text)
        case m.SystemDescription():
            out.add("lldp.tlv.system.desc", tlv.text)
        case m.SystemCapabilities():
            out.add("lldp.tlv.system_cap", f"0x{tlv.supported:04x}")
            out.add("lldp.tlv.enable_system_cap", f"0x{tlv.enabled:04x}")
        case m.ManagementAddress():
            out.add("lldp.mgn.address.len", 1 + len(tlv.address))
            out.add("lldp.mgn.address.subtype", tlv.address_subtype)
            if tlv.ip is None:
                out.add("lldp.mgn.addr.hex", tlv.address.hex())
            _address(out, "lldp.mgn.addr", tlv.address_subtype, tlv.address)
            out.add("lldp.mgn.interface.subtype", tlv.interface_subtype)
            out.add("lldp.mgn.interface.number", tlv.interface_number)
            out.add("lldp.mgn.obj.len", len(tlv.oid))
            if tlv.oid:
                out.add("lldp.mgn.obj.id", tlv.oid_text)
        case m.OrgTlv():
            out.add("lldp.orgtlv.oui", tlv.oui)
            if tlv.oui not in (0x0080C2, 0x00120F, 0x000ECF, 0x0012BB):
                out.add("lldp.unknown_subtype", tlv.subtype)
                if tlv.info:
                    out.add("lldp.unknown_subtype.content", tlv.info.hex())
        case m.RawTlv():
            pass
        case _:
            out.add("lldp.orgtlv.oui", tlv.OUI)
            _expect_org(tlv, out)


def _expect_org(tlv: m.KnownOrgTlv, out: Expected) -> None:
    ieee1, ieee3, pn = "lldp.ieee.802_1.", "lldp.ieee.802_3.", "lldp.profinet."
    subtype = {0x0080C2: ieee1, 0x00120F: ieee3, 0x000ECF: pn}[tlv.OUI] + "subtype"
    out.add(subtype, f"0x{tlv.SUBTYPE:02x}")
    match tlv:
        case m.PortVlanId():
            out.add(ieee1 + "port_vlan.id", tlv.vlan_id)
        case m.PortAndProtocolVlanId():
            out.add(ieee1 + "port_and_vlan_id_flag", f"0x{tlv.flags:02x}")
            out.add(ieee1 + "port_proto_vlan.id", tlv.vlan_id)
        case m.VlanName():
            out.add(ieee1 + "vlan.id", tlv.vlan_id)
            out.add(ieee1 + "vlan.name_len", len(tlv.name))
            out.add(ieee1 + "vlan.name", tlv.text)
        case m.ProtocolIdentity():
            out.add(ieee1 + "proto.id_length", len(tlv.identity))
            out.add(ieee1 + "proto.id", tlv.identity.hex())
        case m.MacPhyConfigStatus():
            out.add(ieee3 + "mac_phy_auto_neg_status", f"0x{tlv.autonegotiation:02x}")
            out.add(ieee3 + "pmd_auto_neg_advertised_caps", f"0x{tlv.pmd_capabilities:04x}")
            out.add(ieee3 + "pmd_mau_type", f"0x{tlv.mau_type:04x}")
        case m.LinkAggregation():
            out.add(ieee3 + "aggregation_status", f"0x{tlv.status:02x}")
            out.add(ieee3 + "aggregated_port_id", tlv.port_id)
        case m.MaximumFrameSize():
            out.add(ieee3 + "max_frame_size", tlv.size)
        case m.ProfinetDelay():
            out.add(pn + "port_rx_delay_local", tlv.rx_delay_local)
            out.add(pn + "port_rx_delay_remote", tlv.rx_delay_remote)
            out.add(pn + "port_tx_delay_local", tlv.tx_delay_local)
            out.add(pn + "port_tx_delay_remote", tlv.tx_delay_remote)
            out.add(pn + "cable_delay_local", tlv.cable_delay_local)
        case m.ProfinetPortStatus():
            out.add(pn + "rtc2_port_status", f"0x{tlv.rtc2_status:04x}")
            out.add(pn + "rtc3_port_status", f"0x{tlv.rtc3_status:04x}")
        case m.ProfinetAlias():
            out.add("lldp.unknown_subtype.content", tlv.value.hex())  # tshark 4.0 leaves it raw
        case m.ProfinetMrpPortStatus():
            out.add(pn + "mrp_domain_uuid", uuid.UUID(bytes=tlv.domain_uuid))
            out.add(pn + "mrrt_port_status", f"0x{tlv.mrrt_status:04x}")
        case m.ProfinetChassisMac():
            out.add(pn + "cm_mac_add", tlv.text)
        case m.ProfinetPtcpStatus():
            out.add(pn + "master_source_address", m.mac_text(tlv.master_source_address))
            out.add(pn + "subdomain_uuid", uuid.UUID(bytes=tlv.subdomain_uuid))
            out.add(pn + "ir_data_uuid", uuid.UUID(bytes=tlv.ir_data_uuid))
            _period(out, "length_of_period", tlv.length_of_period)
            _period(out, "red_period_begin", tlv.red_period_begin)
            out.add(pn + "orange_period_begin_offset", tlv.orange_period_begin & 0x7FFFFFFF)
            out.add(pn + "green_period_begin_offset", tlv.green_period_begin & 0x7FFFFFFF)


def _compare(capture: Path, tshark: str) -> tuple[int, int, set[type], list[str]]:
    """Frames and field values compared, TLV classes seen, mismatches."""
    shown = tshark_fields(tshark, capture, "lldp", COMPARED)
    frames = payloads(capture, ETHERTYPE_LLDP)
    assert set(shown) == set(frames), "tshark and otm see different LLDP frames"
    mismatches: list[str] = []
    classes: set[type] = set()
    values = 0
    for number, payload in sorted(frames.items()):
        pdu = decode_lldpdu(payload)
        assert isinstance(pdu, Lldpdu), (capture.name, number, pdu)
        classes |= {type(t) for t in pdu.tlvs}
        out = Expected()
        _expect(pdu, out)
        values += sum(len(v) for v in shown[number].values())
        mismatches += [f"frame {number} {line}" for line in out.mismatches(shown[number])]
    return len(frames), values, classes, mismatches


@pytest.mark.parametrize("capture", CAPTURES)
def test_decoder_agrees_with_tshark_on_shared_captures(capture: str, tshark: str) -> None:
    frames, values, _, mismatches = _compare(PCAPS / capture, tshark)
    assert frames > 0 and values > 0
    assert not mismatches, "\n".join(mismatches[:20])


def _built() -> list[Lldpdu]:
    """LLDPDUs holding every TLV class and every chassis/port id subtype."""
    uid = bytes(range(16))
    every = (
        m.ChassisId(5, b"\x01\x0a\x00\x00\x01"),
        m.PortId(5, b"Gi0/1"),
        m.TimeToLive(120),
        m.PortDescription(b"uplink to cell 3"),
        m.SystemName(b"sw-cell3"),
        m.SystemDescription(b"Hirschmann RSP, SW: 08.7"),
        m.SystemCapabilities(0x0014, 0x0004),
        m.ManagementAddress(2, uid, 3, 7, b""),
        m.ManagementAddress(6, bytes.fromhex("001122334455"), 1, 0, bytes.fromhex("2b0601")),
        m.ManagementAddress(1, bytes.fromhex("c0a80001"), 2, 1, bytes.fromhex("2b0601040181c06e")),
        m.PortVlanId(10),
        m.PortAndProtocolVlanId(6, 20),
        m.VlanName(10, b"control"),
        m.ProtocolIdentity(b"\x88\xcc"),
        m.MacPhyConfigStatus(3, 0x6C00, 0x0010),
        m.LinkAggregation(3, 5),
        m.MaximumFrameSize(1522),
        m.ProfinetDelay(1, 2, 3, 4, 5),
        m.ProfinetPortStatus(0x0002, 0x0001),
        m.ProfinetAlias(b"port-001.plc1"),
        m.ProfinetMrpPortStatus(uid, 2),
        m.ProfinetChassisMac(bytes.fromhex("0a0b0c0d0e0f")),
        m.ProfinetPtcpStatus(bytes.fromhex("020304050607"), bytes(16), uid, 0x80000001, 2, 3, 4),
        m.OrgTlv(0x123456, 9, b"xyz"),
        m.RawTlv(20, b"ab"),
    )
    pdus = [m.Lldpdu(every)]
    ids = {
        1: b"chassis-1",
        2: b"alias",
        3: b"port component",
        4: bytes.fromhex("00a0451234ff"),
        5: b"\x02" + uid,
        6: b"eth0",
        7: b"local",
    }
    ports = {
        1: b"19",
        3: bytes.fromhex("00a0451234ff"),
        4: b"\x01\x0a\x00\x00\x02",
        5: b"Ethernet1/1",
        7: b"port-007",
    }
    for subtype, chassis in ids.items():
        port_subtype = subtype if subtype in ports else 4
        pdus.append(
            m.Lldpdu(
                (
                    m.ChassisId(subtype, chassis),
                    m.PortId(port_subtype, ports[port_subtype]),
                    m.TimeToLive(subtype),
                ),
                end=subtype % 2 == 0,
            )
        )
    pdus.append(m.Lldpdu((m.ChassisId(4, bytes(6)), m.PortId(4, b"\x02" + uid), m.TimeToLive(0))))
    return pdus


def test_decoder_agrees_with_tshark_on_built_frames(tmp_path: Path, tshark: str) -> None:
    pdus = _built()
    capture = write_pcap(
        tmp_path / "lldp.pcap", [ethernet(encode_lldpdu(p), ETHERTYPE_LLDP) for p in pdus]
    )
    frames, values, classes, mismatches = _compare(capture, tshark)
    assert frames == len(pdus) and values > 150
    assert not mismatches, "\n".join(mismatches[:20])
    typed = {
        cls
        for cls in vars(m).values()
        if isinstance(cls, type) and cls.__module__ == m.__name__ and hasattr(cls, "__slots__")
    }
    assert typed - {m.Lldpdu} <= classes, "a TLV class is not checked by tshark"
