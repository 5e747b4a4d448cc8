"""EtherNet/IP + CIP edge cases, each named after its edge, with bytes from the specification."""

from __future__ import annotations

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.enip import codec
from otm.protocols.enip.anomalies import EnipAnomaly
from otm.protocols.enip.constants import service_category, service_name
from otm.protocols.enip.framing import frame_length
from otm.protocols.enip.messages import (
    CipPath,
    CipRequest,
    IdentityItem,
    LogicalSegment,
    PortSegment,
    UnconnectedSend,
)


def test_list_identity_socket_address_is_big_endian() -> None:
    item = IdentityItem(
        1, 2, 44818, "192.168.10.120", 1, 12, 58, 4, 7, 0x30, 0x51AEC3, "1756-ENBT/A", 3
    )
    raw = codec.encode_identity_item(item)
    assert raw[2:8] == bytes([0x00, 0x02, 0xAF, 0x12, 192, 168])  # family 2, port 44818
    assert raw[18:20] == b"\x01\x00"  # vendor id little-endian


def test_16_bit_instance_segment_has_pad_byte() -> None:
    path = codec.decode_path(bytes([0x20, 0x01, 0x25, 0x00, 0x34, 0x12]))
    assert not isinstance(path, Anomaly)
    assert path.class_id == 1 and path.instance_id == 0x1234


def test_port_segment_with_extended_link_address() -> None:
    raw = bytes([0x12, 0x04]) + b"\x0a\x00\x00\x01"  # port 2, 4-byte link (an IP address)
    path = codec.decode_path(raw)
    assert not isinstance(path, Anomaly)
    (seg,) = path.segments
    assert seg == PortSegment(2, b"\x0a\x00\x00\x01") and seg.link_number is None
    assert codec.encode_path(path) == raw


def test_backplane_slot_route() -> None:
    path = codec.decode_path(bytes([0x01, 0x03]))
    assert not isinstance(path, Anomaly)
    assert path.ports == (PortSegment(1, b"\x03"),)
    assert path.ports[0].link_number == 3


def test_unconnected_send_with_odd_embedded_length_is_padded() -> None:
    inner = CipRequest(
        0x0E,
        CipPath(
            (
                LogicalSegment("class", 1),
                LogicalSegment("instance", 1),
                LogicalSegment("attribute", 7),
            )
        ),
        b"\x01",
    )
    msg = UnconnectedSend(0x0A, 0xF0, inner, CipPath((PortSegment(1, b"\x00"),)))
    raw = codec.encode_unconnected_send(msg)
    size = int.from_bytes(raw[2:4], "little")
    assert size % 2 == 1 and raw[4 + size] == 0  # the pad byte
    assert codec.decode_unconnected_send(raw) == msg


def test_multiple_service_offsets_out_of_order_are_rejected() -> None:
    raw = b"\x02\x00" + b"\x08\x00" + b"\x06\x00" + b"\x0e\x00\x0e\x00"
    out = codec.decode_multiple_service(raw)
    assert isinstance(out, Anomaly) and out.kind is EnipAnomaly.INVALID_LENGTH


def test_unconnected_send_nesting_is_bounded() -> None:
    request = CipRequest(0x01, CipPath((LogicalSegment("class", 1),)), b"")
    for _ in range(10):
        routed = UnconnectedSend(0, 0, request, CipPath((PortSegment(1, b"\x00"),)))
        request = CipRequest(
            0x52, CipPath((LogicalSegment("class", 6),)), codec.encode_unconnected_send(routed)
        )
    out = codec.decode_unconnected_send(request.data, depth=10)
    assert isinstance(out, Anomaly) and out.kind is EnipAnomaly.TOO_DEEP


def test_framer_needs_four_bytes_and_rejects_unknown_commands() -> None:
    assert frame_length(b"\x6f\x00") == NEED_DATA
    assert frame_length(b"\x6f\x00\x10\x00") == 24 + 16
    assert frame_length(b"\x99\x99\x00\x00") == INVALID
    assert frame_length(b"\x00\x00\x00\x00GET / HTTP", 4) == INVALID


def test_reply_flag_in_a_request_is_an_anomaly() -> None:
    out = codec.decode_cip_request(b"\x81\x00")
    assert isinstance(out, Anomaly) and out.kind is EnipAnomaly.BAD_SERVICE


def test_object_specific_services_are_named_by_class() -> None:
    assert service_name(0x52, 0x06) == "unconnected_send"
    assert service_name(0x52, None, symbolic=True) == "read_tag_fragmented"
    assert service_name(0x4C, None, symbolic=True) == "read_tag"
    assert service_category(0x4D, None, symbolic=True) == "write"
    assert service_category(0x01, 0x01) == "identify"
    assert service_category(0x05, 0x01) == "control"
    assert service_name(0x4C, 0x72) == "service_0x4c_class_0x72"
