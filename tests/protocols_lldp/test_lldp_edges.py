"""LLDP edge cases, each named after its edge.

LLDPDU bytes come from the shared captures (file and frame given) or are
built here TLV by TLV with ``_tlv``, following IEEE 802.1AB-2016 clause 8.
"""

from __future__ import annotations

import pytest

from otm.protocols.common import Anomaly
from otm.protocols.lldp import (
    LldpAnomaly,
    Lldpdu,
    capability_names,
    decode_lldpdu,
    encode_lldpdu,
    encode_tlv,
    neighbour,
    tlv_type_name,
)
from otm.protocols.lldp import messages as m
from otm.protocols.neighbours import Neighbour

# 104deneme.pcap frame 47: a Windows PC's LLDP agent with PROFINET TLVs.
WINDOWS_PC = bytes.fromhex(
    "0210076465736b746f702d6d3563376c3134040907706f72742d303031060200140a0f4445534b544f502d"
    "4d3543374c31340c314153555354654b20434f4d505554455220494e432e20473735304a48412c312e302c"
    "44394e3043593238303436333338390e040080008010140501000000000200000001082b0601040181c06e"
    "fe08000ecf0200000000fe0a000ecf05d850e605a31efe0900120f0103ec03001e0000"
)
# mb2.pcap frame 499: a Siemens SCALANCE X212-2 switch.
SCALANCE = bytes.fromhex(
    "02080773776974636831040907706f72742d30303106020014082d5369656d656e732c2053494d41544943"
    "204e45542c2045746865726e65742053776974636820506f72742030310a07537769746368310c4c536965"
    "6d656e732c2053494d41544943204e45542c205343414c414e434520583231322d322c2036474b35203231"
    "322d32424230302d324141332c2048573a20372c2046573a2056342e30320e0400800080101405018d5100"
    "be0200000001082b0601040181c06efe08000ecf0200000000fe0a000ecf05001b1b02e61efe0900120f01"
    "036c0000100000"
)


def _tlv(tlv_type: int, value: bytes) -> bytes:
    return bytes(((tlv_type << 1) | (len(value) >> 8), len(value) & 0xFF)) + value


def _head() -> bytes:
    return (
        _tlv(1, b"\x04" + bytes.fromhex("001122334455"))
        + _tlv(2, b"\x05eth0")
        + _tlv(3, b"\x00\x78")
    )


def _decode(data: bytes) -> Lldpdu:
    result = decode_lldpdu(data)
    assert isinstance(result, Lldpdu), result
    return result


def _kind(result: object) -> LldpAnomaly:
    assert isinstance(result, Anomaly), result
    assert isinstance(result.kind, LldpAnomaly)
    return result.kind


def _optional(value: bytes, tlv_type: int) -> m.Tlv:
    return _decode(_head() + _tlv(tlv_type, value) + b"\x00\x00").tlvs[3]


# --- real devices ---


def test_windows_pc_lldpdu_from_104deneme() -> None:
    pdu = _decode(WINDOWS_PC)
    assert pdu.end
    assert pdu.chassis_id == m.ChassisId(7, b"desktop-m5c7l14")
    assert pdu.chassis_id.mac is None
    assert pdu.port_id.text == "port-001"
    assert pdu.ttl == 20
    assert pdu.first(m.SystemName) == m.SystemName(b"DESKTOP-M5C7L14")
    caps = pdu.first(m.SystemCapabilities)
    assert caps is not None and caps.enabled_names == ("station_only",)
    mgmt = pdu.first(m.ManagementAddress)
    assert mgmt is not None
    assert (mgmt.ip, mgmt.interface_subtype, mgmt.interface_number) == ("0.0.0.0", 2, 1)
    assert mgmt.oid_text == "1.3.6.1.4.1.24686"
    assert pdu.first(m.ProfinetPortStatus) == m.ProfinetPortStatus(0, 0)
    chassis_mac = pdu.first(m.ProfinetChassisMac)
    assert chassis_mac is not None and chassis_mac.text == "d8:50:e6:05:a3:1e"
    assert pdu.first(m.MacPhyConfigStatus) == m.MacPhyConfigStatus(3, 0xEC03, 0x001E)
    assert encode_lldpdu(pdu) == WINDOWS_PC


def test_scalance_switch_neighbour_from_mb2() -> None:
    n = neighbour(_decode(SCALANCE))
    assert n == Neighbour(
        chassis="switch1",
        port="port-001",
        system_name="Switch1",
        capabilities=("station_only",),
        management_addresses=("141.81.0.190",),
        port_description="Siemens, SIMATIC NET, Ethernet Switch Port 01",
        vlan_id=None,
        ttl=20,
    )


def test_truncation_at_every_byte_of_a_real_lldpdu() -> None:
    boundaries = {0}
    pos = 0
    while pos < len(SCALANCE) - 2:
        pos += 2 + (((SCALANCE[pos] & 1) << 8) | SCALANCE[pos + 1])
        boundaries.add(pos)
    for cut in range(len(SCALANCE)):
        result = decode_lldpdu(SCALANCE[:cut])
        if cut == 0:
            assert _kind(result) is LldpAnomaly.EMPTY
        elif isinstance(result, Lldpdu):
            # Only a cut at a TLV boundary (or one stray byte past it) after the
            # mandatory three decodes, without an End TLV.
            assert not result.end
            assert cut in boundaries or cut - 1 in boundaries
        else:
            assert _kind(result) in (LldpAnomaly.TRUNCATED, LldpAnomaly.MISSING_MANDATORY)


# --- mandatory TLVs ---


def test_empty_payload() -> None:
    assert _kind(decode_lldpdu(b"")) is LldpAnomaly.EMPTY


@pytest.mark.parametrize(
    "data",
    [
        _tlv(2, b"\x05eth0") + _tlv(1, b"\x04" + bytes(6)) + _tlv(3, b"\x00\x01"),
        _tlv(1, b"\x04" + bytes(6)) + _tlv(3, b"\x00\x01") + _tlv(2, b"\x05eth0"),
        _tlv(1, b"\x04" + bytes(6)) + _tlv(2, b"\x05eth0") + b"\x00\x00",
        b"\x00\x00" + _head(),
        _tlv(1, b"\x04" + bytes(6)) + _tlv(2, b"\x05eth0"),
    ],
    ids=["port_first", "ttl_before_port", "end_before_ttl", "end_first", "no_ttl"],
)
def test_mandatory_tlvs_missing_or_out_of_order(data: bytes) -> None:
    assert _kind(decode_lldpdu(data)) is LldpAnomaly.MISSING_MANDATORY


@pytest.mark.parametrize(
    "data",
    [
        _tlv(1, b"\x04") + _tlv(2, b"\x05eth0") + _tlv(3, b"\x00\x01"),
        _tlv(1, b"\x07" + bytes(256)) + _tlv(2, b"\x05eth0") + _tlv(3, b"\x00\x01"),
        _tlv(1, b"\x04" + bytes(6)) + _tlv(2, b"") + _tlv(3, b"\x00\x01"),
        _tlv(1, b"\x04" + bytes(6)) + _tlv(2, b"\x05eth0") + _tlv(3, b"\x00\x00\x01"),
        _tlv(1, b"\x04" + bytes(6)) + _tlv(2, b"\x05eth0") + _tlv(3, b"\x01"),
    ],
    ids=["chassis_id_empty", "chassis_id_256", "port_id_empty", "ttl_3_bytes", "ttl_1_byte"],
)
def test_mandatory_tlv_lengths_out_of_range(data: bytes) -> None:
    assert _kind(decode_lldpdu(data)) is LldpAnomaly.BAD_MANDATORY_LENGTH


def test_chassis_id_of_the_maximum_255_bytes() -> None:
    data = _tlv(1, b"\x07" + b"c" * 255) + _tlv(2, b"\x05eth0") + _tlv(3, b"\x00\x01")
    assert _decode(data).chassis_id.id == b"c" * 255


@pytest.mark.parametrize("repeated", [1, 2, 3])
def test_second_mandatory_tlv(repeated: int) -> None:
    again = {1: _tlv(1, b"\x04" + bytes(6)), 2: _tlv(2, b"\x05eth1"), 3: _tlv(3, b"\x00\x02")}
    assert _kind(decode_lldpdu(_head() + again[repeated])) is LldpAnomaly.DUPLICATE_MANDATORY


def test_tlv_longer_than_the_frame() -> None:
    result = decode_lldpdu(_head() + _tlv(5, b"name")[:-1])
    assert _kind(result) is LldpAnomaly.TRUNCATED
    assert isinstance(result, Anomaly) and result.offset == len(_head())


def test_shutdown_lldpdu_with_ttl_zero() -> None:
    data = _tlv(1, b"\x04" + bytes(6)) + _tlv(2, b"\x05eth0") + _tlv(3, b"\x00\x00") + b"\x00\x00"
    assert _decode(data).ttl == 0


# --- end and padding ---


def test_no_end_tlv_and_a_stray_padding_byte() -> None:
    pdu = _decode(_head() + b"\x00")
    assert not pdu.end and len(pdu.tlvs) == 3


def test_padding_after_end_is_not_kept() -> None:
    pdu = _decode(_head() + b"\x00\x00" + b"\xff" * 20)
    assert pdu.end
    assert encode_lldpdu(pdu) == _head() + b"\x00\x00"


def test_end_tlv_with_a_nonzero_length_still_ends() -> None:
    pdu = _decode(_head() + b"\x00\x05garbage")
    assert pdu.end and len(pdu.tlvs) == 3


# --- optional TLVs that do not fit their layout stay raw ---


@pytest.mark.parametrize(
    ("tlv_type", "value"),
    [
        (7, b"\x00\x80\x00"),
        (7, b"\x00\x80\x00\x80\x00"),
        (8, b"\x05\x01\x0a\x00\x00\x01\x02\x00\x00\x00\x01\x05\x2b"),  # OID cut short
        (8, b"\x01\x01\x02\x00\x00\x00\x01\x00\x00"),  # address string length 1
        (8, b"\x05\x01\x0a\x00\x00\x01\x02\x00\x00\x00\x01\x00\xff"),  # byte after the OID
        (4, b"d" * 256),
        (127, b"\x00\x80"),
    ],
    ids=[
        "capabilities_3_bytes",
        "capabilities_5_bytes",
        "management_oid_overrun",
        "management_address_string_1",
        "management_trailing_byte",
        "port_description_256",
        "org_tlv_without_subtype",
    ],
)
def test_optional_tlv_not_fitting_its_layout_is_raw(tlv_type: int, value: bytes) -> None:
    assert _optional(value, tlv_type) == m.RawTlv(tlv_type, value)


@pytest.mark.parametrize(
    "info",
    [
        bytes.fromhex("0080c201000a00"),  # port VLAN id of 3 bytes
        bytes.fromhex("0080c203000a0563747274"),  # VLAN name length 5, 4 bytes follow
        bytes.fromhex("0080c203000a21") + b"v" * 33,  # VLAN name of 33 bytes
        bytes.fromhex("0080c2040388cc"),  # protocol identity length 3, 2 bytes follow
        bytes.fromhex("00120f01030000"),  # MAC/PHY of 3 bytes
        bytes.fromhex("000ecf05001122334455aa"),  # chassis MAC of 7 bytes
        bytes.fromhex("123456090102"),  # unknown OUI
        bytes.fromhex("0080c2ff"),  # unknown 802.1 subtype
    ],
    ids=[
        "port_vlan_3_bytes",
        "vlan_name_length_disagrees",
        "vlan_name_over_32",
        "protocol_identity_length_disagrees",
        "mac_phy_short",
        "profinet_chassis_mac_long",
        "unknown_oui",
        "unknown_subtype",
    ],
)
def test_org_tlv_not_fitting_its_layout_is_raw(info: bytes) -> None:
    oui = int.from_bytes(info[:3], "big")
    assert _optional(info, 127) == m.OrgTlv(oui, info[3], info[4:])


def test_reserved_tlv_types_are_raw() -> None:
    assert _optional(b"xy", 9) == m.RawTlv(9, b"xy")
    assert _optional(b"", 126) == m.RawTlv(126, b"")
    assert tlv_type_name(9) == "reserved_9"
    assert tlv_type_name(5) == "system_name"


def test_vlan_tlvs_and_neighbour_vlan() -> None:
    data = (
        _head()
        + _tlv(127, bytes.fromhex("0080c201000a"))
        + _tlv(127, bytes.fromhex("0080c203000a046374726c"))
        + _tlv(127, bytes.fromhex("0080c202060014"))
        + b"\x00\x00"
    )
    pdu = _decode(data)
    assert pdu.tlvs[3:] == (
        m.PortVlanId(10),
        m.VlanName(10, b"ctrl"),
        m.PortAndProtocolVlanId(6, 20),
    )
    assert neighbour(pdu).vlan_id == 10


# --- text forms ---


@pytest.mark.parametrize(
    ("subtype", "raw", "text"),
    [
        (4, bytes.fromhex("00a0451234ff"), "00:a0:45:12:34:ff"),
        (5, bytes.fromhex("010a000001"), "10.0.0.1"),
        (5, bytes.fromhex("02") + bytes(15) + b"\x01", "::1"),
        (5, bytes.fromhex("0a0b"), "0b"),
        (6, b"GigabitEthernet0/1", "GigabitEthernet0/1"),
        (1, b"\x01\x02", "01:02"),
        (7, b"caf\xc3\xa9", "café"),
        (7, b"caf\xe9", "café"),
        (4, bytes.fromhex("0011223344"), "00:11:22:33:44"),
    ],
    ids=[
        "mac",
        "ipv4",
        "ipv6",
        "unknown_family",
        "interface_name",
        "unprintable",
        "utf8",
        "latin1",
        "mac_of_5_bytes",
    ],
)
def test_chassis_id_text(subtype: int, raw: bytes, text: str) -> None:
    assert m.ChassisId(subtype, raw).text == text


def test_port_id_mac_and_network_address() -> None:
    assert m.PortId(3, bytes.fromhex("d850e605a31e")).text == "d8:50:e6:05:a3:1e"
    assert m.PortId(4, bytes.fromhex("01c0a80001")).text == "192.168.0.1"


def test_management_address_of_other_families() -> None:
    mac = m.ManagementAddress(6, bytes.fromhex("001122334455"), 1, 0, b"")
    assert (mac.ip, mac.text) == (None, "00:11:22:33:44:55")
    v6 = m.ManagementAddress(2, bytes(15) + b"\x01", 2, 3, b"")
    assert (v6.ip, v6.text) == ("::1", "::1")


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"", ""),
        (bytes.fromhex("2b0601040181c06e"), "1.3.6.1.4.1.24686"),
        (bytes.fromhex("8837"), "2.999"),
        (bytes.fromhex("2b0681"), "1.3.6"),
    ],
    ids=["empty", "enterprise", "joint_iso_arc", "last_arc_cut_short"],
)
def test_oid_text(raw: bytes, text: str) -> None:
    assert m.oid_text(raw) == text


def test_capability_names_with_reserved_bits() -> None:
    assert capability_names(0x0014) == ("bridge", "router")
    assert capability_names(0x0880) == ("station_only", "bit_11")
    assert capability_names(0) == ()


def test_neighbour_falls_back_to_supported_capabilities() -> None:
    pdu = _decode(_head() + _tlv(7, b"\x00\x14\x00\x00"))
    assert neighbour(pdu).capabilities == ("bridge", "router")


# --- encoding limits ---


def test_encode_refuses_a_value_over_511_bytes() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        encode_tlv(m.RawTlv(20, bytes(512)))
    assert len(encode_tlv(m.RawTlv(20, bytes(511)))) == 513
