"""Property tests: arbitrary bytes never break a HART-IP decoder; encode then decode is the
identity."""

from __future__ import annotations

from hartip_strategies import (
    MESSAGES,
    PACKED_TEXT,
    REPLY_PDUS,
    REQUEST_PDUS,
    UNIQUE_IDENTIFIERS,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.hartip import (
    HartIpAnomaly,
    HartIpMessage,
    HartPdu,
    UniqueIdentifier,
    decode_direct_pdu,
    decode_hart_pdu,
    decode_long_tag,
    decode_message,
    decode_tag_descriptor_date,
    decode_unique_identifier,
    encode_direct_pdu,
    encode_hart_pdu,
    encode_long_tag,
    encode_message,
    encode_unique_identifier,
    frame_length,
    pack_ascii,
    peek,
    peek_command,
    split_datagram,
    unpack_ascii,
)

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEEDS = [
    bytes.fromhex(h)
    for h in (
        "010000000001000d0000007530",  # session initiate request
        "010003000003000d0280000082",  # command 0, short frame
        "0101030000030025068000001800fe260105070302210012345605040007000026002601",
        "01000300000400110282a6011234561400" + "41",
        "01010200000300140180000107002041a0000046",  # burst (publish)
        "0103000000000009" + "01",  # error
    )
]


def _check(data: bytes, result: HartIpMessage | Anomaly) -> None:
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, HartIpAnomaly)
        assert 0 <= result.offset <= len(data)
        return
    assert encode_message(result) == data
    head = peek(data)
    assert head is not None and head[:3] == (
        result.version,
        result.message_type,
        result.message_id,
    )


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decode_to_a_message_or_an_anomaly(data: bytes) -> None:
    for seed in SEEDS:
        _check(seed, decode_message(seed))
    _check(data, decode_message(data))


@FUZZ
@given(
    st.sampled_from((1, 2)),
    st.sampled_from((0, 1, 2, 3, 15)),
    st.sampled_from((0, 1, 2, 3, 4, 128)),
    st.binary(max_size=260),
)
def test_a_good_header_with_any_body_decodes_or_gives_an_anomaly(
    version: int, message_type: int, message_id: int, body: bytes
) -> None:
    data = bytes((version, message_type, message_id, 0, 0, 1)) + (8 + len(body)).to_bytes(2, "big")
    _check(data + body, decode_message(data + body))


@FUZZ
@given(st.binary(max_size=280))
@example(b"\xff" * 25 + b"\x02")
def test_arbitrary_pdu_bytes_never_break_the_pdu_decoders(data: bytes) -> None:
    pdu = decode_hart_pdu(data)
    if isinstance(pdu, Anomaly):
        assert isinstance(pdu.kind, HartIpAnomaly)
    else:
        assert encode_hart_pdu(pdu) == data
        assert peek_command(data) == pdu.command_number
    for reply in (False, True):
        direct = decode_direct_pdu(data, reply)
        if not isinstance(direct, Anomaly):
            assert encode_direct_pdu(direct) == data


@FUZZ
@given(st.binary(max_size=64))
def test_reply_decoders_never_raise(data: bytes) -> None:
    ident = decode_unique_identifier(data)
    if isinstance(ident, UniqueIdentifier):
        assert encode_unique_identifier(ident) == data
    assert isinstance(decode_long_tag(data), str | Anomaly)
    assert unpack_ascii(data) is not None
    record = decode_tag_descriptor_date(data)
    assert not isinstance(record, Anomaly) or record.kind == HartIpAnomaly.TRUNCATED


@FUZZ
@given(st.binary(max_size=64), st.integers(0, 8))
def test_the_framer_never_raises_and_agrees_with_the_header(data: bytes, start: int) -> None:
    verdict = frame_length(data, start)
    assert verdict in (INVALID, NEED_DATA) or 8 <= verdict <= 0xFFFF
    if verdict > 0 and start + verdict <= len(data):
        result = decode_message(data[start : start + verdict])
        assert not isinstance(result, Anomaly) or result.kind not in (
            HartIpAnomaly.UNSUPPORTED_VERSION,
            HartIpAnomaly.UNKNOWN_MESSAGE_TYPE,
            HartIpAnomaly.TRUNCATED,
        )


@FUZZ
@given(st.binary(max_size=200))
def test_splitting_a_datagram_keeps_every_octet_in_order(data: bytes) -> None:
    parts = split_datagram(data)
    assert b"".join(parts) == data[: sum(len(p) for p in parts)]
    assert len(parts) <= 64


@ROUND_TRIP
@given(MESSAGES)
def test_every_generated_message_round_trips(message: HartIpMessage) -> None:
    data = encode_message(message)
    assert frame_length(data) == len(data)
    assert decode_message(data) == message
    assert split_datagram(data + data) == [data, data]


@ROUND_TRIP
@given(st.one_of(REQUEST_PDUS, REPLY_PDUS))
def test_every_generated_pdu_round_trips(pdu: HartPdu) -> None:
    assert decode_hart_pdu(encode_hart_pdu(pdu)) == pdu


@ROUND_TRIP
@given(UNIQUE_IDENTIFIERS)
def test_every_generated_command_0_reply_round_trips(ident: UniqueIdentifier) -> None:
    assert decode_unique_identifier(encode_unique_identifier(ident)) == ident


@ROUND_TRIP
@given(PACKED_TEXT, st.text(max_size=32).filter(lambda t: t == t.rstrip("\x00 ")))
def test_packed_ascii_and_long_tags_round_trip(text: str, tag: str) -> None:
    assert unpack_ascii(pack_ascii(text, 6)) == text
    try:
        raw = encode_long_tag(tag)
    except ValueError:
        return  # not ISO Latin-1, or too long once encoded
    assert decode_long_tag(raw) == tag
