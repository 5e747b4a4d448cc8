"""Property tests: arbitrary bytes never break the FINS decoders; encode, decode: identity."""

from __future__ import annotations

from collections.abc import Callable

from fins_strategies import (
    commands,
    controller_data,
    controller_status,
    frames,
    parameters,
    responses,
    tcp_messages,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fuzz_support import mutate
from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.fins import (
    COMMAND_OF,
    ControllerData,
    ControllerStatus,
    FinsAnomaly,
    FinsCommand,
    FinsHeader,
    FinsResponse,
    FinsTcpMessage,
    decode_controller_data,
    decode_controller_status,
    decode_frame,
    decode_parameters,
    decode_tcp,
    encode_controller_data,
    encode_controller_status,
    encode_frame,
    encode_parameters,
    encode_tcp,
    frame_length,
    peek,
)
from otm.protocols.fins.constants import MAX_TCP_LENGTH

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Frames and FINS/TCP messages of omron.pcap and omron_test.pcap, seeding the fuzzers.
CAPTURED = [
    bytes.fromhex(h)
    for h in (
        "8000020000000000007a010100cccccc0001",
        "8000020000000000007a010185cccccc0002",
        "8000020000000000007a0501",
        "c100020000000000007a01010101",
        "c100020000000000007a060100000000ffffffffffffffff41414141414141414141414141414141",
        "46494e530000000c000000000000000000000000",
        "46494e53000000100000000100000000000000fb000000c8",
        "46494e5300000015000000020000000080000200c8000000ef05050100",
        "46494e53000000720000000200000000c0000200fbef00c80005050100004350314c2d454c3230"
        "44522d440000002020202030312e3030000000000030312e303600000000000000000000000000"
        "0000000000000000000000010000000000000000000000000000000000010003000a172a100800"
        "0000000000",
    )
]


def _seeded(*extra: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        for data in CAPTURED:
            test = example(data, *extra)(test)
        return test

    return decorate


def test_the_seeds_are_real_messages() -> None:
    for data in CAPTURED:
        decoded = decode_tcp(data) if data.startswith(b"FINS") else decode_frame(data)
        assert not isinstance(decoded, Anomaly), (data.hex(), decoded)


def _check_frame(data: bytes) -> None:
    result = decode_frame(data)
    head = peek(data)
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, FinsAnomaly)
        assert 0 <= result.offset <= len(data)
        assert head is None or (head[0] & 0x40 and len(data) < 14)
        return
    assert encode_frame(result) == data
    assert head is not None
    assert head[1] == result.command_code
    if isinstance(result, FinsResponse):
        assert head[2] == result.end_code
    else:
        assert head[2] == -1
        typed = decode_parameters(result)
        if typed is not None and not isinstance(typed, Anomaly):
            assert encode_parameters(typed) == result.data


@FUZZ
@given(st.binary(max_size=200))
@_seeded()
def test_decode_frame_arbitrary_bytes(data: bytes) -> None:
    _check_frame(data)


@FUZZ
@given(st.binary(max_size=200))
@_seeded()
def test_decode_tcp_arbitrary_bytes(data: bytes) -> None:
    result = decode_tcp(data)
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, FinsAnomaly)
        assert 0 <= result.offset <= len(data)
        return
    assert encode_tcp(result) == data
    assert frame_length(data) == len(data)


@FUZZ
@given(st.binary(max_size=64), st.integers(0, 70))
@_seeded(0)
def test_frame_length_arbitrary_bytes(buf: bytes, start: int) -> None:
    verdict = frame_length(buf, start)
    assert verdict in (NEED_DATA, INVALID) or 16 <= verdict <= 8 + MAX_TCP_LENGTH
    if verdict == NEED_DATA:
        assert len(buf) - start < 8
        assert buf[start : start + 4] == b"FINS"[: max(0, len(buf) - start)]
    if verdict > 0:
        assert buf[start : start + 4] == b"FINS"
        assert verdict == 8 + int.from_bytes(buf[start + 4 : start + 8], "big")


@FUZZ
@given(st.binary(max_size=200))
def test_response_data_decoders_arbitrary_bytes(data: bytes) -> None:
    cd = decode_controller_data(data)
    assert encode_controller_data(cd) == data
    cs = decode_controller_status(data)
    if isinstance(cs, Anomaly):
        assert len(data) < 10
    else:
        assert encode_controller_status(cs) == data


@FUZZ
@given(commands(), st.sampled_from(sorted(COMMAND_OF.values())))
def test_parameters_of_any_bytes_never_raise(command: FinsCommand, code: int) -> None:
    command = FinsCommand(command.header, code, command.data)
    typed = decode_parameters(command)
    if typed is not None and not isinstance(typed, Anomaly):
        assert encode_parameters(typed) == command.data


@FUZZ
@given(tcp_messages(), st.integers(0, 300), st.integers(0, 3), st.integers(0, 255))
def test_decode_mutated_tcp_messages(
    message: FinsTcpMessage, where: int, how: int, value: int
) -> None:
    broken = mutate(encode_tcp(message), where, how, value)
    result = decode_tcp(broken)
    if not isinstance(result, Anomaly):
        assert encode_tcp(result) == broken
    _check_frame(broken[16:])


@ROUND_TRIP
@given(frames())
def test_frame_round_trip(frame: FinsCommand | FinsResponse) -> None:
    wire = encode_frame(frame)
    assert decode_frame(wire) == frame
    assert peek(wire) is not None


@ROUND_TRIP
@given(responses())
def test_response_round_trip_keeps_the_end_code(response: FinsResponse) -> None:
    decoded = decode_frame(encode_frame(response))
    assert isinstance(decoded, FinsResponse)
    assert decoded.end_code == response.end_code


@ROUND_TRIP
@given(tcp_messages())
def test_tcp_round_trip(message: FinsTcpMessage) -> None:
    wire = encode_tcp(message)
    assert decode_tcp(wire) == message
    assert frame_length(wire + b"FINS", 0) == len(wire)


@ROUND_TRIP
@given(parameters())
def test_parameters_round_trip(typed: object) -> None:
    code = COMMAND_OF[type(typed)]
    data = encode_parameters(typed)  # type: ignore[arg-type]
    command = FinsCommand(FinsHeader(0x80, 0, 2, 0, 1, 0, 0, 10, 0, 0), code, data)
    assert decode_parameters(command) == typed


@ROUND_TRIP
@given(controller_data())
def test_controller_data_round_trip(data: ControllerData) -> None:
    assert decode_controller_data(encode_controller_data(data)) == data


@ROUND_TRIP
@given(controller_status())
def test_controller_status_round_trip(status: ControllerStatus) -> None:
    assert decode_controller_status(encode_controller_status(status)) == status
