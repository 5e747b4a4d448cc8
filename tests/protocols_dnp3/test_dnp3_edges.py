"""Edge cases of the DNP3 codec, each test named after its edge."""

from __future__ import annotations

import pytest

from otm.protocols.common import CONTROL, INVALID, NEED_DATA, PROGRAM, READ, WRITE, Anomaly
from otm.protocols.dnp3 import (
    FUNCTION_CATEGORIES,
    FUNCTION_NAMES,
    DeviceAttribute,
    Dnp3Anomaly,
    FunctionCode,
    LinkFrame,
    ObjectHeader,
    Request,
    Response,
    TransportReassembler,
    decode_application,
    decode_link_frame,
    decode_transport,
    device_attribute_name,
    device_attributes,
    device_attributes_request,
    encode_application,
    encode_link_frame,
    frame_length,
    iin_names,
    link_function_name,
    link_operation_name,
    operation_category,
    operation_name,
    segment_fragment,
    strip_crcs,
)

K = Dnp3Anomaly

# dnp3.pcap frame 40: an unsolicited response of 76 octets of user data (5 blocks).
LONG = bytes.fromhex(
    "05644c4403000400d86bccf382000033010701e2437d87ff0002f8c3032805000000010000010081"
    "000002005989810000000081f303010001f3032001283b4603000000010000000001000100000000"
    "e8b9020001000000003d62"
)
LONG_FRAGMENT = strip_crcs(LONG)[1:]
"""The application fragment of ``LONG`` (objects g51v1, g2v3, g32v1)."""

# dnp3.pcap frame 163: a stop application request with a reserved qualifier.
STOP_APPLICATION = bytes.fromhex("056411c4040003004eefc1c1123c02060107063c04ed8763")


def _kind(result: object) -> Dnp3Anomaly:
    assert isinstance(result, Anomaly), result
    assert isinstance(result.kind, Dnp3Anomaly)
    return result.kind


# --- framing and link layer --------------------------------------------------------


def test_framer_needs_three_octets_then_knows_the_whole_frame() -> None:
    assert frame_length(b"") == NEED_DATA
    assert frame_length(b"\x05") == NEED_DATA
    assert frame_length(b"\x05\x64") == NEED_DATA
    for cut in range(3, len(LONG) + 1):
        assert frame_length(LONG[:cut]) == len(LONG)


def test_framer_rejects_wrong_start_octets_and_short_lengths() -> None:
    assert frame_length(b"\x06") == INVALID
    assert frame_length(b"\x05\x05\x11") == INVALID  # dnp3.pcap frames 19 and 21
    assert frame_length(b"\x05\x64\x04") == INVALID
    assert frame_length(b"\x05\x64\x05") == 10
    assert frame_length(b"\x05\x64\xff") == 292


def test_framer_at_an_offset() -> None:
    two = LONG + LONG
    assert frame_length(two, len(LONG)) == len(LONG)
    assert frame_length(two, len(two)) == NEED_DATA


def test_truncation_at_every_octet_is_truncated() -> None:
    for cut in range(len(LONG)):
        assert _kind(decode_link_frame(LONG[:cut])) == K.TRUNCATED, cut


def test_one_octet_more_is_trailing_bytes() -> None:
    assert _kind(decode_link_frame(LONG + b"\x00")) == K.TRAILING_BYTES


def test_every_single_octet_change_is_caught() -> None:
    for index in range(len(LONG)):
        for delta in (0x01, 0x80, 0xFF):
            broken = bytearray(LONG)
            broken[index] ^= delta
            assert isinstance(decode_link_frame(bytes(broken)), Anomaly), (index, delta)


def test_bad_header_crc() -> None:
    broken = bytearray(LONG)
    broken[8] ^= 0x01
    result = decode_link_frame(bytes(broken))
    assert _kind(result) == K.BAD_HEADER_CRC


def test_bad_data_crc_points_at_its_block() -> None:
    broken = bytearray(LONG)
    broken[10 + 18 + 3] ^= 0x10  # inside the second block
    result = decode_link_frame(bytes(broken))
    assert _kind(result) == K.BAD_DATA_CRC
    assert isinstance(result, Anomaly)
    assert result.offset == 10 + 18 + 16


def test_length_below_five_is_invalid_length() -> None:
    frame = bytearray(encode_link_frame(LinkFrame(0xC0, 1, 2, b"")))
    frame[2] = 4
    assert _kind(decode_link_frame(bytes(frame))) == K.INVALID_LENGTH


@pytest.mark.parametrize(
    ("control", "data", "kind"),
    [
        (0x45, b"", K.UNKNOWN_LINK_FUNCTION),  # primary 5
        (0x4F, b"", K.UNKNOWN_LINK_FUNCTION),  # primary 15
        (0x02, b"", K.UNKNOWN_LINK_FUNCTION),  # secondary 2
        (0x0C, b"", K.UNKNOWN_LINK_FUNCTION),  # secondary 12
        (0xC4, b"", K.MISSING_USER_DATA),
        (0x43, b"", K.MISSING_USER_DATA),
        (0xC0, b"\xc0", K.UNEXPECTED_USER_DATA),  # reset link states with data
        (0x00, b"\xc0", K.UNEXPECTED_USER_DATA),  # ACK with data
    ],
)
def test_link_function_must_fit_prm_and_user_data(control: int, data: bytes, kind: K) -> None:
    assert _kind(decode_link_frame(encode_link_frame(LinkFrame(control, 1, 2, data)))) == kind


def test_link_control_bits() -> None:
    frame = decode_link_frame(LONG)
    assert isinstance(frame, LinkFrame)
    assert (frame.dir, frame.prm, frame.fcb, frame.fcv) == (False, True, False, False)
    assert (frame.destination, frame.source, frame.function) == (3, 4, 4)
    assert frame.function_name == "unconfirmed_user_data"
    secondary = LinkFrame(0x1B, 1, 2, b"")
    assert (secondary.prm, secondary.dfc, secondary.function_name) == (False, True, "link_status")


def test_largest_frame_round_trips() -> None:
    frame = LinkFrame(0xD3, 0xFFFF, 0, bytes(range(250)))
    wire = encode_link_frame(frame)
    assert len(wire) == 292
    assert decode_link_frame(wire) == frame
    with pytest.raises(ValueError, match="at most 250"):
        encode_link_frame(LinkFrame(0xC4, 1, 2, bytes(251)))


def test_link_names_of_undefined_functions() -> None:
    assert link_function_name(True, 9) == "request_link_status"
    assert link_function_name(True, 7) == "primary_0x07"
    assert link_function_name(False, 3) == "secondary_0x03"
    assert link_operation_name(0) == "link_reset_link_states"


# --- transport ------------------------------------------------------------------------


def test_transport_without_octets_is_truncated() -> None:
    assert _kind(decode_transport(b"")) == K.TRUNCATED
    segment = decode_transport(b"\xd1\x01")
    assert not isinstance(segment, Anomaly)
    assert (segment.fin, segment.fir, segment.sequence, segment.data) == (True, True, 17, b"\x01")


def _push_all(reassembler: TransportReassembler, segments: list[tuple[int, bytes]]) -> list[object]:
    return [reassembler.push(header, data) for header, data in segments]


def test_reassembly_of_three_segments_wrapping_the_sequence() -> None:
    r = TransportReassembler()
    out = _push_all(r, [(0x40 | 62, b"a"), (63, b"b"), (0x80 | 0, b"c")])
    assert out == [(None, None), (None, None), (b"abc", None)]
    assert r.pending == 0


def test_reassembly_ignores_a_repeated_segment() -> None:
    r = TransportReassembler()
    out = _push_all(r, [(0x40 | 5, b"a"), (0x40 | 5, b"a"), (6, b"b"), (6, b"b"), (0x80 | 7, b"c")])
    assert out[-1] == (b"abc", None)
    assert out[1][1] is not None  # a second FIR restarts, reporting the drop
    assert out[3] == (None, None)


def test_reassembly_drops_a_fragment_with_a_sequence_gap() -> None:
    r = TransportReassembler()
    out = _push_all(r, [(0x40 | 1, b"a"), (3, b"b"), (0x80 | 4, b"c")])
    assert out[1][0] is None and _kind(out[1][1]) == K.TRANSPORT_SEQUENCE
    assert out[2][0] is None and _kind(out[2][1]) == K.TRANSPORT_NO_FIRST


def test_reassembly_segment_without_first() -> None:
    fragment, anomaly = TransportReassembler().push(0x80 | 9, b"x")
    assert fragment is None
    assert _kind(anomaly) == K.TRANSPORT_NO_FIRST


def test_reassembly_new_first_discards_the_partial_fragment() -> None:
    r = TransportReassembler()
    r.push(0x40, b"partial")
    assert r.pending == 7
    fragment, anomaly = r.push(0xC0 | 1, b"whole")
    assert fragment == b"whole"
    assert _kind(anomaly) == K.FRAGMENT_DISCARDED


def test_reassembly_is_bounded() -> None:
    r = TransportReassembler(max_fragment=300)
    assert r.push(0x40, bytes(249)) == (None, None)
    fragment, anomaly = r.push(1, bytes(249))
    assert fragment is None and _kind(anomaly) == K.FRAGMENT_TOO_LARGE
    assert r.pending == 0


def test_segmenting_an_empty_fragment() -> None:
    segments = list(segment_fragment(b""))
    assert len(segments) == 1
    assert (segments[0].fir, segments[0].fin, segments[0].data) == (True, True, b"")
    assert len(list(segment_fragment(bytes(249)))) == 1
    assert len(list(segment_fragment(bytes(250)))) == 2


# --- application layer ------------------------------------------------------------------


def test_fragment_shorter_than_its_header_is_truncated() -> None:
    assert _kind(decode_application(b"")) == K.TRUNCATED
    assert _kind(decode_application(b"\xc0")) == K.TRUNCATED
    assert _kind(decode_application(b"\xc0\x81\x00")) == K.TRUNCATED


def test_truncation_of_a_response_at_every_octet_never_raises() -> None:
    fragment = LONG_FRAGMENT
    for cut in range(len(fragment)):
        result = decode_application(fragment[:cut])
        if not isinstance(result, Anomaly):
            assert encode_application(result) == fragment[:cut]


def test_undefined_function_codes_decode_with_stable_names() -> None:
    request = decode_application(b"\xc0\x40")
    assert isinstance(request, Request)
    assert (request.operation, request.category) == ("function_0x40", "other")
    response = decode_application(b"\xc0\x90\x00\x00")
    assert isinstance(response, Response)
    assert response.operation == "function_0x90"


@pytest.mark.parametrize("qualifier", [0x80, 0x70, 0x0A, 0x0C, 0x0D, 0x0E, 0x0F, 0xED])
def test_reserved_qualifier_is_invalid(qualifier: int) -> None:
    result = decode_application(bytes((0xC0, 0x01, 60, 2, qualifier, 0, 0, 0, 0)))
    assert _kind(result) == K.INVALID_QUALIFIER


def test_stop_below_start_is_invalid_range() -> None:
    assert _kind(decode_application(b"\xc0\x01\x1e\x01\x00\x05\x04")) == K.INVALID_RANGE


@pytest.mark.parametrize(
    "fragment",
    [
        b"\xc0\x01\x3c",  # header cut
        b"\xc0\x01\x1e\x01\x01\x05",  # 16-bit start-stop cut
        b"\xc0\x01\x1e\x01\x08\x05",  # 16-bit count cut
        b"\xc0\x81\x00\x00\x1e\x01\x00\x00\x01\x00\x00\x00\x00\x00",  # 2 objects of 5, 5 present
        b"\xc0\x81\x00\x00\x00\xfc\x00\x00\x00\x01\x09ab",  # attribute value cut
        b"\xc0\x02\x46\x05\x5b\x01\x10\x00abc",  # size-prefixed object cut
    ],
)
def test_cut_headers_and_objects_are_truncated(fragment: bytes) -> None:
    assert _kind(decode_application(fragment)) == K.TRUNCATED


def test_unsizable_object_stops_the_walk_without_an_error() -> None:
    request = decode_application(bytes.fromhex("c0053c0206c8010701aabb"))
    assert isinstance(request, Request)
    assert [(h.group, h.variation, h.data) for h in request.objects] == [
        (60, 2, b""),
        (200, 1, None),
    ]
    assert request.rest == b"\xaa\xbb"


def test_all_objects_in_a_request_carry_no_values() -> None:
    # Start application of every application: group 90, range code 6.
    request = decode_application(bytes.fromhex("c0115a0106"))
    assert isinstance(request, Request)
    assert [(h.group, h.data) for h in request.objects] == [(90, b"")]


def test_reserved_qualifier_after_all_objects_headers() -> None:
    # dnp3.pcap frame 163: stop application naming g60v2 and g1v7 (all
    # objects), then g60v4 with qualifier 0xED (reserved bit and range code).
    link = decode_link_frame(STOP_APPLICATION)
    assert isinstance(link, LinkFrame)
    segment = decode_transport(link.user_data)
    assert not isinstance(segment, Anomaly)
    result = decode_application(segment.data)
    assert _kind(result) == K.INVALID_QUALIFIER
    assert isinstance(result, Anomaly)
    assert result.offset == 10


@pytest.mark.parametrize(
    "objects",
    [
        b"\x1e\x01\x06",  # all objects in a response: how many follow is unknown
        b"\x01\x01\x17\x02\x00\x01\x00",  # packed bits with an index prefix
        b"\xc8\x01\x00\x00\x00\x00",  # group 200
    ],
)
def test_headers_that_cannot_be_sized(objects: bytes) -> None:
    response = decode_application(b"\xc0\x81\x00\x00" + objects)
    assert isinstance(response, Response)
    assert response.objects[-1].data is None


def test_read_request_headers_carry_no_objects() -> None:
    request = decode_application(bytes.fromhex("c1013c02063c03063c04063c0106"))
    assert isinstance(request, Request)
    assert [(h.group, h.variation, h.qualifier, h.data) for h in request.objects] == [
        (60, 2, 6, b""),
        (60, 3, 6, b""),
        (60, 4, 6, b""),
        (60, 1, 6, b""),
    ]


def test_freeze_at_time_carries_only_its_time_object() -> None:
    fragment = bytes.fromhex("c00b3202070100112233445566778899") + bytes.fromhex("140006")
    request = decode_application(fragment)
    assert isinstance(request, Request)
    assert [len(h.data or b"") for h in request.objects] == [10, 0]


def test_crob_with_index_prefix_and_count() -> None:
    # dnp3.pcap frame 185: select, g12v1, qualifier 0x28, one CROB at index 34463.
    request = decode_application(bytes.fromhex("c3030c012801009f860301640000006400000000"))
    assert isinstance(request, Request)
    (header,) = request.objects
    assert (header.group, header.variation, header.prefix_code, header.range_code) == (12, 1, 2, 8)
    assert (header.count, header.quantity, len(header.data or b"")) == (1, 1, 13)


def test_iin_names() -> None:
    response = decode_application(b"\xc0\x81\x90\x06")
    assert isinstance(response, Response)
    assert response.iin == 0x9006
    assert response.indications == (
        "need_time",
        "device_restart",
        "object_unknown",
        "parameter_error",
    )
    assert iin_names(0) == ()


# --- group 0 ------------------------------------------------------------------------------


def _attribute(variation: int, data_type: int, value: bytes) -> ObjectHeader:
    data = bytes((data_type, len(value))) + value
    return ObjectHeader(0, variation, 0x00, 0, 0, None, data)


def test_device_attributes_of_a_response() -> None:
    headers = (
        _attribute(252, 1, b"Acme Grid\x00"),
        _attribute(250, 1, b"RTU-9000"),
        _attribute(242, 1, b"3.2.1"),
        _attribute(243, 1, b"B"),
        _attribute(248, 1, b"SN-0042"),
        _attribute(247, 1, b"Feeder 7"),
        _attribute(240, 2, b"\x00\x08"),
        _attribute(203, 3, b"\xff\xff"),
        _attribute(200, 5, b"\x01\x02"),
    )
    response = decode_application(encode_application(Response(0xC0, 129, 0, headers)))
    assert isinstance(response, Response)
    attributes = device_attributes(response)
    assert [(a.name, a.text) for a in attributes] == [
        ("manufacturer_name", "Acme Grid"),
        ("product_name_and_model", "RTU-9000"),
        ("software_version", "3.2.1"),
        ("hardware_version", "B"),
        ("serial_number", "SN-0042"),
        ("device_name", "Feeder 7"),
        ("max_transmit_fragment_size", "2048"),
        ("device_altitude", "-1"),
        ("configuration_signature", "0102"),
    ]
    assert attributes[6].number == 2048
    assert attributes[0].number is None
    assert {a.index for a in attributes} == {0}


def test_device_attributes_with_index_prefix_and_latin1() -> None:
    data = b"\x00" + bytes((1, 4)) + b"Caf\xe9" + b"\x01" + bytes((1, 2)) + b"ok"
    header = ObjectHeader(0, 245, 0x17, None, None, 2, data)
    response = decode_application(encode_application(Response(0xC0, 129, 0, (header,))))
    assert isinstance(response, Response)
    assert device_attributes(response) == (
        DeviceAttribute(245, 0, 1, b"Caf\xe9"),
        DeviceAttribute(245, 1, 1, b"ok"),
    )
    assert device_attributes(response)[0].text == "Café"


def test_attribute_names() -> None:
    assert device_attribute_name(252) == "manufacturer_name"
    assert device_attribute_name(247) == "device_name"
    assert device_attribute_name(246) == "id_code"
    assert device_attribute_name(100) == "attribute_100"


def test_read_of_every_device_attribute_is_read_only() -> None:
    request = device_attributes_request(5)
    assert encode_application(request) == b"\xc5\x01\x00\xfe\x06"
    assert request.function_code == FunctionCode.READ
    assert request.category == READ


# --- names and categories ---------------------------------------------------------------------

BRIEF_NAMES = [
    "confirm",
    "read",
    "write",
    "select",
    "operate",
    "direct_operate",
    "direct_operate_nr",
    "immediate_freeze",
    "immediate_freeze_nr",
    "freeze_clear",
    "freeze_clear_nr",
    "freeze_at_time",
    "freeze_at_time_nr",
    "cold_restart",
    "warm_restart",
    "initialize_data",
    "initialize_application",
    "start_application",
    "stop_application",
    "save_configuration",
    "enable_unsolicited",
    "disable_unsolicited",
    "assign_class",
    "delay_measure",
    "record_current_time",
    "open_file",
    "close_file",
    "delete_file",
    "get_file_info",
    "authenticate_file",
    "abort_file",
    "activate_config",
    "authenticate_req",
    "authenticate_err",
    "response",
    "unsolicited_response",
    "authenticate_resp",
]


def test_every_public_function_code_is_named_with_a_category() -> None:
    assert sorted(FUNCTION_NAMES) == sorted(FunctionCode)
    assert sorted(FUNCTION_NAMES.values()) == sorted(BRIEF_NAMES)
    assert set(FUNCTION_CATEGORIES) == set(FUNCTION_NAMES)
    assert [operation_name(code) for code in range(34)] == BRIEF_NAMES[:34]
    assert operation_name(34) == "function_0x22"
    assert operation_category(200) == "other"


@pytest.mark.parametrize(
    ("names", "category"),
    [
        ("cold_restart warm_restart start_application stop_application", CONTROL),
        ("initialize_application select operate direct_operate direct_operate_nr", CONTROL),
        ("open_file close_file delete_file get_file_info abort_file activate_config", PROGRAM),
        ("authenticate_file", PROGRAM),
        ("write", WRITE),
        ("read", READ),
    ],
)
def test_categories(names: str, category: str) -> None:
    by_name = {name: FUNCTION_CATEGORIES[code] for code, name in FUNCTION_NAMES.items()}
    for name in names.split():
        assert by_name[name] == category, name
