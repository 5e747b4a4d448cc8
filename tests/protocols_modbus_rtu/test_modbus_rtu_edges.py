"""Edge cases of Modbus RTU over TCP, each named after its edge."""

from __future__ import annotations

import pytest

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.modbus import ModbusAnomaly, encode_adu
from otm.protocols.modbus import messages as m
from otm.protocols.modbus.rtu import (
    RtuAnomaly,
    RtuFrame,
    decode_rtu_request,
    encode_rtu,
    frame_length_tcp,
    looks_mbap,
    rtu_frame_length,
    split_frames,
)

READ = encode_rtu(RtuFrame(1, m.ReadRequest(3, 0, 10)))  # 01 03 00 00 00 0a c5 cd
AMBIGUOUS = encode_rtu(RtuFrame(1, m.ReadRequest(3, 0, 2)))  # 01 03 00 00 00 02 c4 0b


def test_the_specification_example_frames_and_decodes() -> None:
    assert READ.hex() == "01030000000ac5cd"
    assert rtu_frame_length(READ) == 8
    assert decode_rtu_request(READ) == RtuFrame(1, m.ReadRequest(3, 0, 10))


def test_an_rtu_read_is_not_mistaken_for_an_mbap_header_that_wants_more() -> None:
    # As MBAP, 01 03 00 00 00 0a would announce 16 octets; the CRC says 8.
    assert frame_length_tcp(READ) == 8
    assert not looks_mbap(READ)


def test_the_ambiguous_rtu_read_is_also_a_whole_mbap_adu() -> None:
    # MBAP length 2, unit 0xc4, "function" 0x0b: both readings cover the 8 octets.
    assert looks_mbap(AMBIGUOUS)
    assert frame_length_tcp(AMBIGUOUS) == 8
    assert decode_rtu_request(AMBIGUOUS) == RtuFrame(1, m.ReadRequest(3, 0, 2))


def test_two_frames_in_one_segment_are_cut_by_their_layouts() -> None:
    second = encode_rtu(RtuFrame(7, m.ReadRequest(2, 0, 8)))
    data = AMBIGUOUS + second
    assert frame_length_tcp(data) == 8  # the CRC, not the MBAP reading (length 2 -> 8) decides
    assert frame_length_tcp(data, 8) == 8
    assert split_frames(data) == [AMBIGUOUS, second]


def test_responses_are_framed_by_their_byte_count() -> None:
    response = encode_rtu(RtuFrame(1, m.ReadRegistersResponse(3, (1, 2, 3))))
    assert len(response) == 5 + 6
    assert rtu_frame_length(response) == 11
    assert rtu_frame_length(response[:4]) == NEED_DATA
    exception = encode_rtu(RtuFrame(1, m.ExceptionResponse(3, 2)))
    assert rtu_frame_length(exception) == 5


def test_a_device_identification_response_is_framed_object_by_object() -> None:
    pdu = m.ReadDeviceIdentificationResponse(
        1, 1, 0, 0, (m.DeviceIdObject(0, b"Acme"), m.DeviceIdObject(1, b"X1"))
    )
    frame = encode_rtu(RtuFrame(3, pdu))
    assert rtu_frame_length(frame) == len(frame)
    assert rtu_frame_length(frame[:10]) == NEED_DATA


@pytest.mark.parametrize("cut", range(1, len(READ)))
def test_a_cut_frame_waits_for_more_octets(cut: int) -> None:
    assert rtu_frame_length(READ[:cut]) == NEED_DATA
    decoded = decode_rtu_request(READ[:cut])
    assert isinstance(decoded, Anomaly)
    assert decoded.kind in (RtuAnomaly.TRUNCATED, RtuAnomaly.BAD_CRC)


def test_a_bad_crc_is_an_anomaly_and_no_frame() -> None:
    bad = READ[:-1] + bytes((READ[-1] ^ 1,))
    decoded = decode_rtu_request(bad)
    assert isinstance(decoded, Anomaly) and decoded.kind == RtuAnomaly.BAD_CRC
    assert rtu_frame_length(bad) == INVALID
    # Not RTU, so the MBAP reading stands, as before RTU was known: 16 octets announced.
    assert frame_length_tcp(bad) == 16
    assert frame_length_tcp(bad[:2] + b"\x01" + bad[3:]) == INVALID  # nor MBAP (protocol id)
    assert split_frames(bad) is None


def test_an_unknown_function_code_cannot_be_framed() -> None:
    frame = encode_rtu(RtuFrame(1, m.RawPdu(0x41, b"\x00\x01")))
    assert rtu_frame_length(frame) == INVALID
    assert decode_rtu_request(frame) == RtuFrame(1, m.RawPdu(0x41, b"\x00\x01"))


def test_a_broken_pdu_in_a_good_frame_gets_the_modbus_anomaly() -> None:
    body = bytes.fromhex("0103000000")  # read request one octet short
    from otm.protocols.modbus.rtu import crc16

    crc = crc16(body)
    decoded = decode_rtu_request(body + bytes((crc & 0xFF, crc >> 8)))
    assert isinstance(decoded, Anomaly) and decoded.kind == ModbusAnomaly.TRUNCATED
    assert decoded.offset >= 1


def test_an_mbap_adu_split_over_segments_still_waits_for_its_length() -> None:
    adu = encode_adu(m.Adu(0x0103, 1, m.ReadRequest(3, 0, 10)))
    assert frame_length_tcp(adu[:9]) == len(adu)
    assert frame_length_tcp(adu[:4]) == NEED_DATA
    assert frame_length_tcp(adu + adu) == len(adu)


def test_the_encoder_refuses_addresses_and_frames_too_large() -> None:
    with pytest.raises(ValueError, match="address"):
        encode_rtu(RtuFrame(256, m.ReadRequest(3, 0, 1)))
    with pytest.raises(ValueError, match="exceeds"):
        encode_rtu(RtuFrame(1, m.ReadBitsResponse(1, bytes(252))))
