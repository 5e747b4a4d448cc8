"""Property tests: arbitrary bytes never break a DNP3 decoder; decode(encode(m)) == m."""

from __future__ import annotations

from collections.abc import Callable

from dnp3_strategies import link_frames, requests, responses
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.dnp3 import (
    Dnp3Anomaly,
    LinkFrame,
    Request,
    Response,
    TransportReassembler,
    crc16,
    decode_application,
    decode_link_frame,
    decode_transport,
    device_attributes,
    encode_application,
    encode_frames,
    encode_link_frame,
    encode_transport,
    frame_length,
    frame_size,
    peek,
    segment_fragment,
    strip_crcs,
    verify_frame,
    walk_objects,
)
from otm.protocols.dnp3.constants import MAX_FRAME_LENGTH

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CAPTURED = [
    bytes.fromhex(h)
    for h in (
        # dnp3.pcap: unsolicited response with events (frame 40), confirm (32),
        # write time and date (7), class 0123 read response (91), select (185),
        # the 0x0505 non-frame (19); DNP3Value.pcap: reset link states (870), a
        # static data response (2).
        "05644c4403000400d86bccf382000033010701e2437d87ff0002f8c3032805000000010000010081"
        "000002005989810000000081f303010001f3032001283b4603000000010000000001000100000000"
        "e8b9020001000000003d62",
        "056408c404000300b4b8c0d200fe52",
        "056412c4040003001e7cc1c10232010701ebe45a87ff002801",
        "05644e44030004006f4dd8c58100000101000005020a02000005ac11010101010101140500000000"
        "000000154e0d09000000000000001e03000006c50000f0ff00c7000000c800000001000000251c00"
        "68ac000e1c0000101c00002a73",
        "05641ac404000300c2e6d2c3030c012801009f86030164000000ec416400000000005b",
        "050511c40400030046a2c2c2143c02063c03063c0406d32f",
        "056405c00100020074e3",
        "056444440200010068afd7c68100000102000000010302000000be9501140100000001000000001501"
        "000000737e01000000001e0100000001000000000a0eb102000000012803000000010000000075f3",
    )
]


def _seeded(*extra: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Adds each captured frame (followed by ``extra`` arguments) as an explicit example."""

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        for frame in CAPTURED:
            test = example(frame, *extra)(test)
        return test

    return decorate


def _bitwise_crc(data: bytes) -> int:
    """CRC-16/DNP one bit at a time, straight from the polynomial (reference)."""
    reg = 0
    for octet in data:
        for bit in range(8):
            top = (reg ^ (octet >> bit)) & 1
            reg >>= 1
            if top:
                reg ^= 0xA6BC
    return reg ^ 0xFFFF


@FUZZ
@given(st.binary(max_size=80))
def test_crc_matches_the_bitwise_definition(data: bytes) -> None:
    assert crc16(data) == _bitwise_crc(data)
    if len(data) > 3:
        assert crc16(data, 1, len(data) - 2) == _bitwise_crc(data[1:-2])


@FUZZ
@given(st.binary(max_size=320))
@_seeded()
def test_link_decoder_arbitrary_bytes(frame: bytes) -> None:
    result = decode_link_frame(frame)
    bad = verify_frame(frame)
    head = peek(frame)
    assert (head is None) == (len(frame) < 10)
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, Dnp3Anomaly)
        assert 0 <= result.offset <= len(frame)
        return
    assert bad is None
    assert encode_link_frame(result) == frame
    assert strip_crcs(frame) == result.user_data
    assert head == (result.control, result.destination, result.source)


@FUZZ
@given(st.binary(max_size=320), st.integers(0, 330))
@_seeded(0)
def test_framer_arbitrary_bytes(buf: bytes, start: int) -> None:
    verdict = frame_length(buf, start)
    assert verdict in (NEED_DATA, INVALID) or 10 <= verdict <= MAX_FRAME_LENGTH
    if verdict > 0:
        assert buf[start : start + 2] == b"\x05\x64"
        assert verdict == frame_size(buf[start + 2])
    if verdict == NEED_DATA:
        assert len(buf) - start < 3


@FUZZ
@given(st.binary(max_size=400))
@_seeded()
def test_application_decoder_arbitrary_bytes(fragment: bytes) -> None:
    result = decode_application(fragment)
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, Dnp3Anomaly)
        assert 0 <= result.offset <= len(fragment)
        return
    assert encode_application(result) == fragment
    assert all(h.data is not None for h in result.objects[:-1])
    if result.rest:
        assert result.objects and result.objects[-1].data is None
    if isinstance(result, Response):
        device_attributes(result)  # never raises on what the walk accepted


@FUZZ
@given(st.binary(max_size=300), st.integers(0, 255), st.integers(0, 10))
def test_object_walk_arbitrary_bytes(buf: bytes, function: int, start: int) -> None:
    result = walk_objects(buf, start, function)
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, Dnp3Anomaly)


@FUZZ
@given(st.binary(max_size=260))
def test_transport_decoder_arbitrary_bytes(user_data: bytes) -> None:
    result = decode_transport(user_data)
    if isinstance(result, Anomaly):
        assert not user_data
    else:
        assert encode_transport(result) == user_data


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=260)), max_size=40))
def test_reassembler_arbitrary_segments(segments: list[tuple[int, bytes]]) -> None:
    reassembler = TransportReassembler(max_fragment=1000)
    for header, data in segments:
        fragment, anomaly = reassembler.push(header, data)
        if fragment is not None:
            assert header & 0x80  # only a final segment completes a fragment
            assert len(fragment) <= 1000
        if anomaly is not None:
            assert isinstance(anomaly.kind, Dnp3Anomaly)
        assert 0 <= reassembler.pending <= 1000


@ROUND_TRIP
@given(link_frames())
def test_link_frame_round_trip(frame: LinkFrame) -> None:
    wire = encode_link_frame(frame)
    assert frame_length(wire + b"\x05", 0) == len(wire)
    assert decode_link_frame(wire) == frame


@ROUND_TRIP
@given(requests())
def test_request_round_trip(request: Request) -> None:
    wire = encode_application(request)
    assert decode_application(wire) == request


@ROUND_TRIP
@given(responses())
def test_response_round_trip(response: Response) -> None:
    wire = encode_application(response)
    assert decode_application(wire) == response


@ROUND_TRIP
@given(st.binary(max_size=3000), st.integers(0, 63), st.integers(0, 0xFFFF))
def test_fragment_survives_segmentation_and_reassembly(
    fragment: bytes, sequence: int, source: int
) -> None:
    frames = encode_frames(0xC4, 1, source, fragment, sequence)
    reassembler = TransportReassembler()
    done: list[bytes] = []
    for wire in frames:
        link = decode_link_frame(wire)
        assert isinstance(link, LinkFrame)
        segment = decode_transport(link.user_data)
        assert not isinstance(segment, Anomaly)
        out, anomaly = reassembler.push(segment.header, segment.data)
        assert anomaly is None
        if out is not None:
            done.append(out)
    assert done == [fragment]
    assert len(list(segment_fragment(fragment))) == len(frames)
