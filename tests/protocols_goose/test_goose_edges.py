"""GOOSE and SV edge cases, each named after its edge.

Frames come from the shared captures (file and frame given) or are built
with the encoders and then broken on purpose, byte by byte.
"""

from __future__ import annotations

import struct

import pytest

from otm.protocols.ber import encode_tlv
from otm.protocols.common import Anomaly
from otm.protocols.goose import (
    Asdu,
    BitString,
    Data,
    DataKind,
    GooseAnomaly,
    GooseFrame,
    GoosePdu,
    SavPdu,
    SvFrame,
    UtcTime,
    decode_data_list,
    decode_goose,
    decode_sv,
    encode_data,
    encode_goose,
    encode_sv,
    peek_goose_state,
)
from otm.protocols.goose.data import MAX_DEPTH

# iedscout.pcap frame 14: an IED in simulation mode, stNum 3, sqNum 495.
IEDSCOUT = bytes.fromhex(
    "015000958000000061818a801e4f475f5452414c44302f4c4c4e3024474f2467636254526465767265646581"
    "024e2082184f475f5452414c44302f4c4c4e3024545264657672656465831b4f475f5452414c44302f4c4c4e"
    "302e67636254526465767265646584085c4ed0ac1e917c3f850103860201ef8701018801648901008a0104ab"
    "1084030300008403030000830101830101"
)
T = UtcTime(1_600_000_000, 0x800000, 0x0A)


def _pdu(**changes: object) -> GoosePdu:
    base = GoosePdu(
        gocb_ref="IED1LD0/LLN0$GO$gcb1",
        time_allowed_to_live=2000,
        dat_set="IED1LD0/LLN0$DS1",
        go_id="gcb1",
        t=T,
        st_num=1,
        sq_num=0,
        simulation=False,
        conf_rev=1,
        nds_com=False,
        num_dat_set_entries=1,
        all_data=(Data(DataKind.BOOLEAN, True),),
    )
    fields = {name: getattr(base, name) for name in base.__dataclass_fields__}
    fields.update(changes)
    return GoosePdu(**fields)  # type: ignore[arg-type]


def _goose(**changes: object) -> bytes:
    return encode_goose(GooseFrame(0x0001, 0, 0, _pdu(**changes)))


def _wrap(elements: bytes, tag: int = 0x61, appid: int = 1) -> bytes:
    """A header and an APDU around raw goosePdu/savPdu elements."""
    apdu = encode_tlv(tag, elements)
    return struct.pack(">HHHH", appid, 8 + len(apdu), 0, 0) + apdu


def _elements(frame: bytes) -> bytes:
    """The goosePdu elements of an encoded frame (short-form lengths assumed)."""
    assert frame[9] < 0x80 or frame[9] == 0x81
    return frame[11:] if frame[9] == 0x81 else frame[10:]


def _kind(result: object) -> GooseAnomaly:
    assert isinstance(result, Anomaly), result
    assert isinstance(result.kind, GooseAnomaly)
    return result.kind


# --- real frames ---


def test_iedscout_frame_in_simulation() -> None:
    frame = decode_goose(IEDSCOUT)
    assert isinstance(frame, GooseFrame)
    assert frame.appid == 0x150 and frame.simulated
    pdu = frame.pdu
    assert pdu.gocb_ref == "OG_TRALD0/LLN0$GO$gcbTRdevrede"
    assert pdu.dat_set == "OG_TRALD0/LLN0$TRdevrede"
    assert pdu.go_id == "OG_TRALD0/LLN0.gcbTRdevrede"
    assert (pdu.st_num, pdu.sq_num, pdu.simulation, pdu.conf_rev) == (3, 495, True, 100)
    assert (pdu.time_allowed_to_live, pdu.nds_com, pdu.num_dat_set_entries) == (20000, False, 4)
    assert pdu.t.seconds == 1548669100 and pdu.t.nanoseconds == 119407415
    assert not pdu.t.clock_failure and pdu.t.accuracy_bits == 0x1F
    assert pdu.all_data == (
        Data(DataKind.BIT_STRING, BitString(3, b"\x00\x00")),
        Data(DataKind.BIT_STRING, BitString(3, b"\x00\x00")),
        Data(DataKind.BOOLEAN, True),
        Data(DataKind.BOOLEAN, True),
    )
    assert pdu.all_data[0].value == BitString(3, b"\x00\x00")
    assert BitString(3, b"\x00\x00").bits == "0" * 13
    assert peek_goose_state(IEDSCOUT) == (3, 495, True)
    assert encode_goose(frame) == IEDSCOUT


def test_truncation_at_every_byte() -> None:
    for cut in range(len(IEDSCOUT)):
        assert _kind(decode_goose(IEDSCOUT[:cut])) is GooseAnomaly.TRUNCATED


def test_padding_after_the_length() -> None:
    frame = decode_goose(IEDSCOUT + bytes(12))
    assert isinstance(frame, GooseFrame) and frame.pdu.sq_num == 495


# --- header ---


def test_length_below_the_header() -> None:
    bad = IEDSCOUT[:2] + b"\x00\x07" + IEDSCOUT[4:]
    assert _kind(decode_goose(bad)) is GooseAnomaly.BAD_LENGTH


def test_bytes_after_the_pdu_inside_the_length() -> None:
    bad = IEDSCOUT[:2] + struct.pack(">H", len(IEDSCOUT) + 2) + IEDSCOUT[4:] + b"\x00\x00"
    assert _kind(decode_goose(bad)) is GooseAnomaly.TRAILING_BYTES


def test_gse_management_pdu_is_not_goose() -> None:
    assert _kind(decode_goose(_wrap(b"\x80\x01\x00", tag=0xA0))) is GooseAnomaly.UNKNOWN_PDU


def test_goose_frame_is_not_sampled_values() -> None:
    assert _kind(decode_sv(IEDSCOUT)) is GooseAnomaly.UNKNOWN_PDU


# --- BER ---


def test_high_tag_number_form() -> None:
    assert _kind(decode_goose(_wrap(b"\x9f\x21\x01\x00"))) is GooseAnomaly.BAD_TAG


@pytest.mark.parametrize(
    "length", [b"\x80", b"\x85\x00\x00\x00\x00\x01"], ids=["indefinite", "five_octets"]
)
def test_unsupported_ber_lengths(length: bytes) -> None:
    assert _kind(decode_goose(_wrap(b"\x80" + length + b"\x00"))) is GooseAnomaly.BAD_BER_LENGTH


def test_long_form_lengths_longer_than_needed_are_read() -> None:
    elements = _elements(_goose())
    padded = b"\x80\x82\x00\x14" + elements[2:]  # gocbRef length 20 written in 3 octets
    frame = decode_goose(_wrap(padded))
    assert isinstance(frame, GooseFrame) and frame.pdu == _pdu()


def test_integer_written_without_its_leading_zero_is_read_unsigned() -> None:
    elements = _elements(_goose(st_num=1))
    patched = elements.replace(b"\x85\x01\x01", b"\x85\x01\xc8")  # stNum 200 in one octet
    frame = decode_goose(_wrap(patched))
    assert isinstance(frame, GooseFrame) and frame.pdu.st_num == 200


# --- goosePdu fields ---


@pytest.mark.parametrize("tag", [0x80, 0x81, 0x82, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0xAB])
def test_missing_mandatory_field(tag: int) -> None:
    elements = _elements(_goose())
    kept = b""
    pos = 0
    while pos < len(elements):
        size = 2 + elements[pos + 1]
        if elements[pos] != tag:
            kept += elements[pos : pos + size]
        pos += size
    assert _kind(decode_goose(_wrap(kept))) is GooseAnomaly.MISSING_FIELD


def test_optional_go_id_absent() -> None:
    frame = decode_goose(_goose(go_id=None))
    assert isinstance(frame, GooseFrame) and frame.pdu.go_id is None


def test_duplicate_field() -> None:
    elements = _elements(_goose())
    assert _kind(decode_goose(_wrap(elements + b"\x85\x01\x02"))) is GooseAnomaly.DUPLICATE_FIELD


def test_unknown_context_field_is_ignored() -> None:
    elements = _elements(_goose())
    frame = decode_goose(_wrap(elements + b"\x9e\x01\x00"))
    assert isinstance(frame, GooseFrame) and frame.pdu == _pdu()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"\x87\x01\x00", b"\x87\x02\x00\x00"),
        (b"\x89\x01\x00", b"\x89\x00"),
        (b"\x85\x01\x01", b"\x85\x00"),
        (b"\x85\x01\x01", b"\x85\x09" + bytes(9)),
    ],
    ids=["simulation_2_bytes", "nds_com_empty", "st_num_empty", "st_num_9_bytes"],
)
def test_field_content_not_fitting_its_type(old: bytes, new: bytes) -> None:
    elements = _elements(_goose())
    assert old in elements
    assert _kind(decode_goose(_wrap(elements.replace(old, new, 1)))) is GooseAnomaly.BAD_VALUE


def test_utc_time_of_seven_bytes() -> None:
    elements = _elements(_goose())
    at = elements.index(b"\x84\x08")
    bad = elements[:at] + b"\x84\x07" + elements[at + 2 : at + 9] + elements[at + 10 :]
    assert _kind(decode_goose(_wrap(bad))) is GooseAnomaly.BAD_VALUE


def test_peek_needs_st_num_and_sq_num_before_all_data() -> None:
    assert peek_goose_state(_goose()) == (1, 0, False)
    assert peek_goose_state(IEDSCOUT[:40]) is None
    assert peek_goose_state(b"\x00" * 8 + b"\x60\x00") is None


# --- dataset values ---


def _one(raw: bytes) -> Data | GooseAnomaly:
    result = decode_data_list(raw, 0, len(raw))
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, GooseAnomaly)
        return result.kind
    assert len(result) == 1
    return result[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("830101", Data(DataKind.BOOLEAN, True)),
        ("8301ff", Data(DataKind.BOOLEAN, True)),
        ("850180", Data(DataKind.INTEGER, -128)),
        ("86020080", Data(DataKind.UNSIGNED, 128)),
        ("8705083fc00000", Data(DataKind.FLOATING_POINT, 1.5)),
        ("87090b3ff8000000000000", Data(DataKind.FLOATING_POINT, 1.5)),
        ("8703043f80", Data(DataKind.FLOATING_POINT, bytes.fromhex("043f80"))),
        ("840100", Data(DataKind.BIT_STRING, BitString(0, b""))),
        ("8a03616263", Data(DataKind.VISIBLE_STRING, "abc")),
        ("8a02e9e8", Data(DataKind.VISIBLE_STRING, "éè")),
        ("9003c3a961", Data(DataKind.MMS_STRING, "éa")),
        (
            "910800000001800000 0a".replace(" ", ""),
            Data(DataKind.UTC_TIME, UtcTime(1, 0x800000, 10)),
        ),
        ("a100", Data(DataKind.ARRAY, ())),
    ],
    ids=[
        "boolean",
        "boolean_ff",
        "integer_negative",
        "unsigned_with_leading_zero",
        "float_single",
        "float_double",
        "float_odd_width_raw",
        "empty_bit_string",
        "visible_string",
        "visible_string_latin1",
        "mms_string_utf8",
        "utc_time",
        "empty_array",
    ],
)
def test_data_values(raw: str, expected: Data) -> None:
    assert _one(bytes.fromhex(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("83020101", GooseAnomaly.BAD_VALUE),
        ("8500", GooseAnomaly.BAD_VALUE),
        ("840108", GooseAnomaly.BAD_VALUE),
        ("840103", GooseAnomaly.BAD_VALUE),
        ("9107" + "00" * 7, GooseAnomaly.BAD_VALUE),
        ("800100", GooseAnomaly.UNKNOWN_DATA_TYPE),
        ("920100", GooseAnomaly.UNKNOWN_DATA_TYPE),
        ("a30100", GooseAnomaly.UNKNOWN_DATA_TYPE),
        ("8100", GooseAnomaly.UNKNOWN_DATA_TYPE),
        ("030101", GooseAnomaly.UNKNOWN_DATA_TYPE),
        ("a202830101", GooseAnomaly.TRUNCATED),
    ],
    ids=[
        "boolean_2_bytes",
        "integer_empty",
        "bit_string_8_unused",
        "bit_string_unused_without_octets",
        "utc_time_7_bytes",
        "tag_0",
        "tag_18",
        "constructed_boolean",
        "primitive_array",
        "universal_boolean",
        "member_overruns_structure",
    ],
)
def test_broken_data_values(raw: str, kind: GooseAnomaly) -> None:
    assert _one(bytes.fromhex(raw)) is kind


def test_nesting_depth_limit() -> None:
    def nest(levels: int) -> bytes:
        inner = b"\x83\x01\x01"
        for _ in range(levels):
            inner = encode_tlv(0xA2, inner)
        return inner

    ok = nest(MAX_DEPTH - 1)
    assert isinstance(decode_data_list(ok, 0, len(ok)), tuple)
    deep = nest(MAX_DEPTH)
    assert _one(deep) is GooseAnomaly.TOO_DEEP


def test_encode_data_refuses_a_value_of_the_wrong_kind() -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        encode_data(Data(DataKind.BOOLEAN, 1))
    with pytest.raises(ValueError, match="cannot encode"):
        encode_data(Data(DataKind.INTEGER, True))


def test_float_encoding_picks_single_precision_when_exact() -> None:
    assert encode_data(Data(DataKind.FLOATING_POINT, 0.5)) == bytes.fromhex("8705083f000000")
    assert len(encode_data(Data(DataKind.FLOATING_POINT, 0.1))) == 11
    assert len(encode_data(Data(DataKind.FLOATING_POINT, float("inf")))) == 7
    assert len(encode_data(Data(DataKind.FLOATING_POINT, 1e300))) == 11


# --- Sampled Values ---

ASDU = Asdu("MU01", None, 3999, 1, None, 2, None, struct.pack(">" + "iI" * 8, *range(16)))


def test_sv_frame_with_measurements() -> None:
    frame = SvFrame(0x4000, 0x8000, 0, SavPdu(1, (ASDU,)))
    decoded = decode_sv(encode_sv(frame))
    assert decoded == frame
    assert isinstance(decoded, SvFrame) and decoded.simulated
    assert decoded.pdu.asdus[0].measurements == tuple((2 * i, 2 * i + 1) for i in range(8))


def test_sv_samples_not_a_multiple_of_eight() -> None:
    assert Asdu("x", None, 0, 0, None, 0, None, b"\x00" * 7).measurements == ()


def test_sv_counters_are_fixed_width_unsigned() -> None:
    wire = encode_sv(SvFrame(0x4000, 0, 0, SavPdu(1, (ASDU,))))
    assert b"\x82\x02\x0f\x9f" in wire  # smpCnt 3999 in two octets
    assert b"\x83\x04\x00\x00\x00\x01" in wire  # confRev in four
    high = Asdu("MU01", None, 0x8000, 0xFFFFFFFF, None, 1, 4000, b"")
    decoded = decode_sv(encode_sv(SvFrame(0x4000, 0, 0, SavPdu(1, (high,)))))
    assert isinstance(decoded, SvFrame) and decoded.pdu.asdus == (high,)


def test_sv_missing_asdu_field() -> None:
    asdu = encode_tlv(0x80, b"MU01") + encode_tlv(0x82, b"\x00\x01")
    pdu = encode_tlv(0x80, b"\x01") + encode_tlv(0xA2, encode_tlv(0x30, asdu))
    assert _kind(decode_sv(_wrap(pdu, tag=0x60))) is GooseAnomaly.MISSING_FIELD


def test_sv_seq_asdu_holding_something_else() -> None:
    pdu = encode_tlv(0x80, b"\x01") + encode_tlv(0xA2, encode_tlv(0x31, b""))
    assert _kind(decode_sv(_wrap(pdu, tag=0x60))) is GooseAnomaly.BAD_VALUE


def test_sv_without_seq_asdu() -> None:
    assert (
        _kind(decode_sv(_wrap(encode_tlv(0x80, b"\x01"), tag=0x60))) is GooseAnomaly.MISSING_FIELD
    )


def test_sv_truncation_at_every_byte() -> None:
    wire = encode_sv(SvFrame(0x4000, 0, 0, SavPdu(2, (ASDU, ASDU))))
    for cut in range(len(wire)):
        assert _kind(decode_sv(wire[:cut])) is GooseAnomaly.TRUNCATED
