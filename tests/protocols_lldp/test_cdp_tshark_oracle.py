"""The CDP codec against tshark, the oracle, field by field, checksum verdict included.

Every CDP frame of the shared captures that hold CDP (per
``groundtruth/<capture>.json``) and frames built here (even and odd
lengths, final bytes below and above 0x80 for Cisco's checksum rule, IPv6
and unknown-protocol addresses, every decoded TLV) are decoded by the
codec; from the decoded packet alone the test derives what tshark 4.0 shows
for each field and compares them frame by frame.  tshark's checksum status
(1 good, 0 bad) must equal ``verify_checksum``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lldp_frames import Expected, snap_cdp, write_pcap

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.link import ETHERTYPE_CDP
from otm.protocols.cdp import CdpPacket, decode_cdp, encode_cdp, encode_tlv, verify_checksum
from otm.protocols.cdp import messages as c
from tshark_support import payloads, tshark_fields

pytestmark = pytest.mark.tshark

CAPTURES = [
    json.loads(p.read_text())["capture"]
    for p in sorted(GROUNDTRUTH.glob("*.json"))
    if "cdp" in json.loads(p.read_text())["protocol_frames"]
]

COMPARED = [
    "cdp.version",
    "cdp.ttl",
    "cdp.checksum",
    "cdp.checksum.status",
    "cdp.tlv.type",
    "cdp.tlv.len",
    "cdp.deviceid",
    "cdp.software_version",
    "cdp.platform",
    "cdp.portid",
    "cdp.capabilities",
    "cdp.vtp_management_domain",
    "cdp.native_vlan",
    "cdp.duplex",
    "cdp.system_name",
    "cdp.number_of_addresses",
    "cdp.protocol_type",
    "cdp.protocol_length",
    "cdp.protocol",
    "cdp.address_length",
    "cdp.nrgyz.ip_address",
    "cdp.nrgyz.ipv6_address",
]


def _addresses(entries: tuple[c.CdpAddress, ...], out: Expected) -> None:
    out.add("cdp.number_of_addresses", len(entries))
    for entry in entries:
        out.add("cdp.protocol_type", f"0x{entry.protocol_type:02x}")
        out.add("cdp.protocol_length", len(entry.protocol))
        out.add("cdp.protocol", entry.protocol.hex())
        out.add("cdp.address_length", len(entry.address))
        if entry.ip is not None:
            name = "cdp.nrgyz.ipv6_address" if ":" in entry.ip else "cdp.nrgyz.ip_address"
            out.add(name, entry.ip)


def _expect(packet: CdpPacket, out: Expected) -> None:
    """What tshark 4.0 shows for one CDP packet, derived from our decoded message."""
    out.add("cdp.version", packet.version)
    out.add("cdp.ttl", packet.ttl)
    out.add("cdp.checksum", f"0x{packet.checksum:04x}")
    out.add("cdp.checksum.status", int(verify_checksum(packet)))
    for tlv in packet.tlvs:
        wire = encode_tlv(tlv)
        out.add("cdp.tlv.type", f"0x{wire[0] << 8 | wire[1]:04x}")
        out.add("cdp.tlv.len", len(wire))
        match tlv:
            case c.DeviceId():
                # tshark replaces bytes that are not UTF-8; the codec falls back to Latin-1.
                out.add("cdp.deviceid", tlv.value.decode("utf-8", "replace"))
            case c.SoftwareVersion():
                out.add("cdp.software_version", *tlv.text.split("\n"))
            case c.Platform():
                out.add("cdp.platform", tlv.text)
            case c.PortId():
                out.add("cdp.portid", tlv.text)
            case c.Capabilities():
                out.add("cdp.capabilities", f"0x{tlv.bits:08x}")
            case c.VtpManagementDomain():
                # An empty string is one empty value, which the row split drops.
                out.add("cdp.vtp_management_domain", tlv.text, optional=not tlv.text)
            case c.NativeVlan():
                out.add("cdp.native_vlan", tlv.vlan_id)
            case c.Duplex():
                out.add("cdp.duplex", tlv.full)
            case c.SystemName():
                out.add("cdp.system_name", tlv.text)
            case c.Addresses() | c.ManagementAddresses():
                _addresses(tlv.addresses, out)
            case c.RawTlv():
                pass


def _compare(capture: Path, tshark: str) -> tuple[int, int, list[str]]:
    shown = tshark_fields(tshark, capture, "cdp", COMPARED)
    frames = payloads(capture, ETHERTYPE_CDP)
    assert set(shown) == set(frames), "tshark and otm see different CDP frames"
    mismatches: list[str] = []
    values = 0
    for number, payload in sorted(frames.items()):
        packet = decode_cdp(payload)
        assert isinstance(packet, CdpPacket), (capture.name, number, packet)
        out = Expected()
        _expect(packet, out)
        values += sum(len(v) for v in shown[number].values())
        mismatches += [f"frame {number} {line}" for line in out.mismatches(shown[number])]
    return len(frames), values, mismatches


@pytest.mark.parametrize("capture", CAPTURES)
def test_decoder_agrees_with_tshark_on_shared_captures(capture: str, tshark: str) -> None:
    frames, values, mismatches = _compare(PCAPS / capture, tshark)
    assert frames > 0 and values > 0
    assert not mismatches, "\n".join(mismatches[:20])


def _built() -> list[bytes]:
    ipv4 = c.CdpAddress(1, b"\xcc", bytes.fromhex("0a000001"))
    ipv6 = c.CdpAddress(2, bytes.fromhex("aaaa0300000086dd"), bytes(15) + b"\x01")
    other = c.CdpAddress(1, b"\x81", b"\x12\x34")
    full = (
        c.DeviceId(b"plant-sw-01"),
        c.SoftwareVersion(b"Cisco IOS Software, IE2000 Software\nTechnical Support"),
        c.Platform(b"cisco IE-2000-8TC-G-B"),
        c.Addresses((ipv4, ipv6)),
        c.PortId(b"FastEthernet1/3"),
        c.Capabilities(0x29),
        c.VtpManagementDomain(b"OT"),
        c.NativeVlan(100),
        c.Duplex(0),
        c.SystemName(b"plant-sw-01.example"),
        c.ManagementAddresses((ipv4, other)),
        c.RawTlv(0x11, b"\x00\x00\x05\xdc"),
    )
    packets = [c.CdpPacket(2, 180, 0, full)]
    # Even length, odd length with a last byte below and above 0x80, version 1.
    for tail in (b"ab", b"a", b"\x7f", b"\x80", b"\xfe"):
        packets.append(c.CdpPacket(2, 60, 0, (c.DeviceId(b"sw" + tail),)))
    packets.append(c.CdpPacket(1, 60, 0, (c.DeviceId(b"old"), c.Capabilities(1))))
    frames = [snap_cdp(encode_cdp(p, fill_checksum=True)) for p in packets]
    # And one with a wrong checksum.
    wrong = bytearray(encode_cdp(packets[1], fill_checksum=True))
    wrong[2] ^= 0xFF
    return [*frames, snap_cdp(bytes(wrong))]


def test_decoder_agrees_with_tshark_on_built_frames(tmp_path: Path, tshark: str) -> None:
    frames = _built()
    capture = write_pcap(tmp_path / "cdp.pcap", frames)
    count, values, mismatches = _compare(capture, tshark)
    assert count == len(frames) and values > 60
    assert not mismatches, "\n".join(mismatches[:20])
