"""Property tests: arbitrary bytes never break the GOOSE/SV decoders or the BER reader;
encode then decode is the identity."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from goose_strategies import LEAVES, SV_FRAMES, data, goose_frames, leaf
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fuzz_support import mutate
from otm.protocols.ber import encode_length, integer_contents, read_integer, read_tlv
from otm.protocols.common import Anomaly
from otm.protocols.goose import (
    Data,
    DataKind,
    GooseAnomaly,
    GooseFrame,
    SvFrame,
    decode_data_list,
    decode_goose,
    decode_sv,
    encode_data,
    encode_goose,
    encode_sv,
    peek_goose_state,
    peek_header,
)
from otm.protocols.goose.anomalies import BER_KINDS

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# GOOSE frames from the shared captures (iedscout.pcap frames 14 and 83, mmsy.pcap frame 1).
CAPTURED = [
    bytes.fromhex(h)
    for h in (
        "015000958000000061818a801e4f475f5452414c44302f4c4c4e3024474f24676362545264657672656465"
        "81024e2082184f475f5452414c44302f4c4c4e3024545264657672656465831b4f475f5452414c44302f4c"
        "4c4e302e67636254526465767265646584085c4ed0ac1e917c3f850103860201ef87010188016489010"
        "08a0104ab1084030300008403030000830101830101",
        "0150009480000000618189801e4f475f5452414c44302f4c4c4e3024474f24676362545264657672656465"
        "8102008082184f475f5452414c44302f4c4c4e3024545264657672656465831b4f475f5452414c44302f4c"
        "4c4e302e67636254526465767265646584085c4ee3af2e382a3f850104860104870101880164890100"
        "8a0104ab1084030300008403030000830100830101",
        "015000958000000061818a801e4f475f5452414c44302f4c4c4e3024474f24676362545264657672656465"
        "81024e2082184f475f5452414c44302f4c4c4e3024545264657672656465831b4f475f5452414c44302f4c"
        "4c4e302e67636254526465767265646584085c6fba65a034db3f850111860200a487010188016489010"
        "08a0104ab1084030300008403030000830100830100",
    )
]


def _seeded(test: Callable[..., None]) -> Callable[..., None]:
    for frame in CAPTURED:
        test = example(frame)(test)
    return test


def _check(result: object, size: int) -> None:
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, GooseAnomaly)
        assert 0 <= result.offset <= size


@FUZZ
@given(st.binary(max_size=400))
@_seeded
def test_decode_goose_arbitrary_bytes(payload: bytes) -> None:
    result = decode_goose(payload)
    _check(result, len(payload))
    state = peek_goose_state(payload)
    if isinstance(result, GooseFrame):
        assert decode_goose(encode_goose(result)) == result
        if state is not None:
            assert state[:2] == (result.pdu.st_num, result.pdu.sq_num)
    header = peek_header(payload)
    assert (header is None) == (len(payload) < 8)


@FUZZ
@given(st.binary(max_size=400))
def test_decode_sv_arbitrary_bytes(payload: bytes) -> None:
    result = decode_sv(payload)
    _check(result, len(payload))
    if isinstance(result, SvFrame):
        for asdu in result.pdu.asdus:
            assert isinstance(asdu.measurements, tuple)


@FUZZ
@given(st.binary(max_size=300))
def test_decode_data_list_arbitrary_bytes(raw: bytes) -> None:
    result = decode_data_list(raw, 0, len(raw))
    _check(result, len(raw))
    if not isinstance(result, Anomaly):
        again = b"".join(encode_data(d) for d in result)
        assert decode_data_list(again, 0, len(again)) == result


@FUZZ
@given(st.binary(max_size=40), st.integers(0, 45))
def test_read_tlv_arbitrary_bytes(raw: bytes, pos: int) -> None:
    result = read_tlv(raw, pos, len(raw), BER_KINDS)
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, GooseAnomaly)
        return
    tag, start, stop = result
    assert tag == raw[pos] and pos + 2 <= start <= stop <= len(raw)


@FUZZ
@given(goose_frames(), st.integers(0, 3000), st.integers(0, 3), st.integers(0, 255))
def test_decode_mutated_goose(frame: GooseFrame, where: int, how: int, value: int) -> None:
    broken = mutate(encode_goose(frame), where, how, value)
    _check(decode_goose(broken), len(broken))
    peek_goose_state(broken)


@FUZZ
@given(SV_FRAMES, st.integers(0, 3000), st.integers(0, 3), st.integers(0, 255))
def test_decode_mutated_sv(frame: SvFrame, where: int, how: int, value: int) -> None:
    broken = mutate(encode_sv(frame), where, how, value)
    _check(decode_sv(broken), len(broken))


@ROUND_TRIP
@given(goose_frames())
def test_goose_round_trip(frame: GooseFrame) -> None:
    wire = encode_goose(frame)
    assert decode_goose(wire) == frame
    assert decode_goose(wire + bytes(30)) == frame, "Ethernet padding is ignored"
    pdu = frame.pdu
    assert peek_goose_state(wire) == (pdu.st_num, pdu.sq_num, pdu.simulation)
    assert peek_header(wire) == (frame.appid, len(wire), frame.reserved1)


@pytest.mark.parametrize("kind", sorted(LEAVES, key=int), ids=lambda k: k.name.lower())
@ROUND_TRIP
@given(data=st.data())
def test_data_round_trip_per_kind(kind: DataKind, data: st.DataObject) -> None:
    value = data.draw(leaf(kind))
    wire = encode_data(value)
    assert decode_data_list(wire, 0, len(wire)) == (value,)


@ROUND_TRIP
@given(st.lists(data(4), max_size=6))
def test_nested_data_round_trip(values: list[Data]) -> None:
    wire = b"".join(encode_data(v) for v in values)
    assert decode_data_list(wire, 0, len(wire)) == tuple(values)


@ROUND_TRIP
@given(SV_FRAMES)
def test_sv_round_trip(frame: SvFrame) -> None:
    wire = encode_sv(frame)
    assert decode_sv(wire) == frame
    assert decode_sv(wire + bytes(30)) == frame


@FUZZ
@given(st.integers(-(2**80), 2**80))
def test_ber_integer_round_trip(value: int) -> None:
    octets = integer_contents(value)
    assert read_integer(octets, 0, len(octets)) == value
    # Minimal: dropping the first octet would change the value (or leave none).
    assert len(octets) == 1 or read_integer(octets, 1, len(octets)) != value


@FUZZ
@given(st.integers(0, 2**32 - 1))
def test_ber_length_round_trip(length: int) -> None:
    raw = b"\x04" + encode_length(length) + bytes(min(length, 3))
    result = read_tlv(raw, 0, len(raw) + length, BER_KINDS)
    assert not isinstance(result, Anomaly)
    assert result[2] - result[1] == length


def test_hostile_inputs_are_answered() -> None:
    """Deep nesting, 64 KiB of empty elements and huge declared lengths are
    answered with a value or an anomaly (no recursion, no loop)."""
    nested = b"\xa2\x02" * 30 + b"\x83\x01\x01"
    flat = b"\x83\x01\x01" * 20_000
    deep = decode_data_list(nested, 0, len(nested))
    many = decode_data_list(flat, 0, len(flat))
    huge = decode_goose(b"\x00\x01\xff\xff\x00\x00\x00\x00\x61\x84\xff\xff\xff\xff")
    assert isinstance(deep, Anomaly) and deep.kind in (
        GooseAnomaly.TOO_DEEP,
        GooseAnomaly.TRUNCATED,
    )
    assert isinstance(many, tuple) and len(many) == 20_000
    assert isinstance(huge, Anomaly) and huge.kind is GooseAnomaly.TRUNCATED
