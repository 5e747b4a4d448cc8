"""CDP edge cases, each named after its edge.

The captured packet is EIP-IPAddressChangeAttempt.pcap frame 272, a Cisco
CE500 switch; the others are built here TLV by TLV.
"""

from __future__ import annotations

import struct

import pytest

from otm.protocols.cdp import (
    CdpAnomaly,
    CdpPacket,
    capability_names,
    cdp_checksum,
    decode_cdp,
    encode_cdp,
    encode_tlv,
    neighbour,
    tlv_name,
    verify_checksum,
)
from otm.protocols.cdp import messages as c
from otm.protocols.common import Anomaly
from otm.protocols.neighbours import Neighbour

CE500 = bytes.fromhex(
    "02b40ab0000100094e73356774000500bc436973636f20494f5320536f6674776172652c20434535303020"
    "536f667477617265202843453530302d4c414e424153452d4d292c2056657273696f6e2031322e32283235"
    "29534547342c2052454c4541534520534f4654574152452028666331290a436f7079726967687420286329"
    "20313938362d3230303720627920436973636f2053797374656d732c20496e632e0a436f6d70696c656420"
    "4d6f6e2031332d4175672d30372031373a33342062792079656e616e6800060017636973636f2057532d43"
    "453530302d3234545400020011000000010101cc0004c0a80afd000300144769676162697445746865726e"
    "657431000400080000002800090004000a00060003000b0005010012000500001300050000160011000000"
    "010101cc0004c0a80afd001a00100000000100000000ffffffff"
)


def _tlv(tlv_type: int, value: bytes) -> bytes:
    return struct.pack(">HH", tlv_type, 4 + len(value)) + value


def _packet(*tlvs: bytes, version: int = 2) -> bytes:
    return bytes((version, 180, 0, 0)) + b"".join(tlvs)


def _decode(data: bytes) -> CdpPacket:
    result = decode_cdp(data)
    assert isinstance(result, CdpPacket), result
    return result


def _kind(result: object) -> CdpAnomaly:
    assert isinstance(result, Anomaly), result
    assert isinstance(result.kind, CdpAnomaly)
    return result.kind


def test_cisco_ce500_from_eip_capture() -> None:
    packet = _decode(CE500)
    assert (packet.version, packet.ttl, packet.checksum) == (2, 180, 0x0AB0)
    assert verify_checksum(packet)
    assert encode_cdp(packet) == CE500
    software = packet.first(c.SoftwareVersion)
    assert software is not None
    assert software.first_line.startswith("Cisco IOS Software, CE500 Software")
    assert software.text.count("\n") == 2
    assert packet.first(c.Duplex) == c.Duplex(1)
    assert [t.type for t in packet.tlvs if isinstance(t, c.RawTlv)] == [0x12, 0x13, 0x1A]
    assert neighbour(packet) == Neighbour(
        chassis="Ns5gt",
        port="GigabitEthernet1",
        system_name="Ns5gt",
        capabilities=("switch", "igmp_capable"),
        management_addresses=("192.168.10.253",),
        vlan_id=3,
        ttl=180,
    )


def test_odd_length_checksum_with_a_final_byte_over_0x7f() -> None:
    # CE500 is 327 bytes ending in 0xff: Cisco sign-extends the last byte.
    assert len(CE500) % 2 == 1 and CE500[-1] == 0xFF
    assert cdp_checksum(CE500[:2] + b"\x00\x00" + CE500[4:]) == 0x0AB0


def test_checksum_of_even_and_odd_packets_round_trips() -> None:
    for tail in (b"ab", b"a", b"\x7f", b"\x80", b""):
        packet = _decode(encode_cdp(_decode(_packet(_tlv(1, b"sw" + tail))), fill_checksum=True))
        assert verify_checksum(packet)
        wrong = CdpPacket(packet.version, packet.ttl, packet.checksum ^ 1, packet.tlvs)
        assert not verify_checksum(wrong)


def test_truncation_at_every_byte_of_a_real_packet() -> None:
    for cut in range(len(CE500)):
        result = decode_cdp(CE500[:cut])
        if isinstance(result, CdpPacket):
            # A cut at a TLV boundary, or inside a TLV header still all zero (padding).
            wire = encode_cdp(result)
            assert CE500[:cut].startswith(wire) and not any(CE500[len(wire) : cut])
        else:
            assert _kind(result) in (CdpAnomaly.TRUNCATED, CdpAnomaly.BAD_TLV_LENGTH)


def test_header_shorter_than_four_bytes() -> None:
    assert _kind(decode_cdp(b"\x02\xb4\x00")) is CdpAnomaly.TRUNCATED


def test_header_alone_is_a_packet_without_tlvs() -> None:
    assert _decode(b"\x01\x3c\x12\x34") == CdpPacket(1, 60, 0x1234, ())


@pytest.mark.parametrize("version", [0, 3, 0xFF])
def test_unknown_version(version: int) -> None:
    assert _kind(decode_cdp(_packet(_tlv(1, b"sw"), version=version))) is CdpAnomaly.UNKNOWN_VERSION


def test_tlv_length_below_its_own_header() -> None:
    result = decode_cdp(_packet(_tlv(1, b"sw"), b"\x00\x01\x00\x03xyz"))
    assert _kind(result) is CdpAnomaly.BAD_TLV_LENGTH
    assert isinstance(result, Anomaly) and result.offset == 10


def test_tlv_longer_than_the_packet() -> None:
    assert _kind(decode_cdp(_packet(_tlv(1, b"switch")[:-1]))) is CdpAnomaly.TRUNCATED


def test_stray_nonzero_bytes_after_the_last_tlv() -> None:
    assert _kind(decode_cdp(_packet(_tlv(1, b"sw"), b"\x01\x02"))) is CdpAnomaly.TRUNCATED


def test_zero_padding_after_the_last_tlv() -> None:
    packet = _decode(_packet(_tlv(1, b"sw")) + bytes(9))
    assert packet.tlvs == (c.DeviceId(b"sw"),)


@pytest.mark.parametrize(
    ("tlv_type", "value"),
    [
        (4, b"\x00\x00\x28"),
        (0x0A, b"\x00\x03\x00"),
        (0x0B, b""),
        (2, b"\x00\x00\x00\x02\x01\x01\xcc\x00\x04\xc0\xa8\x0a\xfd"),  # count 2, one entry
        (2, b"\x00\x00\x00\x01\x01\x01\xcc\x00\x04\xc0\xa8\x0a\xfd\x00"),  # a byte left over
        (2, b"\x00\x00\x01\x00"),  # 256 entries announced
        (0x16, b"\x00\x00"),
        (0x99, b"vendor"),
    ],
    ids=[
        "capabilities_3_bytes",
        "native_vlan_3_bytes",
        "duplex_empty",
        "address_count_too_high",
        "address_trailing_byte",
        "address_count_over_limit",
        "management_addresses_2_bytes",
        "unknown_type",
    ],
)
def test_tlv_not_fitting_its_layout_is_raw(tlv_type: int, value: bytes) -> None:
    assert _decode(_packet(_tlv(tlv_type, value))).tlvs == (c.RawTlv(tlv_type, value),)


def test_ipv6_and_unknown_protocol_addresses() -> None:
    v6 = bytes.fromhex("fe80000000000000020000fffe000001")
    entries = (
        b"\x00\x00\x00\x02"
        + b"\x02\x08"
        + bytes.fromhex("aaaa0300000086dd")
        + b"\x00\x10"
        + v6
        + b"\x01\x01\x81\x00\x02\x12\x34"
    )
    packet = _decode(_packet(_tlv(0x16, entries)))
    tlv = packet.first(c.ManagementAddresses)
    assert tlv is not None
    assert [a.ip for a in tlv.addresses] == ["fe80::200:ff:fe00:1", None]
    assert [a.text for a in tlv.addresses] == ["fe80::200:ff:fe00:1", "1234"]


def test_neighbour_prefers_management_addresses() -> None:
    addresses = b"\x00\x00\x00\x01\x01\x01\xcc\x00\x04\x0a\x00\x00\x01"
    management = b"\x00\x00\x00\x01\x01\x01\xcc\x00\x04\x0a\x00\x00\x02"
    only = neighbour(_decode(_packet(_tlv(2, addresses))))
    both = neighbour(_decode(_packet(_tlv(2, addresses), _tlv(0x16, management))))
    assert only.management_addresses == ("10.0.0.1",)
    assert both.management_addresses == ("10.0.0.2",)


def test_neighbour_of_a_packet_without_identity() -> None:
    n = neighbour(_decode(_packet()))
    assert (n.chassis, n.port, n.system_name, n.capabilities) == ("", "", None, ())


def test_capability_and_tlv_names() -> None:
    assert capability_names(0x29) == ("router", "switch", "igmp_capable")
    assert capability_names(1 << 20) == ("bit_20",)
    assert tlv_name(0x0A) == "native_vlan"
    assert tlv_name(0x1234) == "tlv_0x1234"


def test_encode_refuses_an_oversized_tlv() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        encode_tlv(c.RawTlv(0x99, bytes(0xFFFC)))
