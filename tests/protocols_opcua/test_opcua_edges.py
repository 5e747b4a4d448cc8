"""Edge cases, each named after its edge: truncation, bad lengths, unknown codes,
nesting, encoder refusals, value checks, the framer, reassembly and names."""

from __future__ import annotations

import struct

import pytest
from opcua_strategies import BODIES, CAPTURED

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.opcua import (
    ChunkAssembler,
    OpcUaAnomaly,
    check_values,
    decode_build_info,
    decode_chunk,
    decode_server_status,
    decode_service,
    encode_chunk,
    encode_service,
    frame_length,
    looks_like_hello,
    operation_category,
    operation_name,
    parse_endpoint_url,
    peek_service_id,
    peek_service_result,
    response_name,
    security_mode_name,
    security_policy_name,
    status_name,
    wrap_build_info,
)
from otm.protocols.opcua import messages as m
from otm.protocols.opcua.binary import (
    DATA_VALUE,
    DIAGNOSTIC_INFO,
    EXTENSION_OBJECT,
    LOCALIZED_TEXT,
    NODE_ID,
    VARIANT,
    Reader,
    encode_value,
)
from otm.protocols.opcua.constants import (
    MAX_CHUNK_SIZE,
    MAX_DEPTH,
    application_type_name,
)
from otm.protocols.opcua.datatypes import (
    BuildInfo,
    DiagnosticInfo,
    ExpandedNodeId,
    ExtensionObject,
    Guid,
    LocalizedText,
    NodeId,
    RequestHeader,
    Variant,
)
from otm.protocols.opcua.layouts import SERVICE_LAYOUTS

K = OpcUaAnomaly
HELLO = CAPTURED[0]
ACK = CAPTURED[1]
OPN_REQUEST = CAPTURED[2]


def _kind(result: object) -> OpcUaAnomaly:
    assert isinstance(result, Anomaly), result
    assert isinstance(result.kind, OpcUaAnomaly)
    return result.kind


def _read(codec: object, data: bytes) -> object:
    from otm.protocols.opcua.binary import Codec, DecodeError

    assert isinstance(codec, Codec)
    try:
        value: object = codec.read(Reader(data))
    except DecodeError as error:
        return Anomaly(error.kind, error.detail, error.offset)
    return value


def _with_size(raw: bytes, size: int) -> bytes:
    return raw[:4] + struct.pack("<I", size) + raw[8:]


# --- truncation ------------------------------------------------------------------


@pytest.mark.parametrize("raw", CAPTURED, ids=lambda r: r[:3].decode())
def test_every_chunk_truncated_at_every_byte_is_truncated(raw: bytes) -> None:
    for cut in range(len(raw)):
        assert _kind(decode_chunk(raw[:cut])) == K.TRUNCATED, cut


@pytest.mark.parametrize("raw", CAPTURED[:3], ids=lambda r: r[:3].decode())
def test_fixed_fields_cut_by_a_smaller_declared_size_are_truncated(raw: bytes) -> None:
    """HEL, ACK, OPN: a chunk ending inside its fields (size patched to match)."""
    fixed = {b"HEL": len(raw), b"ACK": len(raw), b"OPN": 12 + 4 + 47 + 8}[raw[:3]]
    for cut in range(8, fixed):
        result = decode_chunk(_with_size(raw, cut)[:cut])
        assert _kind(result) == K.TRUNCATED, cut


def test_every_typed_body_truncated_at_every_byte_is_truncated() -> None:
    typed = [b for b in BODIES if peek_service_id(b, 0) in SERVICE_LAYOUTS]
    assert typed
    for body in typed:
        for cut in range(len(body)):
            assert _kind(decode_service(body[:cut])) == K.TRUNCATED, (body.hex(), cut)


def test_a_generic_body_keeps_whatever_follows_its_header() -> None:
    body = BODIES[-2]  # RegisterServer2Response: header, then results kept raw
    service = decode_service(body)
    assert isinstance(service, m.GenericResponse) and service.name == "register_server2"
    shorter = decode_service(body[:-3])
    assert isinstance(shorter, m.GenericResponse) and shorter.data == service.data[:-3]


# --- sizes and lengths ------------------------------------------------------------


def test_bytes_after_the_declared_size_are_trailing() -> None:
    result = decode_chunk(HELLO + b"\x00")
    assert _kind(result) == K.TRAILING_BYTES
    assert isinstance(result, Anomaly) and result.offset == len(HELLO)


def test_bytes_after_a_hello_url_are_trailing() -> None:
    raw = _with_size(HELLO + b"xy", len(HELLO) + 2)
    assert _kind(decode_chunk(raw)) == K.TRAILING_BYTES


@pytest.mark.parametrize("size", [0, 7, MAX_CHUNK_SIZE + 1, 0xFFFFFFFF])
def test_message_size_out_of_range_is_invalid(size: int) -> None:
    assert _kind(decode_chunk(_with_size(ACK, size))) == K.INVALID_SIZE


def test_string_length_below_minus_one_is_invalid() -> None:
    raw = HELLO[:28] + struct.pack("<i", -2)
    assert _kind(decode_chunk(_with_size(raw, len(raw)))) == K.INVALID_LENGTH


def test_string_longer_than_the_chunk_is_truncated() -> None:
    raw = HELLO[:28] + struct.pack("<i", 1000) + b"opc.tcp://"
    assert _kind(decode_chunk(_with_size(raw, len(raw)))) == K.TRUNCATED


def test_huge_array_count_is_refused_before_any_element() -> None:
    body = BODIES[-1][:-8] + struct.pack("<i", 0x7FFFFFFF)  # FindServers: LocaleIds count
    assert _kind(decode_service(body)) == K.TRUNCATED


def test_array_count_below_minus_one_is_invalid() -> None:
    body = BODIES[-1][:-8] + struct.pack("<i", -7) + struct.pack("<i", -1)
    assert _kind(decode_service(body)) == K.INVALID_LENGTH


def test_trailing_bytes_after_a_typed_body_only_when_strict() -> None:
    body = BODIES[-1] + b"\x99" * 4
    assert _kind(decode_service(body)) == K.TRAILING_BYTES
    assert isinstance(decode_service(body, strict=False), m.FindServersRequest)


# --- unknown codes -----------------------------------------------------------------


def test_unknown_message_type() -> None:
    assert _kind(decode_chunk(b"XYZ" + ACK[3:])) == K.UNKNOWN_MESSAGE_TYPE


@pytest.mark.parametrize("raw", [b"ACKZ" + ACK[4:], b"HELC" + HELLO[4:], b"ERRA" + ACK[4:]])
def test_bad_chunk_types(raw: bytes) -> None:
    assert _kind(decode_chunk(raw)) == K.BAD_CHUNK_TYPE


def test_unknown_service_is_kept_not_an_anomaly() -> None:
    body = b"\x01\x00\x9f\x86" + b"\x01\x02\x03"  # i=34463, no such service
    service = decode_service(body)
    assert isinstance(service, m.UnknownService)
    assert service.type_id == ExpandedNodeId(NodeId(0, 34463)) and service.data == b"\x01\x02\x03"
    assert encode_service(service) == body
    assert operation_name(34463) == "service_34463" and operation_category(34463) == "other"
    assert response_name(34463) == "service_34463"


def test_string_type_id_is_an_unknown_service() -> None:
    body = b"\x03\x02\x00\x03\x00\x00\x00abc" + b"rest"
    service = decode_service(body)
    assert isinstance(service, m.UnknownService)
    assert service.type_id.node_id == NodeId(2, "abc") and service.data == b"rest"


@pytest.mark.parametrize(
    ("codec", "data"),
    [
        (NODE_ID, b"\x06\x00"),  # form 6 does not exist
        (NODE_ID, b"\x41\x00\x01\x00"),  # server index flag on a plain NodeId
        (NODE_ID, b"\x10\x00"),  # reserved bits
        (VARIANT, b"\x1a"),  # built-in type 26
        (VARIANT, b"\x80"),  # null Variant with the array bit
        (VARIANT, b"\x46\x00\x00\x00\x00"),  # dimensions without array
        (VARIANT, b"\x18\x00"),  # a scalar Variant inside a Variant
        (EXTENSION_OBJECT, b"\x00\x00\x03"),  # encoding 3
        (LOCALIZED_TEXT, b"\x04"),  # reserved bit
        (DATA_VALUE, b"\x40"),  # reserved bit
        (DIAGNOSTIC_INFO, b"\x80"),  # reserved bit
    ],
)
def test_encoding_bytes_outside_part_6_are_invalid(codec: object, data: bytes) -> None:
    assert _kind(_read(codec, data)) == K.INVALID_ENCODING


# --- nesting -------------------------------------------------------------------------


def test_diagnostic_info_nested_past_the_limit_is_too_deep() -> None:
    deep = b"\x40" * (MAX_DEPTH + 1) + b"\x00"
    assert _kind(_read(DIAGNOSTIC_INFO, deep)) == K.TOO_DEEP
    ok = b"\x40" * (MAX_DEPTH - 1) + b"\x00"
    assert isinstance(_read(DIAGNOSTIC_INFO, ok), DiagnosticInfo)


def test_variants_nested_past_the_limit_are_too_deep() -> None:
    one = struct.pack("<Bi", 0x80 | 24, 1)  # an array of one Variant
    assert _kind(_read(VARIANT, one * (MAX_DEPTH + 1) + b"\x00")) == K.TOO_DEEP
    assert isinstance(_read(VARIANT, one * (MAX_DEPTH - 1) + b"\x00"), Variant)


def test_encoding_past_the_nesting_limit_is_refused() -> None:
    info = DiagnosticInfo()
    for _ in range(MAX_DEPTH + 1):
        info = DiagnosticInfo(inner_diagnostic_info=info, symbolic_id=1)
    with pytest.raises(ValueError, match="nested"):
        encode_value(DIAGNOSTIC_INFO, info)


# --- encoders refuse what no decoder returns -----------------------------------------


@pytest.mark.parametrize(
    "chunk",
    [
        m.Hello(0, 2**32, 0, 0, 0, None),
        m.Acknowledge(-1, 0, 0, 0, 0),
        m.SecureChunk(b"OPN", ord("F"), 1, 1, b""),
        m.SecureChunk(b"MSG", ord("Z"), 1, 1, b""),
        m.ErrorMessage(0, b"not a str"),  # type: ignore[arg-type]
    ],
)
def test_encode_chunk_refuses_invalid_messages(chunk: m.Chunk) -> None:
    with pytest.raises(ValueError):
        encode_chunk(chunk)


def _header() -> RequestHeader:
    return RequestHeader(NodeId(0, 0), 0, 1, 0, None, 0, ExtensionObject(NodeId(0, 0)))


@pytest.mark.parametrize(
    "service",
    [
        m.GenericRequest(631, _header(), b""),  # Read has its own class
        m.GenericRequest(634, _header(), b""),  # a response id
        m.UnknownService(ExpandedNodeId(NodeId(0, 527)), b""),  # Browse is known
        m.CloseSessionRequest(_header(), 1),  # type: ignore[arg-type]
    ],
)
def test_encode_service_refuses_invalid_messages(service: m.Service) -> None:
    with pytest.raises(ValueError):
        encode_service(service)


@pytest.mark.parametrize(
    ("codec", "value"),
    [
        (NODE_ID, NodeId(0, True)),
        (NODE_ID, NodeId(0, Guid(b"short"))),
        (EXTENSION_OBJECT, ExtensionObject(NodeId(0, 1), 0, b"body")),
        (VARIANT, Variant(30, 1)),
        (VARIANT, Variant(0, 5)),
        (VARIANT, Variant(24, Variant())),
    ],
)
def test_encode_value_refuses_invalid_values(codec: object, value: object) -> None:
    with pytest.raises(ValueError):
        encode_value(codec, value)  # type: ignore[arg-type]


def test_node_id_keeps_its_form_and_compares_without_it() -> None:
    numeric = b"\x02\x00\x00\x0e\x00\x00\x00"  # ns=0;i=14 in the 7-byte form (python-opcua)
    node = _read(NODE_ID, numeric)
    assert node == NodeId(0, 14) and encode_value(NODE_ID, node) == numeric
    assert encode_value(NODE_ID, NodeId(0, 14)) == b"\x00\x0e"
    assert encode_value(NODE_ID, NodeId(0, 70000, form=0)) == b"\x02\x00\x00" + struct.pack(
        "<I", 70000
    )
    assert str(NodeId(2, "x")) == "ns=2;s=x" and str(NodeId(0, 85)) == "i=85"


# --- value checks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        m.Hello(1, 65536, 65536, 0, 0, None),
        m.Hello(0, 1024, 65536, 0, 0, None),
        m.Hello(0, 65536, 65536, 0, 0, "x" * 4097),
        m.Acknowledge(0, 65536, 100, 0, 0),
        m.OpenSecureChannelRequest(_header(), 0, 0, 0, None, 0),
        m.OpenSecureChannelRequest(_header(), 0, 2, 1, None, 0),
    ],
)
def test_check_values_flags_what_part_6_forbids(message: object) -> None:
    assert _kind(check_values(message)) == K.INVALID_VALUE


def test_check_values_accepts_the_captured_messages() -> None:
    for raw in CAPTURED[:2]:
        assert check_values(decode_chunk(raw)) is None
    assert check_values(m.OpenSecureChannelRequest(_header(), 0, 1, 3, None, 0)) is None


# --- the framer and the Hello test ------------------------------------------------


@pytest.mark.parametrize(
    ("data", "verdict"),
    [
        (b"", NEED_DATA),
        (b"H", NEED_DATA),
        (b"X", INVALID),
        (b"HX", INVALID),
        (b"HEZ", INVALID),
        (b"HELZ", INVALID),
        (b"HELF\x20\x00", NEED_DATA),
        (b"HELF\x1f\x00\x00\x00", INVALID),  # below the smallest Hello
        (b"MSGF\x0f\x00\x00\x00", INVALID),  # below header + channel + token
        (b"MSGF\x10\x00\x00\x00", 16),
        (b"MSGC\x00\x00\x00\x02", INVALID),  # 32 MiB
        (b"OPNF\x18\x00\x00\x00", 24),
    ],
)
def test_framer_verdicts(data: bytes, verdict: int) -> None:
    assert frame_length(data, 0) == verdict
    assert frame_length(b"junk" + data, 4) == verdict


def test_framer_delimits_consecutive_chunks() -> None:
    stream = HELLO + ACK + OPN_REQUEST
    assert frame_length(stream, 0) == len(HELLO)
    assert frame_length(stream, len(HELLO)) == len(ACK)
    assert frame_length(stream, len(HELLO) + len(ACK)) == len(OPN_REQUEST)


def test_looks_like_hello() -> None:
    assert looks_like_hello(HELLO)
    assert looks_like_hello(HELLO[:12])
    assert not looks_like_hello(HELLO[:11])
    assert not looks_like_hello(ACK)
    assert not looks_like_hello(b"HELC" + HELLO[4:])
    assert not looks_like_hello(HELLO[:8] + b"\x01\x00\x00\x00")  # protocol version 1
    assert not looks_like_hello(_with_size(HELLO, 31))
    assert not looks_like_hello(_with_size(HELLO, 32 + 4097))
    assert not looks_like_hello(b"GET / HTTP/1.1\r\n")


# --- reassembly ---------------------------------------------------------------------------

C, F, A = ord("C"), ord("F"), ord("A")


def test_assembler_joins_chunks_of_one_request() -> None:
    assembler = ChunkAssembler()
    assert assembler.push(7, C, b"ab") is None
    assert assembler.is_continuation(7) and len(assembler) == 1
    assert assembler.push(8, F, b"solo") == b"solo"  # another request, not chunked
    assert assembler.push(7, C, b"cd") is None
    assert assembler.push(7, F, b"ef") == b"abcdef"
    assert not assembler.is_continuation(7)


def test_assembler_abort_drops_the_message() -> None:
    assembler = ChunkAssembler()
    assembler.push(1, C, b"ab")
    assert assembler.push(1, A, b"error") is None
    assert not assembler.is_continuation(1)
    assert assembler.push(1, ord("Q"), b"?") is None and len(assembler) == 0


def test_assembler_evicts_the_oldest_message_past_its_bound() -> None:
    assembler = ChunkAssembler(max_open=2)
    for request in (1, 2, 3):
        assembler.push(request, C, b"x")
    assert not assembler.is_continuation(1)
    assert assembler.is_continuation(2) and assembler.is_continuation(3)


def test_assembler_reports_an_oversized_message_once_then_tracks_it() -> None:
    assembler = ChunkAssembler(max_size=10)
    assert assembler.push(1, C, b"123456") is None
    result = assembler.push(1, C, b"789012")
    assert _kind(result) == K.MESSAGE_TOO_LARGE
    assert assembler.is_continuation(1)
    assert assembler.push(1, C, b"x") is None
    assert assembler.push(1, F, b"end") is None


def test_assembler_tracks_messages_it_does_not_keep() -> None:
    assembler = ChunkAssembler()
    assert assembler.push(4, C, b"ab", keep=False) is None
    assert assembler.is_continuation(4)
    assert assembler.push(4, F, b"cd", keep=True) is None
    assert assembler.push(5, F, b"x", keep=False) is None
    assembler.push(6, C, b"x")
    assembler.reset()
    assert len(assembler) == 0


# --- structures in ExtensionObjects --------------------------------------------------


def test_build_info_from_the_wrong_extension_object_is_unexpected() -> None:
    info = BuildInfo("u", "m", "p", "1", "2", 0)
    wrapped = wrap_build_info(info)
    assert decode_build_info(wrapped) == info
    assert _kind(decode_server_status(wrapped)) == K.UNEXPECTED_SERVICE
    assert _kind(decode_build_info(ExtensionObject(NodeId(0, 340)))) == K.UNEXPECTED_SERVICE
    padded = ExtensionObject(wrapped.type_id, 1, (wrapped.body or b"") + b"\x00")
    assert _kind(decode_build_info(padded)) == K.TRAILING_BYTES


# --- hot-path peeks -------------------------------------------------------------------


def test_peek_service_id_reads_every_numeric_form() -> None:
    assert peek_service_id(b"\x01\x00\x77\x02", 0) == 631
    assert peek_service_id(b"\x00\x2a", 0) == 42
    assert peek_service_id(b"\x02\x00\x00\xb3\x2f\x00\x00", 0) == 12211
    assert peek_service_id(b"\x01\x05\x77\x02", 0) is None  # namespace 5
    assert peek_service_id(b"\x03\x00\x00", 0) is None  # string type id
    assert peek_service_id(b"\x01\x00", 0) is None  # cut short


def test_peek_service_result_of_a_captured_response() -> None:
    chunk = CAPTURED[5]  # CloseSessionResponse, Good
    assert peek_service_id(chunk) == 476 and peek_service_result(chunk) == 0
    assert peek_service_result(chunk[:34]) is None


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_id", "name", "category"),
    [
        (673, "write", "write"),
        (700, "history_update", "write"),
        (488, "add_nodes", "write"),
        (500, "delete_nodes", "write"),
        (712, "call", "control"),
        (631, "read", "read"),
        (527, "browse", "read"),
        (533, "browse_next", "read"),
        (554, "translate_browse_paths", "read"),
        (826, "publish", "read"),
        (787, "create_subscription", "read"),
        (751, "create_monitored_items", "read"),
        (560, "register_nodes", "read"),
        (664, "history_read", "read"),
        (428, "get_endpoints", "identify"),
        (422, "find_servers", "identify"),
        (461, "create_session", "session"),
        (467, "activate_session", "session"),
        (473, "close_session", "session"),
        (446, "open_secure_channel", "session"),
    ],
)
def test_service_names_and_categories(request_id: int, name: str, category: str) -> None:
    assert (operation_name(request_id), operation_category(request_id)) == (name, category)


def test_status_policy_mode_and_type_names() -> None:
    assert status_name(0x80BE0000) == "bad_protocol_version_unsupported"
    assert status_name(0x80BE0400) == "bad_protocol_version_unsupported"  # info bits
    assert status_name(0x81230000) == "status_0x81230000"
    assert security_policy_name("http://opcfoundation.org/UA/SecurityPolicy#Basic256") == "Basic256"
    assert security_policy_name("urn:vendor:policy") == "urn:vendor:policy"
    assert security_mode_name(3) == "SignAndEncrypt" and security_mode_name(9) == "mode_9"
    assert application_type_name(3) == "discovery_server"
    assert application_type_name(7) == "application_type_7"


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("opc.tcp://localhost:4840/freeopcua/server/", ("localhost", 4840)),
        ("opc.tcp://Maui-16714:51944/", ("maui-16714", 51944)),
        ("opc.tcp://plc3", ("plc3", 4840)),
        ("opc.tcp://[fe80::1]:4841", ("fe80::1", 4841)),
        ("opc.tcp://user@10.0.0.1:4842/x", ("10.0.0.1", 4842)),
        ("opc.tcp://host:99999", None),
        ("opc.tcp://:4840", None),
        ("not a url", None),
        (None, None),
    ],
)
def test_parse_endpoint_url(url: str | None, parsed: tuple[str, int] | None) -> None:
    assert parse_endpoint_url(url) == parsed


def test_guid_and_localized_text_shapes() -> None:
    guid = Guid(bytes(range(16)))
    assert str(guid) == "03020100-0504-0706-0809-0a0b0c0d0e0f"
    assert _read(LOCALIZED_TEXT, b"\x02\x02\x00\x00\x00hi") == LocalizedText(None, "hi")


def test_certificate_lengths() -> None:
    secured = m.OpenChannelChunk(ord("F"), 1, "urn:p", b"\x30" * 977, None, b"")
    assert secured.sender_certificate_length == 977 and not secured.clear
    clear = decode_chunk(OPN_REQUEST)
    assert isinstance(clear, m.OpenChannelChunk) and clear.clear
    assert clear.sender_certificate_length == 0
