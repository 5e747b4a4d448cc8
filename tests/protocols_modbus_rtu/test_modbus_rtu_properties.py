"""Property tests of Modbus RTU over TCP: CRC, framing from the function code's layout,
and the port-502 framer that must keep Modbus/TCP as it was."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.modbus import encode_adu, frame_length
from otm.protocols.modbus import messages as m
from otm.protocols.modbus.rtu import (
    MAX_FRAME,
    RtuFrame,
    crc16,
    decode_rtu_request,
    decode_rtu_response,
    encode_rtu,
    frame_length_tcp,
    looks_mbap,
    rtu_frame_length,
    split_frames,
)

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
regs = st.lists(u16, max_size=60).map(tuple)

REQUESTS = st.one_of(
    st.builds(m.ReadRequest, st.sampled_from((1, 2, 3, 4)), u16, u16),
    st.builds(m.WriteSingle, st.sampled_from((5, 6)), u16, u16),
    st.builds(m.WriteMultipleRegistersRequest, u16, regs),
    st.builds(m.NoDataRequest, st.sampled_from((7, 11, 12, 17))),
    st.builds(m.Diagnostics, u16, st.binary(min_size=2, max_size=2)),
    st.builds(m.MaskWriteRegister, u16, u16, u16),
    st.builds(m.ReadFifoQueueRequest, u16),
    st.builds(m.ReadDeviceIdentificationRequest, st.integers(1, 4), u8),
    st.builds(m.ReadWriteMultipleRequest, u16, u16, u16, regs),
)
RESPONSES = st.one_of(
    st.builds(m.ReadBitsResponse, st.sampled_from((1, 2)), st.binary(max_size=200)),
    st.builds(m.ReadRegistersResponse, st.sampled_from((3, 4, 23)), regs),
    st.builds(m.WriteSingle, st.sampled_from((5, 6)), u16, u16),
    st.builds(m.WriteMultipleResponse, st.sampled_from((15, 16)), u16, u16),
    st.builds(m.ReadExceptionStatusResponse, u8),
    st.builds(m.CommEventCounterResponse, u16, u16),
    st.builds(m.ExceptionResponse, st.integers(1, 127), st.sampled_from((1, 2, 3, 4, 6))),
    st.builds(m.ReadFifoQueueResponse, st.lists(u16, max_size=31).map(tuple)),
    st.builds(
        m.ReadDeviceIdentificationResponse,
        st.integers(1, 4),
        u8,
        st.sampled_from((0, 255)),
        u8,
        st.lists(st.builds(m.DeviceIdObject, u8, st.binary(max_size=20)), max_size=6).map(tuple),
    ),
)


def test_crc16_of_the_specification_example() -> None:
    # Modbus over Serial Line V1.02, 6.2.2: "01 03 00 00 00 0A" -> CRC C5 CD (low octet first).
    frame = bytes.fromhex("01030000000a")
    assert crc16(frame) == 0xCDC5
    assert crc16(frame + b"\xc5\xcd") == 0


@ROUND_TRIP
@given(u8, REQUESTS)
def test_every_generated_request_frame_round_trips_and_frames_itself(
    address: int, pdu: m.RequestPdu
) -> None:
    frame = encode_rtu(RtuFrame(address, pdu))
    assert decode_rtu_request(frame) == RtuFrame(address, pdu)
    # RTU carries no length: the framer tries each layout the function code
    # allows (request or response) and takes the shortest with a valid CRC.
    # When a shorter layout's last two octets happen to be its CRC (about 1 in
    # 65,536 frames) the bytes are ambiguous on the wire; that is the only
    # case in which the framer may cut elsewhere.
    cut = rtu_frame_length(frame)
    assert cut == len(frame) or (0 < cut < len(frame) and crc16(frame, 0, cut) == 0)
    assume(cut == len(frame))
    assert frame_length_tcp(frame) == len(frame)
    assert split_frames(frame + frame) == [frame, frame]


@ROUND_TRIP
@given(u8, RESPONSES)
def test_every_generated_response_frame_round_trips_and_frames_itself(
    address: int, pdu: m.ResponsePdu
) -> None:
    frame = encode_rtu(RtuFrame(address, pdu))
    assert decode_rtu_response(frame) == RtuFrame(address, pdu)
    assert rtu_frame_length(frame) == len(frame)
    assert frame_length_tcp(frame) == len(frame)


@ROUND_TRIP
@given(u16, u8, st.one_of(REQUESTS, RESPONSES))
def test_one_whole_mbap_adu_is_framed_as_before(tid: int, unit: int, pdu: m.Pdu) -> None:
    adu = encode_adu(m.Adu(tid, unit, pdu))
    assert frame_length_tcp(adu) == frame_length(adu) == len(adu)
    assert looks_mbap(adu)


@FUZZ
@given(st.binary(max_size=300), st.integers(0, 6))
def test_the_framers_never_raise_and_stay_in_bounds(data: bytes, start: int) -> None:
    rtu = rtu_frame_length(data, start)
    assert rtu in (INVALID, NEED_DATA) or 4 <= rtu <= MAX_FRAME
    if rtu > 0:
        assert start + rtu <= len(data)
        assert crc16(data, start, start + rtu) == 0
    both = frame_length_tcp(data, start)
    assert both in (INVALID, NEED_DATA) or 4 <= both <= 261
    mbap = frame_length(data, start)
    if mbap > 0 and mbap == len(data) - start:
        assert both == mbap  # an exactly buffered MBAP ADU keeps its length


@FUZZ
@given(st.binary(max_size=300))
def test_decoders_and_splitting_never_raise(data: bytes) -> None:
    for decoded in (decode_rtu_request(data), decode_rtu_response(data)):
        if not isinstance(decoded, Anomaly):
            assert encode_rtu(decoded) == data
    frames = split_frames(data)
    if frames is not None:
        assert b"".join(frames) == data
