"""EtherNet/IP + CIP codec: arbitrary bytes never raise; encode then decode is the identity."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.enip import codec
from otm.protocols.enip.framing import frame_length
from otm.protocols.enip.messages import (
    CipPath,
    CipRequest,
    CipResponse,
    CpfItem,
    DataSegment,
    Encapsulation,
    IdentityItem,
    IdentityObject,
    IoDatagram,
    ListIdentityResponse,
    LogicalSegment,
    MultipleServicePacket,
    PortSegment,
    RegisterSession,
    SendData,
    SymbolSegment,
    UnconnectedSend,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
latin = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)

DECODERS = (
    codec.decode_encapsulation,
    codec.decode_cpf,
    codec.decode_send_data,
    codec.decode_register_session,
    codec.decode_identity_item,
    codec.decode_list_identity_response,
    codec.decode_path,
    codec.decode_cip_request,
    codec.decode_cip_response,
    codec.decode_unconnected_send,
    codec.decode_multiple_service,
    codec.decode_identity_attributes,
    codec.decode_io_datagram,
)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_decoders_never_raise_on_arbitrary_bytes(data: bytes) -> None:
    for decode in DECODERS:
        decode(data)  # a message or an Anomaly, never an exception
    for attribute in range(10):
        codec.decode_identity_attribute(attribute, data)
    assert frame_length(data) in (NEED_DATA, INVALID) or frame_length(data) >= 24
    codec.peek_encapsulation(data)


logical = st.builds(
    lambda kind, size, v: LogicalSegment(kind, v % (1 << (8 * size)), size),
    st.sampled_from(
        [
            "class",
            "instance",
            "member",
            "connection_point",
            "attribute",
            "special",
            "service_id",
            "extended",
        ]
    ),
    st.sampled_from([1, 2, 4]),
    u32,
)
port = st.builds(PortSegment, st.integers(0, 300), st.binary(max_size=6))
symbol = st.builds(SymbolSegment, latin)
data_segment = st.builds(DataSegment, st.binary(max_size=8).map(lambda b: b[: len(b) // 2 * 2]))
paths = st.builds(
    CipPath, st.lists(st.one_of(logical, port, symbol, data_segment), max_size=5).map(tuple)
)
requests = st.builds(CipRequest, st.integers(0, 0x7F), paths, st.binary(max_size=40))
responses = st.builds(
    CipResponse,
    st.integers(0, 0x7F),
    u8,
    st.lists(u16, max_size=3).map(tuple),
    st.binary(max_size=40),
    u8,
)
ipv4 = st.tuples(u8, u8, u8, u8).map(lambda t: ".".join(map(str, t)))
identity_items = st.builds(
    IdentityItem,
    u16,
    u16,
    u16,
    ipv4,
    u16,
    u16,
    u16,
    u8,
    u8,
    u16,
    u32,
    latin,
    u8,
    st.binary(min_size=8, max_size=8),
)


@settings(max_examples=200, deadline=None)
@given(u16, u32, u32, st.binary(min_size=8, max_size=8), u32, st.binary(max_size=80))
def test_encapsulation_round_trip(
    command: int, session: int, status: int, context: bytes, options: int, data: bytes
) -> None:
    msg = Encapsulation(command, session, status, context, options, data)
    raw = codec.encode_encapsulation(msg)
    assert codec.decode_encapsulation(raw) == msg
    assert codec.peek_encapsulation(raw) == (command, len(data), session, status)


@settings(max_examples=200, deadline=None)
@given(u32, u16, st.lists(st.builds(CpfItem, u16, st.binary(max_size=30)), max_size=5))
def test_send_data_round_trip(handle: int, timeout: int, items: list[CpfItem]) -> None:
    msg = SendData(handle, timeout, tuple(items))
    assert codec.decode_send_data(codec.encode_send_data(msg)) == msg


@settings(max_examples=200, deadline=None)
@given(paths)
def test_path_round_trip(path: CipPath) -> None:
    assert codec.decode_path(codec.encode_path(path)) == path


@settings(max_examples=200, deadline=None)
@given(requests)
def test_cip_request_round_trip(request: CipRequest) -> None:
    assert codec.decode_cip_request(codec.encode_cip_request(request)) == request


@settings(max_examples=200, deadline=None)
@given(responses)
def test_cip_response_round_trip(response: CipResponse) -> None:
    assert codec.decode_cip_response(codec.encode_cip_response(response)) == response


@settings(max_examples=200, deadline=None)
@given(u8, u8, requests, paths, u8)
def test_unconnected_send_round_trip(
    tick: int, ticks: int, request: CipRequest, route: CipPath, reserved: int
) -> None:
    msg = UnconnectedSend(tick, ticks, request, route, reserved)
    assert codec.decode_unconnected_send(codec.encode_unconnected_send(msg)) == msg


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=20), max_size=6))
def test_multiple_service_round_trip(services: list[bytes]) -> None:
    msg = MultipleServicePacket(tuple(services))
    assert codec.decode_multiple_service(codec.encode_multiple_service(msg)) == msg


@settings(max_examples=200, deadline=None)
@given(st.lists(identity_items, max_size=3))
def test_list_identity_round_trip(items: list[IdentityItem]) -> None:
    msg = ListIdentityResponse(tuple(items))
    raw = codec.encode_list_identity_response(msg)
    assert codec.decode_list_identity_response(raw) == msg


@settings(max_examples=200, deadline=None)
@given(st.builds(IdentityObject, u16, u16, u16, u8, u8, u16, u32, latin, st.binary(max_size=6)))
def test_identity_object_round_trip(obj: IdentityObject) -> None:
    assert codec.decode_identity_attributes(codec.encode_identity_attributes(obj)) == obj


@settings(max_examples=100, deadline=None)
@given(u16, u16)
def test_register_session_round_trip(version: int, options: int) -> None:
    msg = RegisterSession(version, options)
    assert codec.decode_register_session(codec.encode_register_session(msg)) == msg


@settings(max_examples=100, deadline=None)
@given(u32, u32, st.binary(max_size=40))
def test_io_datagram_round_trip(connection: int, sequence: int, data: bytes) -> None:
    msg = IoDatagram(connection, sequence, data)
    assert codec.decode_io_datagram(codec.encode_io_datagram(msg)) == msg


@settings(max_examples=300, deadline=None)
@given(requests, st.integers(0, 200), u8)
def test_mutated_requests_decode_or_give_an_anomaly(
    request: CipRequest, at: int, value: int
) -> None:
    raw = bytearray(codec.encode_cip_request(request))
    if raw:
        raw[at % len(raw)] = value
    out = codec.decode_cip_request(bytes(raw))
    assert isinstance(out, CipRequest | Anomaly)
