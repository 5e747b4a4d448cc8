"""Edge cases of the IEC 104 codec, each named after its edge."""

from __future__ import annotations

import re

import pytest

from otm.protocols.common import (
    CATEGORIES,
    CONTROL,
    INVALID,
    NEED_DATA,
    PROGRAM,
    READ,
    SESSION,
    WRITE,
    Anomaly,
)
from otm.protocols.iec104 import (
    Asdu,
    Cause,
    Cp56Time,
    Iec104Anomaly,
    IFrame,
    InformationObject,
    SFrame,
    TypeId,
    UFrame,
    UFunction,
    cause_name,
    decode_apdu,
    decode_asdu,
    encode_apdu,
    encode_asdu,
    frame_length,
    peek,
    type_category,
    type_mnemonic,
    type_name,
)
from otm.protocols.iec104 import messages as m
from otm.protocols.iec104.constants import U_CATEGORY, U_NAMES
from otm.protocols.iec104.elements import LAYOUTS

K = Iec104Anomaly

CLOCK_SYNC = bytes.fromhex("681400000200670107000100000000fa041311180a13")
"""C_CS_NA_1 actcon from 104deneme.pcap frame 11."""
FLOATS = bytes.fromhex("681a9a0028000d02010003001405000000f041001505000000314400")
"""Two M_ME_NC_1 objects (SQ=0), cyclic: 090813_diverse.pcap frame 1."""


def _asdu(type_id: int, objects: tuple[InformationObject, ...], **kw: object) -> Asdu:
    fields: dict[str, object] = {
        "sequence": False,
        "cause": 6,
        "negative": False,
        "test": False,
        "originator": 0,
        "common_address": 1,
    }
    fields.update(kw)
    return Asdu(type_id, number=len(objects), objects=objects, **fields)  # type: ignore[arg-type]


def test_a_captured_clock_sync_decodes_field_by_field() -> None:
    apdu = decode_apdu(CLOCK_SYNC)
    assert isinstance(apdu, IFrame)
    assert (apdu.send_seq, apdu.recv_seq) == (0, 1)
    asdu = apdu.asdu
    assert (asdu.mnemonic, asdu.operation, asdu.cause_name) == (
        "C_CS_NA_1",
        "clock_synchronization",
        "activation_con",
    )
    assert asdu.common_address == 1 and asdu.addresses == (0,)
    element = asdu.objects[0].element
    assert isinstance(element, m.ClockSync)
    t = element.time
    assert (t.milliseconds, t.minute, t.hour, t.day, t.month, t.year) == (1274, 19, 17, 24, 10, 19)
    assert encode_apdu(apdu) == CLOCK_SYNC


def test_two_objects_each_with_its_address_when_sq_is_0() -> None:
    apdu = decode_apdu(FLOATS)
    assert isinstance(apdu, IFrame)
    asdu = apdu.asdu
    assert not asdu.sequence and asdu.number == 2 and asdu.addresses == (1300, 1301)
    values = [o.element.value for o in asdu.objects if isinstance(o.element, m.ShortFloat)]
    assert values == [30.0, 708.0]


def test_a_sequence_of_objects_shares_one_address_when_sq_is_1() -> None:
    objects = tuple(InformationObject(0xFFFFFE + i & 0xFFFFFF, m.SinglePoint(i)) for i in range(3))
    asdu = _asdu(1, objects, sequence=True, cause=20)
    data = encode_asdu(asdu)
    assert len(data) == 6 + 3 + 3  # one address, three SIQ octets
    decoded = decode_asdu(data)
    assert decoded == asdu
    assert isinstance(decoded, Asdu) and decoded.addresses == (0xFFFFFE, 0xFFFFFF, 0)


def test_a_sequence_needs_consecutive_addresses_to_encode() -> None:
    objects = (InformationObject(5, m.SinglePoint(1)), InformationObject(7, m.SinglePoint(0)))
    with pytest.raises(ValueError, match="consecutive"):
        encode_asdu(_asdu(1, objects, sequence=True))


@pytest.mark.parametrize("cut", range(len(CLOCK_SYNC)))
def test_truncation_at_every_octet_is_truncated_not_invalid(cut: int) -> None:
    part = CLOCK_SYNC[:cut]
    result = decode_apdu(part)
    assert isinstance(result, Anomaly) and result.kind == K.TRUNCATED
    verdict = frame_length(part)
    assert verdict == NEED_DATA or verdict > len(part)


@pytest.mark.parametrize("cut", range(7, len(FLOATS)))
def test_an_apdu_length_shorter_than_its_objects_is_invalid_length(cut: int) -> None:
    lying = bytes((0x68, cut - 2)) + FLOATS[2:cut]
    result = decode_apdu(lying)
    assert isinstance(result, Anomaly)
    assert result.kind == K.INVALID_LENGTH


def test_octets_after_the_announced_objects_are_trailing() -> None:
    asdu = decode_asdu(FLOATS[6:] + b"\x00")
    assert isinstance(asdu, Anomaly) and asdu.kind == K.TRAILING_BYTES
    apdu = decode_apdu(FLOATS + b"\x68")
    assert isinstance(apdu, Anomaly) and apdu.kind == K.TRAILING_BYTES


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x69\x04\x07\x00\x00\x00", K.BAD_START),
        (b"\x68\x03\x07\x00\x00", K.INVALID_LENGTH),
        (b"\x68\xfe" + bytes(254), K.INVALID_LENGTH),
        (b"\x68\x05\x07\x00\x00\x00\x00", K.INVALID_LENGTH),  # U frame with a body
        (b"\x68\x04\x00\x00\x00\x00", K.INVALID_LENGTH),  # I frame without ASDU
        (b"\x68\x04\x01\x01\x02\x00", K.BAD_CONTROL_FIELD),  # S frame, CF2 set
        (b"\x68\x04\x01\x00\x03\x00", K.BAD_CONTROL_FIELD),  # S frame, N(R) low bit
        (b"\x68\x04\x0f\x00\x00\x00", K.BAD_CONTROL_FIELD),  # STARTDT act and con at once
        (b"\x68\x04\x03\x00\x00\x00", K.BAD_CONTROL_FIELD),  # U frame without a function
        (b"\x68\x04\x43\x00\x01\x00", K.BAD_CONTROL_FIELD),  # TESTFR with CF3 set
    ],
    ids=[
        "bad_start",
        "length_3",
        "length_254",
        "u_frame_with_a_body",
        "i_frame_without_asdu",
        "s_frame_second_octet",
        "s_frame_receive_low_bit",
        "two_u_functions",
        "u_frame_without_function",
        "u_frame_third_octet",
    ],
)
def test_broken_apcis_are_named(data: bytes, kind: Iec104Anomaly) -> None:
    result = decode_apdu(data)
    assert isinstance(result, Anomaly) and result.kind == kind


def test_an_i_frame_receive_sequence_with_its_low_bit_set_is_a_bad_control_field() -> None:
    data = bytearray(CLOCK_SYNC)
    data[4] |= 0x01
    result = decode_apdu(bytes(data))
    assert isinstance(result, Anomaly) and result.kind == K.BAD_CONTROL_FIELD


def test_the_framer_rejects_a_wrong_start_and_lengths_out_of_range() -> None:
    assert frame_length(b"") == NEED_DATA
    assert frame_length(b"\x68") == NEED_DATA
    assert frame_length(b"\x00") == INVALID
    assert frame_length(b"\x68\x03") == INVALID
    assert frame_length(b"\x68\xfe") == INVALID
    assert frame_length(b"\x68\xfd") == 255
    assert frame_length(b"\x00\x00\x68\x04", 2) == 6


def test_type_id_0_is_unknown_and_cause_0_invalid() -> None:
    header = bytes((0, 1, 6, 0, 1, 0)) + bytes(4)
    assert decode_asdu(header) == Anomaly(K.UNKNOWN_TYPE, "type identification 0", 0)
    result = decode_asdu(bytes((1, 1, 0x40, 0, 1, 0)) + bytes(4))
    assert isinstance(result, Anomaly) and result.kind == K.INVALID_CAUSE
    with pytest.raises(ValueError, match="cause"):
        encode_asdu(_asdu(1, (), cause=0))
    with pytest.raises(ValueError, match="type id"):
        encode_asdu(_asdu(0, ()))


def test_reserved_and_secure_authentication_types_decode_raw() -> None:
    for type_id in (22, 44, 81, 200, 255):
        data = bytes((type_id, 2, 3, 0, 7, 0)) + bytes.fromhex("0a0000ffee")
        asdu = decode_asdu(data)
        assert isinstance(asdu, Asdu)
        assert asdu.objects == () and asdu.raw == bytes.fromhex("0a0000ffee")
        assert asdu.addresses == (10,)
        assert encode_asdu(asdu) == data


def test_an_asdu_with_no_objects_is_just_its_header() -> None:
    asdu = decode_asdu(bytes((100, 0, 6, 0, 1, 0)))
    assert isinstance(asdu, Asdu) and asdu.objects == () and asdu.number == 0
    trailing = decode_asdu(bytes((100, 0, 6, 0, 1, 0, 0)))
    assert isinstance(trailing, Anomaly) and trailing.kind == K.TRAILING_BYTES


def test_a_segment_of_file_transfer_carries_its_own_length() -> None:
    segment = m.Segment(3, 1, b"firmware bytes")
    asdu = _asdu(125, (InformationObject(0, segment),), cause=13)
    data = encode_asdu(asdu)
    assert decode_asdu(data) == asdu
    cut = decode_asdu(data[:-1])
    assert isinstance(cut, Anomaly) and cut.kind == K.TRUNCATED


@pytest.mark.parametrize(
    ("type_id", "element", "message"),
    [
        (45, m.DoubleCommand(1), "carries SingleCommand"),
        (58, m.SingleCommand(1), "CP24Time2a|CP56Time2a"),
        (51, m.Bitstring(1, qds=0), "has no qds"),
        (2, m.SinglePoint(1, Cp56Time(0, 0, 0, 1, 1, 20)), "CP24Time2a"),
        (1, m.SinglePoint(256), "siq 256"),
        (9, m.Normalized(0x8000, 0), "raw 32768"),
        (125, m.Segment(1, 1, bytes(256)), "segment"),
    ],
)
def test_the_encoder_refuses_elements_its_type_does_not_carry(
    type_id: int, element: m.Element, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        encode_asdu(_asdu(type_id, (InformationObject(1, element),)))


def test_the_encoder_refuses_inconsistent_asdus() -> None:
    one = (InformationObject(1, m.SinglePoint(1)),)
    with pytest.raises(ValueError, match="number"):
        encode_asdu(Asdu(1, False, 2, 3, False, False, 0, 1, one))
    with pytest.raises(ValueError, match="raw"):
        encode_asdu(Asdu(1, False, 0, 3, False, False, 0, 1, raw=b"\x00"))
    with pytest.raises(ValueError, match="no objects"):
        encode_asdu(Asdu(22, False, 1, 3, False, False, 0, 1, one))
    big = tuple(InformationObject(i, m.ShortFloat(0, 0)) for i in range(31))
    with pytest.raises(ValueError, match="exceeds 249"):
        encode_asdu(_asdu(13, big))
    with pytest.raises(ValueError, match="15 bits"):
        encode_apdu(SFrame(0x8000))
    with pytest.raises(ValueError, match="U function"):
        encode_apdu(UFrame(0x0C))


def test_cp56_time_keeps_every_reserved_bit() -> None:
    raw = bytes.fromhex("ffffffffffffff")
    asdu = decode_asdu(bytes((103, 1, 6, 0, 1, 0, 0, 0, 0)) + raw)
    assert isinstance(asdu, Asdu)
    element = asdu.objects[0].element
    assert isinstance(element, m.ClockSync)
    t = element.time
    assert (t.minute, t.hour, t.day, t.day_of_week, t.month, t.year) == (63, 31, 31, 7, 15, 127)
    assert t.invalid and t.substituted and t.summer_time and t.reserved == 0x7F
    assert encode_asdu(asdu)[-7:] == raw


def test_element_values_read_their_bits() -> None:
    assert m.StepPosition(0x7F, 0).value == -1
    assert m.StepPosition(0xBF, 0).transient and m.StepPosition(0xBF, 0).value == 63
    assert m.Normalized(-0x8000).value == -1.0
    assert m.ShortFloat.of(12.5).value == 12.5
    sco = m.SingleCommand(0x81)
    assert sco.on and sco.select and sco.qualifier == 0
    assert m.DoubleCommand(0x06).state == 2 and m.DoubleCommand(0x06).qualifier == 1
    assert m.RegulatingStep(0x82).step == 2 and m.RegulatingStep(0x82).select
    assert m.DoublePoint(0xF2).value == 2 and m.SinglePoint(0xF1).value


def test_peek_reads_format_type_cause_and_address_in_place() -> None:
    assert peek(CLOCK_SYNC) == (0, 103, 7, 1)
    assert peek(b"\x68\x04\x01\x00\x10\x00") == (1, 0, 0, 0)
    assert peek(b"\x68\x04\x43\x00\x00\x00") == (3, 0, 0, 0)
    assert peek(b"\x68\x04\x43") is None
    assert peek(b"\x00" * 6) is None


def test_every_defined_type_has_a_snake_case_name_and_a_category() -> None:
    for type_id in TypeId:
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", type_name(type_id)), type_id
        assert type_category(type_id) in CATEGORIES
        assert type_mnemonic(type_id) == type_id.name
    assert type_name(22) == "type_22" and type_category(22) == "other"
    assert type_mnemonic(200) == "type_200"
    # Every type with a fixed layout is a defined type.
    assert set(LAYOUTS) <= {int(t) for t in TypeId}


@pytest.mark.parametrize(
    ("type_id", "name", "category"),
    [
        (45, "single_command", CONTROL),
        (46, "double_command", CONTROL),
        (47, "regulating_step_command", CONTROL),
        (48, "set_point_normalized", WRITE),
        (49, "set_point_scaled", WRITE),
        (50, "set_point_float", WRITE),
        (51, "bitstring_command", WRITE),
        (58, "single_command_time_tagged", CONTROL),
        (63, "set_point_float_time_tagged", WRITE),
        (100, "interrogation", READ),
        (101, "counter_interrogation", READ),
        (102, "read_command", READ),
        (103, "clock_synchronization", WRITE),
        (105, "reset_process", CONTROL),
        (113, "parameter_activation", WRITE),
        (120, "file_ready", PROGRAM),
        (125, "file_segment", PROGRAM),
        (127, "query_log", PROGRAM),
    ],
)
def test_commands_are_named_and_categorised_as_the_brief_says(
    type_id: int, name: str, category: str
) -> None:
    assert (type_name(type_id), type_category(type_id)) == (name, category)


def test_u_functions_are_session_operations() -> None:
    assert U_NAMES[UFunction.STARTDT_ACT] == "startdt_act"
    assert U_NAMES[UFunction.TESTFR_CON] == "testfr_con"
    assert U_CATEGORY == SESSION


def test_causes_have_names_and_unknown_ones_a_number() -> None:
    assert cause_name(Cause.SPONTANEOUS) == "spontaneous"
    assert cause_name(Cause.INTERROGATED_BY_STATION) == "interrogated_by_station"
    assert cause_name(23) == "interrogated_by_group_3"
    assert cause_name(41) == "requested_by_group_4_counter"
    assert cause_name(Cause.UNKNOWN_COMMON_ADDRESS) == "unknown_common_address"
    assert cause_name(0) == "cause_0" and cause_name(50) == "cause_50"


def test_negative_and_test_bits_round_trip() -> None:
    asdu = _asdu(45, (InformationObject(7, m.SingleCommand(1)),), cause=7, negative=True, test=True)
    data = encode_asdu(asdu)
    assert data[2] == 0xC7
    assert decode_asdu(data) == asdu


def test_the_read_only_queries_build_only_reads() -> None:
    from otm.protocols.iec104 import queries

    built = [
        queries.startdt_act(),
        queries.stopdt_act(),
        queries.testfr_act(),
        queries.acknowledge(5),
        queries.interrogation(),
        queries.interrogation(7, qoi=21, send_seq=3, recv_seq=9),
        queries.counter_interrogation(7),
        queries.read_command(7, 4500),
    ]
    for data in built:
        apdu = decode_apdu(data)
        assert not isinstance(apdu, Anomaly)
        if isinstance(apdu, IFrame):
            assert type_category(apdu.asdu.type_id) == "read"
            assert apdu.asdu.cause in (Cause.REQUEST, Cause.ACTIVATION)
    counters = decode_apdu(queries.counter_interrogation(7))
    assert isinstance(counters, IFrame)
    element = counters.asdu.objects[0].element
    assert isinstance(element, m.CounterInterrogation) and element.qcc >> 6 == 0  # no freeze
    with pytest.raises(ValueError, match="QOI"):
        queries.interrogation(qoi=0)
    with pytest.raises(ValueError, match="RQT"):
        queries.counter_interrogation(request=0x45)
