"""Property tests: arbitrary bytes never break a decoder; encode then decode is the identity."""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from opcua_strategies import (
    BODIES,
    CAPTURED,
    CHUNKS,
    SERVICES,
    chunks,
    data_values,
    services,
    variants,
)

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.opcua import (
    ChunkAssembler,
    OpcUaAnomaly,
    check_values,
    decode_build_info,
    decode_chunk,
    decode_error_body,
    decode_sequenced,
    decode_server_status,
    decode_service,
    encode_chunk,
    encode_error_body,
    encode_sequenced,
    encode_service,
    frame_length,
    looks_like_hello,
    parse_endpoint_url,
    peek_header,
    peek_service_id,
    peek_service_result,
)
from otm.protocols.opcua import messages as m
from otm.protocols.opcua.binary import DATA_VALUE, VARIANT, Reader, encode_value
from otm.protocols.opcua.constants import MAX_CHUNK_SIZE
from otm.protocols.opcua.datatypes import ExtensionObject, NodeId

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _seeded(test: Any) -> Any:
    for raw in CAPTURED:
        test = example(raw)(test)
    return test


def _check(result: object, data: bytes) -> None:
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, OpcUaAnomaly)
        assert 0 <= result.offset <= len(data) + 8
        assert isinstance(result.detail, str)


@FUZZ
@given(st.binary(max_size=300))
@_seeded
def test_decode_chunk_never_raises_and_reencodes_what_it_accepts(data: bytes) -> None:
    result = decode_chunk(data)
    _check(result, data)
    if not isinstance(result, Anomaly):
        # Bytes re-encode identically except invalid UTF-8, which decodes as U+FFFD.
        again = encode_chunk(result)
        assert decode_chunk(again) == result
        assert again == data or b"\xef\xbf\xbd" in again
        assert check_values(result) is None or isinstance(check_values(result), Anomaly)


def test_captured_chunks_decode_and_reencode() -> None:
    for raw in CAPTURED:
        chunk = decode_chunk(raw)
        assert not isinstance(chunk, Anomaly), raw.hex()
        assert encode_chunk(chunk) == raw
    for body in BODIES:
        service = decode_service(body)
        assert not isinstance(service, Anomaly)
        assert encode_service(service) == body


@FUZZ
@given(st.binary(max_size=300), st.booleans())
@example(BODIES[0], True)
@example(BODIES[-1], False)
def test_decode_service_never_raises(data: bytes, strict: bool) -> None:
    result = decode_service(data, strict)
    _check(result, data)
    if not isinstance(result, Anomaly):
        assert check_values(result) is None or isinstance(check_values(result), Anomaly)
        assert decode_service(encode_service(result), strict) == result


@FUZZ
@given(st.binary(max_size=200))
def test_every_service_layout_on_bytes_after_its_type_id(data: bytes) -> None:
    """The fuzzer rarely guesses a type id: prefix each known one."""
    for number in (397, 425, 431, 446, 449, 452, 461, 464, 467, 473, 631, 634, 527, 530):
        body = b"\x01\x00" + struct.pack("<H", number) + data
        _check(decode_service(body), body)


@FUZZ
@given(st.binary(max_size=120))
def test_small_decoders_never_raise(data: bytes) -> None:
    _check(decode_sequenced(data), data)
    _check(decode_error_body(data), data)
    for number in (864, 340):
        ext = ExtensionObject(NodeId(0, number), 1, data)
        _check(decode_server_status(ext), data)
        _check(decode_build_info(ext), data)
    for codec in (VARIANT, DATA_VALUE):
        try:
            codec.read(Reader(data))
        except Exception as error:  # only the codec's own error may escape read()
            assert type(error).__name__ == "DecodeError", error


@FUZZ
@given(st.binary(max_size=64), st.integers(0, 70))
def test_framer_verdicts_are_bounded(data: bytes, start: int) -> None:
    n = frame_length(data, start)
    assert n in (NEED_DATA, INVALID) or 16 <= n <= MAX_CHUNK_SIZE
    if n > 0:
        header = peek_header(data, start)
        assert header is not None and header[2] == n
    assert isinstance(looks_like_hello(data), bool)
    found = peek_service_id(data)
    assert found is None or 0 <= found < 2**32
    result = peek_service_result(data)
    assert result is None or 0 <= result < 2**32


@FUZZ
@given(st.text(max_size=40))
@example("opc.tcp://[::1]:4840/x")
@example("opc.tcp://host")
def test_endpoint_url_parsing_never_raises(url: str) -> None:
    parsed = parse_endpoint_url(url)
    assert parsed is None or (isinstance(parsed[0], str) and 0 <= parsed[1] <= 0xFFFF)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from([ord("C"), ord("F"), ord("A"), ord("X")]),
            st.binary(max_size=30),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_assembler_stays_bounded(pushes: list[tuple[int, int, bytes, bool]]) -> None:
    assembler = ChunkAssembler(max_open=3, max_size=64)
    for request_id, kind, body, keep in pushes:
        result = assembler.push(request_id, kind, body, keep)
        assert result is None or isinstance(result, bytes | Anomaly)
        if isinstance(result, bytes):
            assert len(result) <= max(64, len(body))
        assert len(assembler) <= 3


@ROUND_TRIP
@given(chunks)
def test_chunk_round_trip(chunk: m.Chunk) -> None:
    raw = encode_chunk(chunk)
    assert frame_length(raw, 0) == len(raw)
    assert decode_chunk(raw) == chunk


@ROUND_TRIP
@given(services)
def test_service_round_trip(service: m.Service) -> None:
    body = encode_service(service)
    assert decode_service(body) == service
    assert encode_service(decode_service(body)) == body  # type: ignore[arg-type]
    # A signed channel appends a signature: non-strict decoding ignores it.
    signed = decode_service(body + b"\x00" * 20, strict=False)
    if not isinstance(service, m.GenericRequest | m.GenericResponse | m.UnknownService):
        assert signed == service


@ROUND_TRIP
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.binary(max_size=20))
def test_sequenced_and_abort_round_trip(sequence: int, request: int, body: bytes) -> None:
    message = m.Sequenced(sequence, request, body)
    assert decode_sequenced(encode_sequenced(message)) == message
    error = m.ErrorMessage(request, body.hex() or None)
    assert decode_error_body(encode_error_body(error)) == error


@ROUND_TRIP
@given(variants)
def test_variant_round_trip(variant: Any) -> None:
    assert VARIANT.read(Reader(encode_value(VARIANT, variant))) == variant


@ROUND_TRIP
@given(data_values)
def test_data_value_round_trip(value: Any) -> None:
    assert DATA_VALUE.read(Reader(encode_value(DATA_VALUE, value))) == value


def test_every_message_shape_has_a_strategy() -> None:
    from otm.protocols.opcua.layouts import SERVICE_LAYOUTS

    assert len(SERVICES) == len(SERVICE_LAYOUTS) + 3  # + generic request/response, unknown
    assert len(CHUNKS) == 6


def _secure(service: m.Service) -> bytes:
    from otm.protocols.opcua.codec import secure_message

    return secure_message(service, secure_channel_id=1, token_id=1, sequence_number=2, request_id=2)


def _clear_open(service: m.Service) -> bytes:
    from otm.protocols.opcua.codec import open_secure_channel

    if not isinstance(service, m.OpenSecureChannelRequest | m.OpenSecureChannelResponse):
        return _secure(service)
    return open_secure_channel(service, secure_channel_id=1, sequence_number=1, request_id=1)


_PDUS = st.one_of(
    st.binary(max_size=60),
    chunks.map(encode_chunk),
    services.map(_secure),
    services.map(_clear_open),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.booleans(), _PDUS, st.integers(0, 3)), max_size=14))
def test_the_sensor_never_raises_on_any_chunk_sequence(
    script: list[tuple[bool, bytes, int]],
) -> None:
    """Whatever a connection carries, the stream handler counts or learns, never raises."""
    from otm.capture.interfaces import FlowKey
    from otm.sensing.aggregate import Tally
    from otm.sensing.labels import FlowLabels
    from otm.sensing.opcua import OpcUaStream

    key = FlowKey("tcp", "10.0.0.1", 50000, "10.0.0.2", 4840, "", "", None)
    tally = Tally("fuzz")
    stream = OpcUaStream(key, tally, FlowLabels(), {})
    for frame, (from_client, pdu, event) in enumerate(script, 1):
        if event == 1:
            stream.on_gap(from_client, frame, float(frame), 10)
        elif event == 2:
            stream.on_checkpoint(float(frame))
        if len(pdu) >= 8 and frame_length(pdu, 0) == len(pdu):
            stream.on_pdu(pdu, from_client, frame, float(frame))
        else:
            stream.on_invalid(pdu, from_client, frame, float(frame))
    stream.on_close(99.0)
    tally.flush()


def _data_value_of(number: int, body: bytes) -> Any:
    from otm.protocols.opcua.datatypes import DataValue, Variant

    return DataValue(Variant(22, ExtensionObject(NodeId(0, number), 1, body)))


_IDENTITY_NODE_IDS = st.sampled_from([2256, 2260, 2261, 2262, 2263, 2264, 2265, 2266])
_STATUS_VALUES = st.one_of(
    data_values,
    st.builds(
        _data_value_of,
        st.sampled_from([864, 340]),
        st.binary(max_size=80),
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(_IDENTITY_NODE_IDS, min_size=1, max_size=8),
    st.lists(st.integers(0, 20), min_size=1, max_size=8),
    st.lists(_STATUS_VALUES, max_size=8),
)
def test_the_sensor_never_raises_on_any_status_read_answer(
    nodes: list[int], attributes: list[int], results: list[Any]
) -> None:
    """A Read of the identity nodes answered with any values (right type or not)."""
    from otm.capture.interfaces import FlowKey
    from otm.protocols.opcua.datatypes import (
        DiagnosticInfo,
        QualifiedName,
        ReadValueId,
        RequestHeader,
        ResponseHeader,
    )
    from otm.sensing.aggregate import Tally
    from otm.sensing.labels import FlowLabels
    from otm.sensing.opcua import OpcUaStream

    null = ExtensionObject(NodeId(0, 0))
    values = tuple(
        ReadValueId(NodeId(0, n), attributes[i % len(attributes)], None, QualifiedName(0, None))
        for i, n in enumerate(nodes)
    )
    request = m.ReadRequest(RequestHeader(NodeId(0, 0), 0, 5, 0, None, 0, null), 0.0, 0, values)
    header = ResponseHeader(0, 5, 0, DiagnosticInfo(), None, null)
    response = m.ReadResponse(header, tuple(results), None)
    key = FlowKey("tcp", "10.0.0.1", 50000, "10.0.0.2", 4840, "", "", None)
    tally = Tally("fuzz")
    stream = OpcUaStream(key, tally, FlowLabels(), {})
    stream.on_pdu(_secure(request), True, 1, 1.0)
    stream.on_pdu(_secure(response), False, 2, 2.0)
    stream.on_close(3.0)
    tally.flush()
