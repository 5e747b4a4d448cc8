"""EtherNet/IP + CIP codec: arbitrary bytes never raise, nesting is bounded,
encode then decode is the identity for every message type.

The fuzz corpus is seeded with whole messages from the shared captures
(hex below, frame numbers given), mutated by hypothesis.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.enip import codec
from otm.protocols.enip.anomalies import EnipAnomaly
from otm.protocols.enip.constants import MAX_DEPTH, MAX_SERVICES
from otm.protocols.enip.framing import frame_length
from otm.protocols.enip.messages import (
    AttributeListReply,
    AttributeValue,
    CipPath,
    CipRequest,
    CipResponse,
    ConnectionFailure,
    CpfItem,
    DataSegment,
    ElectronicKeySegment,
    Encapsulation,
    ForwardClose,
    ForwardCloseReply,
    ForwardOpen,
    ForwardOpenReply,
    IdentityItem,
    IdentityObject,
    IoDatagram,
    ListIdentityResponse,
    ListInterfacesResponse,
    ListServicesResponse,
    LogicalSegment,
    MultipleServicePacket,
    NetworkSegment,
    PortSegment,
    RegisterSession,
    SendData,
    ServiceItem,
    SymbolSegment,
    UnconnectedSend,
)

SEEDS = {
    # EIP-RebootorRestart.pcap frame 21: SendRRData, Forward Open, path port 1/0 class 2 inst 1
    "forward_open": "6f0040000001021100000000c69b02002008e10000000000000000002000020000000000"
    "b200300054022006240107f9140000801300fe8014004d00f32b95320000000000127a00f44300127a00f443"
    "a303010020022401",
    # frame 22: its successful reply
    "forward_open_reply": "6f002e000001021100000000c69b02002008e100000000000000000020000200000000"
    "00b2001e00d4000000010379001300fe8014004d00f32b953200127a0000127a000000",
    # frame 31 and 32: Forward Close and its reply
    "forward_close": "6f0028000001021100000000da9b02002008e10000000000000000002000020000000000"
    "b20018004e022006240107f914004d00f32b95320300010020022401",
    "forward_close_reply": "6f001e000001021100000000da9b02002008e1000000000000000000200002000000"
    "0000b2000e00ce00000014004d00f32b95320000",
    # frame 33: Unconnected Send of Get_Attributes_All (Identity) to backplane slot 0
    "unconnected_send": "6f0024000001021100000000dd9b02002008e10000000000000000002000020000000000"
    "b200140052022006240107f9060001022001240101000100",
    # frame 193: Get_Attribute_List reply of the Identity object (connected)
    "identity_list": "70005b0000010211000000000000000000000000000000000000000000000200a1000400"
    "1700fe80b10047002e00830000000700010000000100020000000e00030000003600040000001014050000"
    "006030060000003f8251000700000014313735362d4c36312f42204c4f47495835353631",
    # EIP-IPAddressChangeAttempt.pcap frame 3605: ListServices reply
    "list_services": "04001a000000000000000000000000000000000000000000010000011400010020014"
    "36f6d6d756e69636174696f6e730000",
    # frame 14: Get_Attributes_All reply of a ProSoft MVI56 (vendor 309) in a slot
    "identity_reply": "6f00410000010211000000000981300018a7e10000000000000000000a0002000000000"
    "0b20031008100000035010c0053000102700077ad00001e4d564935362050726f536f667420546563686e"
    "6f6c6f67792c20496e632e",
    # mb2.pcap frame 59: SendUnitData, Multiple Service Packet with one request to class 0x72
    "multiple_service": "70002c000001021000000000aee330000000000000000000000000000a000200a1000400"
    "01033500b10018007ed70a0220022401010004004c022072240068a207000900",
    # specialCIP.pcap: Read Tag of _IO_EM_DO_00
    "read_tag": "7000280082824e23000000000000000000000000000000000000000000000200a1000400a6c9"
    "834cb10014003c764c07910c5f494f5f454d5f444f5f30300100",
}
SEED_BYTES = {k: bytes.fromhex(v) for k, v in SEEDS.items()}
IO_SEED = bytes.fromhex("02000280080003064b00db943f00b1000600a587e80f0300")  # enip_cip_example

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
latin = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)


def walk_message(pdu: bytes) -> None:
    """Run every decoder that applies to one encapsulation message, as a sensor would."""
    frame_length(pdu)
    codec.peek_encapsulation(pdu)
    codec.peek_cip(pdu)
    msg = codec.decode_encapsulation(pdu)
    if isinstance(msg, Anomaly):
        return
    for decode in (
        codec.decode_list_identity_response,
        codec.decode_list_services_response,
        codec.decode_list_interfaces_response,
        codec.decode_register_session,
    ):
        decode(msg.data)
    data = codec.decode_send_data(msg.data)
    if isinstance(data, Anomaly) or not data.cip:
        return
    walk_cip(data.cip)


def walk_cip(cip: bytes) -> None:
    """Every CIP decoder on one CIP message and what it nests."""
    request = codec.decode_cip_request(cip)
    if isinstance(request, CipRequest):
        flat, _ = codec.flatten_request(request)
        assert 1 <= len(flat) <= MAX_SERVICES
        for item in flat:
            data = item.request.data
            codec.decode_forward_open(data)
            codec.decode_forward_open(data, large=True)
            codec.decode_forward_close(data)
            codec.decode_attribute_list_request(data)
            _ = item.slot
    response = codec.decode_cip_response(cip)
    if isinstance(response, CipResponse):
        parts, _ = codec.flatten_response(response)
        assert 1 <= len(parts) <= MAX_SERVICES
        for part in parts:
            data = part.response.data
            codec.decode_forward_open_reply(data)
            codec.decode_forward_close_reply(data)
            codec.decode_connection_failure(data)
            codec.decode_identity_attributes(data)
            codec.decode_identity_attribute_list(data)
            for attribute in range(16):
                codec.decode_identity_attribute(attribute, data)


DECODERS: tuple[Callable[[bytes], object], ...] = (
    codec.decode_encapsulation,
    codec.decode_cpf,
    codec.decode_send_data,
    codec.decode_register_session,
    codec.decode_identity_item,
    codec.decode_list_identity_response,
    codec.decode_list_services_response,
    codec.decode_list_interfaces_response,
    codec.decode_path,
    codec.decode_cip_request,
    codec.decode_cip_response,
    codec.decode_unconnected_send,
    codec.decode_multiple_service,
    codec.decode_multiple_service_requests,
    codec.decode_multiple_service_responses,
    codec.decode_forward_open,
    codec.decode_forward_open_reply,
    codec.decode_forward_close,
    codec.decode_forward_close_reply,
    codec.decode_connection_failure,
    codec.decode_attribute_list_request,
    codec.decode_identity_attributes,
    codec.decode_identity_attribute_list,
    codec.decode_io_datagram,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
@example(SEED_BYTES["forward_open"][40:])
@example(IO_SEED)
def test_decoders_never_raise_on_arbitrary_bytes(data: bytes) -> None:
    for decode in DECODERS:
        out = decode(data)  # a message or an Anomaly, never an exception
        if isinstance(out, Anomaly):
            assert isinstance(out.kind, EnipAnomaly)
    codec.decode_service_item(0x0100, data)
    codec.decode_forward_open(data, large=True)
    for attribute in range(16):
        codec.decode_identity_attribute(attribute, data)
    assert frame_length(data) in (NEED_DATA, INVALID) or frame_length(data) >= 24
    walk_message(data)
    walk_cip(data)


@st.composite
def mutated_seeds(draw: st.DrawFn) -> bytes:
    """A real message with a few bytes changed, cut or inserted."""
    raw = bytearray(draw(st.sampled_from(sorted(SEED_BYTES.values()))))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        how = draw(st.sampled_from(["set", "cut", "insert", "truncate"]))
        if how == "set" and at < len(raw):
            raw[at] = draw(u8)
        elif how == "cut":
            del raw[at : at + draw(st.integers(1, 4))]
        elif how == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=4))
        else:
            del raw[at:]
    return bytes(raw)


@settings(max_examples=400, deadline=None)
@given(mutated_seeds())
def test_mutated_real_messages_decode_or_give_an_anomaly(pdu: bytes) -> None:
    walk_message(pdu)
    walk_cip(pdu[40:])
    walk_cip(pdu[46:])


def test_seeds_decode_cleanly() -> None:
    """The corpus is real traffic: every seed decodes without an anomaly."""
    for name, pdu in SEED_BYTES.items():
        msg = codec.decode_encapsulation(pdu)
        assert not isinstance(msg, Anomaly), name
        if msg.command in (0x6F, 0x70):
            data = codec.decode_send_data(msg.data)
            assert not isinstance(data, Anomaly) and data.cip, name
            if data.cip[0] & 0x80:
                response = codec.decode_cip_response(data.cip)
                assert isinstance(response, CipResponse), name
                assert codec.flatten_response(response)[1] is None, name
            else:
                request = codec.decode_cip_request(data.cip)
                assert isinstance(request, CipRequest), name
                assert codec.flatten_request(request)[1] is None, name


# -- strategies for messages ----------------------------------------------------------------

logical = st.builds(
    lambda kind, size, v: LogicalSegment(kind, v % (1 << (8 * size)), size),
    st.sampled_from(["class", "instance", "member", "connection_point", "attribute", "service_id"]),
    st.sampled_from([1, 2, 4]),
    u32,
)
port = st.builds(PortSegment, st.one_of(st.integers(0, 20), u16), st.binary(max_size=16))
symbol = st.builds(SymbolSegment, latin)
symbolic = st.builds(
    SymbolSegment,
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=31),
    st.just(False),
)
data_segment = st.builds(DataSegment, st.binary(max_size=8).map(lambda b: b[: len(b) // 2 * 2]))
key = st.builds(ElectronicKeySegment, u16, u16, u16, st.integers(0, 0x7F), u8, st.booleans())
network = st.one_of(
    st.builds(NetworkSegment, st.integers(0, 0x0F), st.binary(min_size=1, max_size=1)),
    st.builds(
        NetworkSegment,
        st.integers(0x10, 0x1F),
        st.binary(max_size=8).map(lambda b: b[: len(b) // 2 * 2]),
    ),
)
paths = st.builds(
    CipPath,
    st.lists(
        st.one_of(logical, port, symbol, symbolic, data_segment, key, network), max_size=6
    ).map(tuple),
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
even = st.binary(max_size=20).map(lambda b: b[: len(b) // 2 * 2])


@st.composite
def forward_opens(draw: st.DrawFn) -> ForwardOpen:
    large = draw(st.booleans())
    params = u32 if large else u16
    return ForwardOpen(
        draw(u8),
        draw(u8),
        draw(u32),
        draw(u32),
        draw(u16),
        draw(u16),
        draw(u32),
        draw(u8),
        draw(u32),
        draw(params),
        draw(u32),
        draw(params),
        draw(u8),
        draw(paths),
        large,
        draw(st.binary(min_size=3, max_size=3)),
    )


identity_values = st.one_of(
    *(st.tuples(st.just(a), u16) for a in (1, 2, 3, 5, 9)),
    st.tuples(st.just(4), st.tuples(u8, u8)),
    st.tuples(st.just(6), u32),
    st.tuples(st.just(7), latin),
    *(st.tuples(st.just(a), u8) for a in (8, 10)),
    st.tuples(st.just(11), st.tuples(u8, u8, u8)),
    st.tuples(st.just(14), st.tuples(u16, u32, st.integers(-0x8000, 0x7FFF))),
)


@st.composite
def attribute_lists(draw: st.DrawFn) -> AttributeListReply:
    entries = []
    for attribute, value in draw(st.lists(identity_values, max_size=6)):
        status = draw(st.sampled_from([0, 0, 0x14]))
        entries.append(AttributeValue(attribute, status, value if status == 0 else None))
    rest = b""
    count = len(entries)
    if draw(st.booleans()):  # an attribute of unknown size, read successfully: kept raw
        rest = b"\x0c\x00\x00\x00" + draw(st.binary(max_size=10))
        count += 1 + draw(st.integers(0, 3))
    return AttributeListReply(count, tuple(entries), rest)


# -- round trips ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(u16, u32, u32, st.binary(min_size=8, max_size=8), u32, st.binary(max_size=80))
def test_encapsulation_round_trip(
    command: int, session: int, status: int, context: bytes, options: int, data: bytes
) -> None:
    msg = Encapsulation(command, session, status, context, options, data)
    raw = codec.encode_encapsulation(msg)
    assert codec.decode_encapsulation(raw) == msg
    assert codec.peek_encapsulation(raw) == (command, len(data), session, status)


@settings(max_examples=150, deadline=None)
@given(u32, u16, st.lists(st.builds(CpfItem, u16, st.binary(max_size=30)), max_size=5))
def test_send_data_round_trip(handle: int, timeout: int, items: list[CpfItem]) -> None:
    msg = SendData(handle, timeout, tuple(items))
    assert codec.decode_send_data(codec.encode_send_data(msg)) == msg


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([0x6F, 0x70]), u32, st.binary(min_size=8, max_size=8), requests, u32, u16)
def test_peek_cip_finds_the_cip_message_of_the_usual_layouts(
    command: int, session: int, context: bytes, request: CipRequest, conn: int, seq: int
) -> None:
    cip = codec.encode_cip_request(request)
    if command == 0x6F:
        items = (CpfItem(0x0000, b""), CpfItem(0x00B2, cip))
    else:
        items = (
            CpfItem(0x00A1, conn.to_bytes(4, "little")),
            CpfItem(0x00B1, seq.to_bytes(2, "little") + cip),
        )
    data = codec.encode_send_data(SendData(0, 0, items))
    pdu = codec.encode_encapsulation(Encapsulation(command, session, 0, context, 0, data))
    found = codec.peek_cip(pdu)
    assert found is not None
    assert pdu[found[0] :] == cip
    assert found[1] == (None if command == 0x6F else seq)


@settings(max_examples=300, deadline=None)
@given(paths)
def test_path_round_trip(path: CipPath) -> None:
    assert codec.decode_path(codec.encode_path(path)) == path


@settings(max_examples=150, deadline=None)
@given(requests)
def test_cip_request_round_trip(request: CipRequest) -> None:
    assert codec.decode_cip_request(codec.encode_cip_request(request)) == request


@settings(max_examples=150, deadline=None)
@given(responses)
def test_cip_response_round_trip(response: CipResponse) -> None:
    assert codec.decode_cip_response(codec.encode_cip_response(response)) == response


@settings(max_examples=150, deadline=None)
@given(u8, u8, requests, paths, u8)
def test_unconnected_send_round_trip(
    tick: int, ticks: int, request: CipRequest, route: CipPath, reserved: int
) -> None:
    msg = UnconnectedSend(tick, ticks, request, route, reserved)
    assert codec.decode_unconnected_send(codec.encode_unconnected_send(msg)) == msg


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=20), max_size=6))
def test_multiple_service_round_trip(services: list[bytes]) -> None:
    msg = MultipleServicePacket(tuple(services))
    assert codec.decode_multiple_service(codec.encode_multiple_service(msg)) == msg


@settings(max_examples=100, deadline=None)
@given(st.lists(requests, max_size=5), st.lists(responses, max_size=5))
def test_multiple_service_requests_and_responses_round_trip(
    reqs: list[CipRequest], resps: list[CipResponse]
) -> None:
    packet = MultipleServicePacket(tuple(codec.encode_cip_request(r) for r in reqs))
    assert codec.decode_multiple_service_requests(codec.encode_multiple_service(packet)) == tuple(
        reqs
    )
    packet = MultipleServicePacket(tuple(codec.encode_cip_response(r) for r in resps))
    raw = codec.encode_multiple_service(packet)
    assert codec.decode_multiple_service_responses(raw) == tuple(resps)


@settings(max_examples=150, deadline=None)
@given(forward_opens())
def test_forward_open_round_trip(msg: ForwardOpen) -> None:
    assert codec.decode_forward_open(codec.encode_forward_open(msg), msg.large) == msg


@settings(max_examples=100, deadline=None)
@given(st.builds(ForwardOpenReply, u32, u32, u16, u16, u32, u32, u32, even, u8))
def test_forward_open_reply_round_trip(msg: ForwardOpenReply) -> None:
    assert codec.decode_forward_open_reply(codec.encode_forward_open_reply(msg)) == msg


@settings(max_examples=100, deadline=None)
@given(st.builds(ForwardClose, u8, u8, u16, u16, u32, paths, u8))
def test_forward_close_round_trip(msg: ForwardClose) -> None:
    assert codec.decode_forward_close(codec.encode_forward_close(msg)) == msg


@settings(max_examples=100, deadline=None)
@given(st.builds(ForwardCloseReply, u16, u16, u32, even, u8))
def test_forward_close_reply_round_trip(msg: ForwardCloseReply) -> None:
    assert codec.decode_forward_close_reply(codec.encode_forward_close_reply(msg)) == msg


@settings(max_examples=100, deadline=None)
@given(u16, u16, u32, st.one_of(st.none(), st.tuples(u8, u8)))
def test_connection_failure_round_trip(
    serial: int, vendor: int, orig: int, tail: tuple[int, int] | None
) -> None:
    msg = ConnectionFailure(serial, vendor, orig, *(tail or (None, None)))
    assert codec.decode_connection_failure(codec.encode_connection_failure(msg)) == msg


@settings(max_examples=150, deadline=None)
@given(st.lists(identity_items, max_size=3))
def test_list_identity_round_trip(items: list[IdentityItem]) -> None:
    msg = ListIdentityResponse(tuple(items))
    raw = codec.encode_list_identity_response(msg)
    assert codec.decode_list_identity_response(raw) == msg


service_names = st.text(st.characters(min_codepoint=0x01, max_codepoint=0xFF), max_size=16).filter(
    lambda s: not s.endswith("\0") and len(s.encode("latin-1")) <= 16
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.builds(ServiceItem, u16, u16, service_names, u16), max_size=3))
def test_list_services_round_trip(services: list[ServiceItem]) -> None:
    msg = ListServicesResponse(tuple(services))
    raw = codec.encode_list_services_response(msg)
    assert codec.decode_list_services_response(raw) == msg


@settings(max_examples=50, deadline=None)
@given(st.lists(st.builds(CpfItem, u16, st.binary(max_size=20)), max_size=3))
def test_list_interfaces_round_trip(items: list[CpfItem]) -> None:
    msg = ListInterfacesResponse(tuple(items))
    raw = codec.encode_list_interfaces_response(msg)
    assert codec.decode_list_interfaces_response(raw) == msg


@settings(max_examples=150, deadline=None)
@given(st.builds(IdentityObject, u16, u16, u16, u8, u8, u16, u32, latin, st.binary(max_size=6)))
def test_identity_object_round_trip(obj: IdentityObject) -> None:
    assert codec.decode_identity_attributes(codec.encode_identity_attributes(obj)) == obj


@settings(max_examples=150, deadline=None)
@given(identity_values)
def test_identity_attribute_round_trip(entry: tuple[int, int | str | tuple[int, ...]]) -> None:
    attribute, value = entry
    raw = codec.encode_identity_attribute(attribute, value)
    assert codec.decode_identity_attribute(attribute, raw) == value


@settings(max_examples=150, deadline=None)
@given(attribute_lists())
def test_identity_attribute_list_round_trip(msg: AttributeListReply) -> None:
    raw = codec.encode_identity_attribute_list(msg)
    assert codec.decode_identity_attribute_list(raw) == msg


@settings(max_examples=100, deadline=None)
@given(st.lists(u16, max_size=20).map(tuple))
def test_attribute_list_request_round_trip(ids: tuple[int, ...]) -> None:
    raw = codec.encode_attribute_list_request(ids)
    assert codec.decode_attribute_list_request(raw) == ids


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


# -- nesting -------------------------------------------------------------------------------

CM = CipPath((LogicalSegment("class", 6), LogicalSegment("instance", 1)))
ROUTER = CipPath((LogicalSegment("class", 2), LogicalSegment("instance", 1)))


def routed(request: CipRequest, slot: int) -> CipRequest:
    send = UnconnectedSend(0x07, 0xF9, request, CipPath((PortSegment(1, bytes([slot])),)))
    return CipRequest(0x52, CM, codec.encode_unconnected_send(send))


def packed(inner: list[CipRequest]) -> CipRequest:
    body = MultipleServicePacket(tuple(codec.encode_cip_request(r) for r in inner))
    return CipRequest(0x0A, ROUTER, codec.encode_multiple_service(body))


nested_requests = st.recursive(
    requests.filter(lambda r: r.service not in (0x0A, 0x52)),
    lambda inner: st.one_of(
        st.builds(routed, inner, st.integers(0, 16)),
        st.builds(packed, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=12,
)


def depth_of(request: CipRequest) -> int:
    """How deep a generated request nests (computed from how it was built)."""
    if request.service == 0x52 and request.path.class_id == 6:
        send = codec.decode_unconnected_send(request.data)
        assert isinstance(send, UnconnectedSend)
        return 1 + depth_of(send.request)
    if request.service == 0x0A:
        inner = codec.decode_multiple_service_requests(request.data)
        assert isinstance(inner, tuple)
        return 1 + max(depth_of(r) for r in inner)
    return 0


@settings(max_examples=150, deadline=None)
@given(nested_requests)
def test_flatten_request_is_bounded_and_complete(request: CipRequest) -> None:
    raw = codec.encode_cip_request(request)
    decoded = codec.decode_cip_request(raw)
    assert decoded == request
    flat, anomaly = codec.flatten_request(decoded)
    assert flat[0].request == request and flat[0].depth == 0
    assert all(item.depth <= MAX_DEPTH for item in flat)
    if depth_of(request) <= MAX_DEPTH:
        assert anomaly is None
        assert all(item.depth == 0 or item.route or item.index is not None for item in flat)
    else:
        assert anomaly is not None and anomaly.kind is EnipAnomaly.TOO_DEEP


def test_a_routed_request_knows_its_backplane_slot() -> None:
    leaf = CipRequest(0x01, CipPath((LogicalSegment("class", 1),)), b"")
    flat, anomaly = codec.flatten_request(routed(packed([leaf, leaf]), 3))
    assert anomaly is None
    assert [(i.depth, i.slot, i.index) for i in flat] == [
        (0, None, None),
        (1, 3, None),
        (2, 3, 0),
        (2, 3, 1),
    ]
    twice, _ = codec.flatten_request(routed(routed(leaf, 2), 4))
    assert twice[-1].route == ((1, b"\x04"), (1, b"\x02")) and twice[-1].slot is None
