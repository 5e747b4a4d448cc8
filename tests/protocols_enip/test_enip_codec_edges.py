"""EtherNet/IP + CIP edge cases, each named after its edge.

Bytes come from the specification's examples or from the shared captures
(frame numbers given).
"""

from __future__ import annotations

from typing import TypeVar

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.enip import codec
from otm.protocols.enip.anomalies import EnipAnomaly
from otm.protocols.enip.constants import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_SERVICES,
    command_category,
    command_name,
    device_type_name,
    general_status_name,
    item_name,
    service_category,
    service_name,
    status_name,
)
from otm.protocols.enip.framing import frame_length
from otm.protocols.enip.messages import (
    AttributeListReply,
    AttributeValue,
    CipPath,
    CipRequest,
    ConnectionFailure,
    CpfItem,
    ElectronicKeySegment,
    ForwardOpen,
    IdentityItem,
    IdentityObject,
    LogicalSegment,
    MultipleServicePacket,
    NetworkSegment,
    PortSegment,
    SendData,
    SymbolSegment,
    UnconnectedSend,
)

T = TypeVar("T")


def ok(value: T | Anomaly) -> T:
    assert not isinstance(value, Anomaly), value
    return value


def anomaly(value: object) -> EnipAnomaly:
    assert isinstance(value, Anomaly), value
    assert isinstance(value.kind, EnipAnomaly)
    return value.kind


# -- encapsulation and framing ---------------------------------------------------------


def test_framer_needs_four_bytes() -> None:
    assert frame_length(b"\x6f\x00") == NEED_DATA
    assert frame_length(b"\x6f\x00\x10\x00") == 24 + 16
    assert frame_length(b"xx\x6f\x00\x10", 2) == NEED_DATA


def test_framer_rejects_unknown_commands_and_other_protocols() -> None:
    assert frame_length(b"\x99\x99\x00\x00") == INVALID
    assert frame_length(b"GET / HTTP/1.1\r\n") == INVALID
    assert frame_length(b"\x03\x00\x00\x16") == INVALID  # a TPKT header (S7 on the port)


def test_framer_accepts_the_legacy_command_0x0001_of_old_rslinx() -> None:
    # EIP-IPAddressChangeAttempt.pcap frames 3600 (request) and 3604 (42-byte reply)
    assert frame_length(bytes.fromhex("0100000000000000") + bytes(16)) == 24
    assert frame_length(bytes.fromhex("01002a00")) == 24 + 42
    assert command_name(0x0001) == "command_0x0001"
    assert command_category(0x0001) == "other"


def test_framer_length_bound_is_65511_bytes_of_data() -> None:
    assert frame_length(b"\x6f\x00" + (65511).to_bytes(2, "little")) == 65535
    assert frame_length(b"\x6f\x00" + (65512).to_bytes(2, "little")) == INVALID


def test_encapsulation_declared_length_longer_than_bytes_is_truncated() -> None:
    raw = bytes.fromhex("6f001000") + bytes(20) + bytes(8)
    assert anomaly(codec.decode_encapsulation(raw)) is EnipAnomaly.TRUNCATED
    assert anomaly(codec.decode_encapsulation(raw + bytes(9))) is EnipAnomaly.TRAILING_BYTES


def test_names_of_commands_statuses_and_items() -> None:
    assert command_name(0x0063) == "list_identity" and command_category(0x63) == "identify"
    assert command_name(0x0065) == "register_session" and command_category(0x65) == "session"
    assert command_name(0x00C8) == "start_dtls"
    assert status_name(0x0065) == "invalid_length"
    assert status_name(0x1234) == "status_0x00001234"
    assert item_name(0x8002) == "sequenced_address" and item_name(0x4242) == "item_0x4242"


def test_cpf_item_count_above_bound_is_too_many_items() -> None:
    raw = (MAX_ITEMS + 1).to_bytes(2, "little") + bytes(4 * (MAX_ITEMS + 1))
    assert anomaly(codec.decode_cpf(raw)) is EnipAnomaly.TOO_MANY_ITEMS


def test_peek_cip_declines_an_unusual_layout() -> None:
    items = (CpfItem(0, b""), CpfItem(0x8000, bytes(16)), CpfItem(0xB2, b"\x01\x00"))
    data = codec.encode_send_data(SendData(0, 0, items))
    pdu = bytes.fromhex("6f00") + len(data).to_bytes(2, "little") + bytes(20) + data
    assert codec.peek_cip(pdu) is None
    assert ok(codec.decode_send_data(pdu[24:])).cip == b"\x01\x00"


# -- ListIdentity, ListServices ---------------------------------------------------------


def test_list_identity_socket_address_is_big_endian() -> None:
    item = IdentityItem(
        1, 2, 44818, "192.168.10.120", 1, 12, 58, 4, 7, 0x30, 0x51AEC3, "1756-ENBT/A", 3
    )
    raw = codec.encode_identity_item(item)
    assert raw[2:8] == bytes([0x00, 0x02, 0xAF, 0x12, 192, 168])  # family 2, port 44818
    assert raw[18:20] == b"\x01\x00"  # vendor id little-endian


def test_list_identity_revision_is_major_byte_then_minor_byte() -> None:
    # EIP-IPAddressChangeAttempt.pcap, first ListIdentity reply (1756-ENBT/A 4.7)
    data = bytes.fromhex(
        "01000c002d00010000 02af12c0a80a780000000000000000 01000c003a00 0407 3000"
        "c3ae5100 0b313735362d454e42542f41 03".replace(" ", "")
    )
    (item,) = ok(codec.decode_list_identity_response(data)).identities
    assert (item.revision_major, item.revision_minor) == (4, 7)
    assert (item.sin_address, item.sin_port, item.serial_number) == (
        "192.168.10.120",
        44818,
        0x0051AEC3,
    )
    assert item.product_name == "1756-ENBT/A" and item.state == 3


def test_list_identity_name_length_past_the_item_is_bad_identity() -> None:
    item = IdentityItem(1, 2, 44818, "10.0.0.1", 1, 12, 58, 4, 7, 0x30, 1, "ENBT", 3)
    raw = bytearray(codec.encode_identity_item(item))
    raw[32] = 200
    assert anomaly(codec.decode_identity_item(bytes(raw))) is EnipAnomaly.BAD_IDENTITY


def test_list_services_name_is_nul_padded_and_flags_say_tcp_and_udp() -> None:
    # EIP-IPAddressChangeAttempt.pcap frame 3605
    data = bytes.fromhex("0100000114000100200143 6f6d6d756e69636174696f6e730000".replace(" ", ""))
    (service,) = ok(codec.decode_list_services_response(data)).services
    assert service.name == "Communications" and service.capability_flags == 0x0120
    assert service.supports_tcp and service.supports_udp_io
    assert codec.encode_list_services_response(ok(codec.decode_list_services_response(data)))


def test_list_services_item_of_wrong_size_is_bad_item() -> None:
    raw = codec.encode_cpf((CpfItem(0x0100, bytes(12)),))
    assert anomaly(codec.decode_list_services_response(raw)) is EnipAnomaly.BAD_ITEM


# -- paths ---------------------------------------------------------------------------------


def test_16_bit_instance_segment_has_pad_byte() -> None:
    path = ok(codec.decode_path(bytes([0x20, 0x01, 0x25, 0x00, 0x34, 0x12])))
    assert path.class_id == 1 and path.instance_id == 0x1234


def test_32_bit_attribute_segment_has_pad_byte() -> None:
    path = ok(codec.decode_path(bytes([0x32, 0x00, 0x78, 0x56, 0x34, 0x12])))
    assert path.segments == (LogicalSegment("attribute", 0x12345678, 4),)


def test_port_segment_with_extended_link_address_is_padded() -> None:
    raw = bytes([0x12, 0x09]) + b"10.1.1.10" + b"\x00"  # port 2, an IP as text, 9 + pad
    path = ok(codec.decode_path(raw))
    assert path.hops == ((2, b"10.1.1.10"),) and path.ports[0].link_number is None
    assert codec.encode_path(path) == raw


def test_port_number_above_14_is_a_16_bit_port() -> None:
    # Vol. 1 C-1.4.1 example: port identifier 15, port 18, link address 1
    path = ok(codec.decode_path(bytes([0x0F, 0x12, 0x00, 0x01])))
    assert path.hops == ((18, b"\x01"),)
    assert codec.encode_path(path) == bytes([0x0F, 0x12, 0x00, 0x01])


def test_backplane_slot_route() -> None:
    path = ok(codec.decode_path(bytes([0x01, 0x03])))
    assert path.ports == (PortSegment(1, b"\x03"),)
    assert path.ports[0].link_number == 3


def test_electronic_key_with_compatibility_bit() -> None:
    raw = bytes.fromhex("3404 0100 0e00 3600 90 14 2002 2401".replace(" ", ""))
    path = ok(codec.decode_path(raw))
    assert path.electronic_key == ElectronicKeySegment(1, 14, 54, 16, 20, True)
    assert path.class_id == 2 and path.instance_id == 1
    assert codec.encode_path(path) == raw


def test_electronic_key_of_another_format_is_reported_not_guessed() -> None:
    raw = bytes.fromhex("3405 0100 0e00 3600 1014")
    assert anomaly(codec.decode_path(raw)) is EnipAnomaly.BAD_PATH


def test_extended_logical_segment_is_reported_not_guessed() -> None:
    assert anomaly(codec.decode_path(bytes([0x3C, 0x01]))) is EnipAnomaly.BAD_PATH


def test_production_inhibit_network_segment() -> None:
    path = ok(codec.decode_path(bytes([0x43, 0x05, 0x20, 0x04])))
    assert path.segments[0] == NetworkSegment(0x03, b"\x05")
    long = ok(codec.decode_path(bytes([0x51, 0x02, 1, 2, 3, 4])))
    assert long.segments == (NetworkSegment(0x11, bytes([1, 2, 3, 4])),)


def test_symbolic_segment_0x60_and_ansi_symbol_0x91() -> None:
    path = ok(codec.decode_path(bytes([0x63]) + b"Abc" + bytes([0x91, 0x02]) + b"Xy"))
    assert path.segments == (SymbolSegment("Abc", ansi=False), SymbolSegment("Xy"))
    assert path.tag == "Abc.Xy" and path.symbol == "Abc"


def test_ansi_symbol_with_odd_length_is_padded() -> None:
    raw = bytes([0x91, 0x03]) + b"Tag" + b"\x00" + bytes([0x28, 0x05])  # Tag[5]
    path = ok(codec.decode_path(raw))
    assert path.symbol == "Tag" and path.member == 5
    assert anomaly(codec.decode_path(raw[:5])) is EnipAnomaly.BAD_PATH  # pad missing


def test_path_with_more_segments_than_the_bound_is_bad_path() -> None:
    raw = bytes([0x28, 0x01]) * (codec.MAX_SEGMENTS + 1)
    assert anomaly(codec.decode_path(raw)) is EnipAnomaly.BAD_PATH


def test_reply_flag_in_a_request_is_an_anomaly() -> None:
    assert anomaly(codec.decode_cip_request(b"\x81\x00")) is EnipAnomaly.BAD_SERVICE


# -- Unconnected Send, Multiple Service Packet ------------------------------------------


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


def test_unconnected_send_names_a_slot_only_for_one_backplane_hop() -> None:
    # EIP-RebootorRestart.pcap frame 33: Get_Attributes_All routed to port 1, slot 0
    send = ok(codec.decode_unconnected_send(bytes.fromhex("07f9060001022001240101000100")))
    assert send.slot == 0 and send.request.path.class_id == 1
    leaf = send.request
    assert UnconnectedSend(7, 9, leaf, CipPath((PortSegment(2, b"\x05"),))).slot is None
    two_hops = CipPath((PortSegment(1, b"\x02"), PortSegment(2, b"10.0.0.9\x00\x00")))
    assert UnconnectedSend(7, 9, leaf, two_hops).slot is None
    assert UnconnectedSend(7, 9, leaf, two_hops).first_hop == (1, b"\x02")


def test_unconnected_send_nesting_is_bounded() -> None:
    request = CipRequest(0x01, CipPath((LogicalSegment("class", 1),)), b"")
    for _ in range(10):
        routed = UnconnectedSend(0, 0, request, CipPath((PortSegment(1, b"\x00"),)))
        request = CipRequest(
            0x52, CipPath((LogicalSegment("class", 6),)), codec.encode_unconnected_send(routed)
        )
    out = codec.decode_unconnected_send(request.data, depth=10)
    assert anomaly(out) is EnipAnomaly.TOO_DEEP
    flat, problem = codec.flatten_request(request)
    assert anomaly(problem) is EnipAnomaly.TOO_DEEP and len(flat) == MAX_DEPTH + 1


def test_multiple_service_offsets_out_of_order_are_rejected() -> None:
    raw = b"\x02\x00" + b"\x08\x00" + b"\x06\x00" + b"\x0e\x00\x0e\x00"
    assert anomaly(codec.decode_multiple_service(raw)) is EnipAnomaly.INVALID_LENGTH


def test_multiple_service_count_above_bound_is_too_many_items() -> None:
    raw = (MAX_SERVICES + 1).to_bytes(2, "little") + bytes(4 * (MAX_SERVICES + 1))
    assert anomaly(codec.decode_multiple_service(raw)) is EnipAnomaly.TOO_MANY_ITEMS


def test_multiple_service_with_a_broken_embedded_request_names_it() -> None:
    good = codec.encode_cip_request(CipRequest(0x4C, CipPath((SymbolSegment("A"),)), b"\x01\x00"))
    raw = codec.encode_multiple_service(MultipleServicePacket((good, b"\x4c\x05\x91")))
    out = codec.decode_multiple_service_requests(raw)
    assert isinstance(out, Anomaly) and out.detail.startswith("service 1")


def test_multiple_service_reply_embedded_error_still_lists_replies() -> None:
    # general status 0x1E (embedded service error): the packed replies are there
    inner = [b"\xcc\x00\x00\x00\xc4\x00\x01\x00\x00\x00", b"\xcc\x00\x05\x00"]
    reply = b"\x8a\x00\x1e\x00" + codec.encode_multiple_service(MultipleServicePacket(tuple(inner)))
    parts, problem = codec.flatten_response(ok(codec.decode_cip_response(reply)))
    assert problem is None
    assert [(p.response.service, p.response.general_status) for p in parts] == [
        (0x0A, 0x1E),
        (0x4C, 0x00),
        (0x4C, 0x05),
    ]
    assert general_status_name(0x1E) == "embedded_service_error"
    assert general_status_name(0x05) == "path_destination_unknown"


# -- Connection Manager ----------------------------------------------------------------


FORWARD_OPEN = bytes.fromhex(  # EIP-RebootorRestart.pcap frame 21, after the request path
    "07f9140000801300fe8014004d00f32b95320000000000127a00f44300127a00f443a303010020022401"
)


def test_forward_open_fields_and_connection_parameters() -> None:
    fo = ok(codec.decode_forward_open(FORWARD_OPEN))
    assert (fo.ot_connection_id, fo.to_connection_id) == (0x80000014, 0x80FE0013)
    assert fo.triad == (0x0014, 0x004D, 0x32952BF3)
    assert (fo.ot_rpi, fo.to_rpi) == (8_000_000, 8_000_000)  # microseconds
    assert fo.ot_size == 500 and fo.ot_connection_type == 2  # 0x43F4: point-to-point
    assert fo.transport_class == 3
    assert fo.connection_path.hops == ((1, b"\x00"),) and fo.connection_path.class_id == 2
    assert codec.encode_forward_open(fo) == FORWARD_OPEN


def test_large_forward_open_has_32_bit_connection_parameters() -> None:
    fo = ok(codec.decode_forward_open(FORWARD_OPEN))
    large = ForwardOpen(
        *(
            fo.priority_time_tick,
            fo.timeout_ticks,
            fo.ot_connection_id,
            fo.to_connection_id,
            fo.connection_serial,
            fo.originator_vendor_id,
            fo.originator_serial,
            fo.timeout_multiplier,
            fo.ot_rpi,
            0x42000FA2,
            fo.to_rpi,
            0x42000FA2,
            fo.transport_trigger,
            fo.connection_path,
        ),
        large=True,
    )
    raw = codec.encode_forward_open(large)
    assert len(raw) == len(FORWARD_OPEN) + 4
    back = ok(codec.decode_forward_open(raw, large=True))
    assert back.ot_size == 4002 and back.ot_connection_type == 2
    assert anomaly(codec.decode_forward_open(raw)) is EnipAnomaly.INVALID_LENGTH


def test_forward_open_path_size_that_disagrees_with_the_data_is_invalid_length() -> None:
    raw = bytearray(FORWARD_OPEN)
    raw[35] = 4  # connection path size in words
    assert anomaly(codec.decode_forward_open(bytes(raw))) is EnipAnomaly.INVALID_LENGTH


def test_connection_failure_without_remaining_path_size() -> None:
    raw = bytes.fromhex("14004d00f32b9532")
    assert ok(codec.decode_connection_failure(raw)) == ConnectionFailure(0x14, 0x4D, 0x32952BF3)
    assert ok(codec.decode_connection_failure(raw + b"\x03\x00")).remaining_path_size == 3


# -- Identity object ---------------------------------------------------------------------


def test_identity_get_attributes_all_with_state_appended() -> None:
    obj = IdentityObject(1, 14, 54, 16, 20, 0x3060, 0x51823F, "1756-L61/B", b"\x03\x34\x12\x05")
    back = ok(codec.decode_identity_attributes(codec.encode_identity_attributes(obj)))
    assert back.state == 3
    assert back.configuration_consistency_value == 0x1234 and back.heartbeat_interval == 5
    assert IdentityObject(1, 14, 54, 16, 20, 0, 1, "x").state is None


def test_identity_attribute_list_reply_of_a_controller() -> None:
    # EIP-RebootorRestart.pcap frame 193, after the reply header
    data = bytes.fromhex(
        "0700010000000100020000000e00030000003600040000001014050000006030060000003f825100"
        "0700000014313735362d4c36312f42204c4f47495835353631"
    )
    reply = ok(codec.decode_identity_attribute_list(data))
    assert reply.value(1) == 1 and reply.value(2) == 14 and reply.value(3) == 54
    assert reply.value(4) == (16, 20) and reply.value(6) == 0x0051823F
    assert reply.value(7) == "1756-L61/B LOGIX5561"


def test_identity_attribute_list_keeps_an_attribute_of_unknown_size_raw() -> None:
    data = bytes.fromhex("0300 0100 0000 0100 0c00 0000 aabbcc 0200 1400".replace(" ", ""))
    reply = ok(codec.decode_identity_attribute_list(data))
    assert reply.values == (AttributeValue(1, 0, 1),)
    assert reply.rest == data[8:] and reply.count == 3
    assert codec.encode_identity_attribute_list(reply) == data


def test_identity_attribute_list_failed_attribute_has_no_value() -> None:
    data = bytes.fromhex("0100 0800 1400".replace(" ", ""))  # state: attribute_not_supported
    assert ok(codec.decode_identity_attribute_list(data)) == AttributeListReply(
        1, (AttributeValue(8, 0x14),)
    )


def test_identity_single_attribute_sizes_are_checked() -> None:
    assert codec.decode_identity_attribute(4, b"\x10\x14") == (16, 20)
    assert codec.decode_identity_attribute(7, b"\x03abc") == "abc"
    assert anomaly(codec.decode_identity_attribute(6, b"\x01\x02")) is EnipAnomaly.BAD_IDENTITY
    assert anomaly(codec.decode_identity_attribute(12, b"")) is EnipAnomaly.BAD_IDENTITY


def test_device_type_names() -> None:
    assert device_type_name(0x0E) == "programmable_logic_controller"
    assert device_type_name(0x0C) == "communications_adapter"
    assert device_type_name(0x2B) == "generic_device_keyable"
    assert device_type_name(0x99) == "device_type_0x99"


# -- service names -------------------------------------------------------------------------


def test_object_specific_services_are_named_by_class() -> None:
    assert service_name(0x52, 0x06) == "unconnected_send"
    assert service_name(0x52, None, True) == "read_tag_fragmented"
    assert service_name(0x4E, 0x06) == "forward_close"
    assert service_name(0x4E, 0x02, has_symbol=True) == "read_modify_write_tag"
    assert service_name(0x4C, 0x6B) == "read_tag"
    assert service_name(0x4B, 0x67) == "execute_pccc"
    assert service_name(0x4B, 0x6B) == "service_0x4b_class_0x6b"
    assert service_name(0x4C, 0x72) == "service_0x4c_class_0x72"
    assert service_name(0xCC, None, True) == "read_tag"  # the reply flag is ignored


def test_service_categories_follow_policy() -> None:
    assert service_category(0x4D, None, has_symbol=True) == "write"
    assert service_category(0x01, 0x01) == "identify"
    assert service_category(0x03, 0x01) == "identify"
    assert service_category(0x0E, 0xF5) == "read"
    assert service_category(0x05, 0x01) == "control"  # reset of the Identity object: reboot
    assert service_category(0x07, 0x8E) == "control"
    assert service_category(0x10, 0xF5) == "write"
    assert service_category(0x54, 0x06) == "session"
    assert service_category(0x5B, 0x06) == "session"
    assert service_category(0x4B, 0x67) == "other"
    assert service_category(0x4C, 0x72) == "other"
