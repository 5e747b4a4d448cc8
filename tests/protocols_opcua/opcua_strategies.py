"""Hypothesis strategies that build every OPC UA message shape the codec knows.

Values stay within what the wire can hold (UInt32, Int64 ...); floats exclude
NaN (never equal to itself) and Float values are float32-exact; nesting
(Variant in Variant, DataValue, DiagnosticInfo) stays a few levels deep, well
under ``MAX_DEPTH``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from otm.protocols.opcua import messages as m
from otm.protocols.opcua.constants import REQUEST_NAMES, RESPONSE_NAMES, BuiltInType
from otm.protocols.opcua.datatypes import (
    ApplicationDescription,
    ChannelSecurityToken,
    DataValue,
    DiagnosticInfo,
    EndpointDescription,
    ExpandedNodeId,
    ExtensionObject,
    Guid,
    LocalizedText,
    NodeId,
    QualifiedName,
    ReadValueId,
    RequestHeader,
    ResponseHeader,
    SignatureData,
    SignedSoftwareCertificate,
    UserTokenPolicy,
    Variant,
)
from otm.protocols.opcua.layouts import SERVICE_LAYOUTS

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
i32 = st.integers(-(2**31), 2**31 - 1)
i64 = st.integers(-(2**63), 2**63 - 1)
doubles = st.floats(allow_nan=False)
text = st.none() | st.text(max_size=12)
blob = st.none() | st.binary(max_size=12)
guids = st.binary(min_size=16, max_size=16).map(Guid)


def arrays(element: st.SearchStrategy[Any], size: int = 3) -> st.SearchStrategy[Any]:
    """A null array or a tuple of up to ``size`` elements."""
    return st.none() | st.lists(element, max_size=size).map(tuple)


node_ids = st.one_of(
    st.builds(NodeId, u16, u32),
    st.builds(NodeId, u16, st.text(max_size=8)),
    st.builds(NodeId, u16, guids),
    st.builds(NodeId, u16, st.binary(max_size=8)),
)
expanded_node_ids = st.builds(ExpandedNodeId, node_ids, text, st.none() | u32)
qualified_names = st.builds(QualifiedName, u16, text)
localized_texts = st.builds(LocalizedText, text, text)
extension_objects = st.one_of(
    st.builds(ExtensionObject, node_ids, st.just(0), st.none()),
    st.builds(ExtensionObject, node_ids, st.sampled_from([1, 2]), blob),
)
diagnostic_infos = st.recursive(
    st.just(DiagnosticInfo()),
    lambda inner: st.builds(
        DiagnosticInfo,
        st.none() | i32,
        st.none() | i32,
        st.none() | i32,
        st.none() | i32,
        text,
        st.none() | u32,
        st.none() | inner,
    ),
    max_leaves=3,
)

_SCALARS: dict[int, st.SearchStrategy[Any]] = {
    BuiltInType.BOOLEAN: st.booleans(),
    BuiltInType.SBYTE: st.integers(-128, 127),
    BuiltInType.BYTE: u8,
    BuiltInType.INT16: st.integers(-(2**15), 2**15 - 1),
    BuiltInType.UINT16: u16,
    BuiltInType.INT32: i32,
    BuiltInType.UINT32: u32,
    BuiltInType.INT64: i64,
    BuiltInType.UINT64: st.integers(0, 2**64 - 1),
    BuiltInType.FLOAT: st.floats(width=32, allow_nan=False),
    BuiltInType.DOUBLE: doubles,
    BuiltInType.STRING: text,
    BuiltInType.DATETIME: i64,
    BuiltInType.GUID: guids,
    BuiltInType.BYTESTRING: blob,
    BuiltInType.XML_ELEMENT: blob,
    BuiltInType.NODE_ID: node_ids,
    BuiltInType.EXPANDED_NODE_ID: expanded_node_ids,
    BuiltInType.STATUS_CODE: u32,
    BuiltInType.QUALIFIED_NAME: qualified_names,
    BuiltInType.LOCALIZED_TEXT: localized_texts,
    BuiltInType.EXTENSION_OBJECT: extension_objects,
    BuiltInType.DIAGNOSTIC_INFO: diagnostic_infos,
}


def _leaf_variants() -> st.SearchStrategy[Variant]:
    def one(kind: int) -> st.SearchStrategy[Variant]:
        scalar = _SCALARS[kind]
        return st.one_of(
            scalar.map(lambda v: Variant(kind, v)),
            arrays(scalar).map(lambda v: Variant(kind, v, True)),
            st.lists(scalar, min_size=1, max_size=4).flatmap(
                lambda vs: st.lists(st.integers(-1, 4), max_size=2).map(
                    lambda dims: Variant(kind, tuple(vs), True, tuple(dims))
                )
            ),
        )

    return st.just(Variant()) | st.sampled_from(sorted(_SCALARS)).flatmap(one)


def _nested(inner: st.SearchStrategy[Variant]) -> st.SearchStrategy[Variant]:
    data_values = st.builds(
        DataValue, st.none() | inner, st.none() | u32, st.none() | i64, st.none() | u16
    )
    return st.one_of(
        arrays(inner).map(lambda v: Variant(BuiltInType.VARIANT, v, True)),
        data_values.map(lambda v: Variant(BuiltInType.DATA_VALUE, v)),
    )


variants = st.recursive(_leaf_variants(), _nested, max_leaves=4)
data_values = st.builds(
    DataValue,
    st.none() | variants,
    st.none() | u32,
    st.none() | i64,
    st.none() | u16,
    st.none() | i64,
    st.none() | u16,
)

request_headers = st.builds(RequestHeader, node_ids, i64, u32, u32, text, u32, extension_objects)
response_headers = st.builds(
    ResponseHeader, i64, u32, u32, diagnostic_infos, arrays(text), extension_objects
)
application_descriptions = st.builds(
    ApplicationDescription, text, text, localized_texts, i32, text, text, arrays(text)
)
user_token_policies = st.builds(UserTokenPolicy, text, i32, text, text, text)
endpoint_descriptions = st.builds(
    EndpointDescription,
    text,
    application_descriptions,
    blob,
    i32,
    text,
    arrays(user_token_policies),
    text,
    u8,
)
signatures = st.builds(SignatureData, text, blob)
software_certificates = arrays(st.builds(SignedSoftwareCertificate, blob, blob), 2)
read_value_ids = st.builds(ReadValueId, node_ids, u32, text, qualified_names)

_GENERIC_REQUESTS = sorted(set(REQUEST_NAMES) - set(SERVICE_LAYOUTS))
_GENERIC_RESPONSES = sorted(set(RESPONSE_NAMES) - set(SERVICE_LAYOUTS))
_KNOWN = set(REQUEST_NAMES) | set(RESPONSE_NAMES)

SERVICES: list[st.SearchStrategy[Any]] = [
    st.builds(m.OpenSecureChannelRequest, request_headers, u32, i32, i32, blob, u32),
    st.builds(
        m.OpenSecureChannelResponse,
        response_headers,
        u32,
        st.builds(ChannelSecurityToken, u32, u32, i64, u32),
        blob,
    ),
    st.builds(m.CloseSecureChannelRequest, request_headers),
    st.builds(m.FindServersRequest, request_headers, text, arrays(text), arrays(text)),
    st.builds(m.FindServersResponse, response_headers, arrays(application_descriptions, 2)),
    st.builds(m.GetEndpointsRequest, request_headers, text, arrays(text), arrays(text)),
    st.builds(m.GetEndpointsResponse, response_headers, arrays(endpoint_descriptions, 2)),
    st.builds(
        m.CreateSessionRequest,
        request_headers,
        application_descriptions,
        text,
        text,
        text,
        blob,
        blob,
        doubles,
        u32,
    ),
    st.builds(
        m.CreateSessionResponse,
        response_headers,
        node_ids,
        node_ids,
        doubles,
        blob,
        blob,
        arrays(endpoint_descriptions, 2),
        software_certificates,
        signatures,
        u32,
    ),
    st.builds(
        m.ActivateSessionRequest,
        request_headers,
        signatures,
        software_certificates,
        arrays(text),
        extension_objects,
        signatures,
    ),
    st.builds(m.CloseSessionRequest, request_headers, st.booleans()),
    st.builds(m.ReadRequest, request_headers, doubles, i32, arrays(read_value_ids)),
    st.builds(m.ReadResponse, response_headers, arrays(data_values), arrays(diagnostic_infos)),
    st.builds(m.ServiceFault, response_headers),
    st.builds(
        m.GenericRequest,
        st.sampled_from(_GENERIC_REQUESTS),
        request_headers,
        st.binary(max_size=16),
    ),
    st.builds(
        m.GenericResponse,
        st.sampled_from(_GENERIC_RESPONSES),
        response_headers,
        st.binary(max_size=16),
    ),
    st.builds(m.UnknownService, expanded_node_ids, st.binary(max_size=16)).filter(
        lambda s: (
            s.type_id.namespace_uri is not None
            or s.type_id.server_index is not None
            or s.type_id.node_id.numeric() not in _KNOWN
        )
    ),
]
services = st.one_of(*SERVICES)

chunk_types = st.sampled_from([ord("F"), ord("C"), ord("A")])
CHUNKS: list[st.SearchStrategy[Any]] = [
    st.builds(m.Hello, u32, u32, u32, u32, u32, text),
    st.builds(m.Acknowledge, u32, u32, u32, u32, u32),
    st.builds(m.ErrorMessage, u32, text),
    st.builds(m.ReverseHello, text, text),
    st.builds(m.OpenChannelChunk, chunk_types, u32, text, blob, blob, st.binary(max_size=40)),
    st.builds(
        m.SecureChunk,
        st.sampled_from([b"MSG", b"CLO"]),
        chunk_types,
        u32,
        u32,
        st.binary(max_size=40),
    ),
]
chunks = st.one_of(*CHUNKS)

# Chunks from the shared captures, seeding the fuzzers with real traffic:
# python_opcua-client-server_minimal.pcap frames 7 (HEL), 9 (ACK), 11 and 13
# (OPN request and response), 35 and 37 (CloseSession), 39 (CLO);
# open62541_discover_getendpoints_discover_urls.pcap frames 16
# (RegisterServer2Response) and 57 (FindServersRequest).
CAPTURED = [
    bytes.fromhex(h)
    for h in (
        "48454c464a00000000000000000001000000010000000000000000002a0000006f70632e7463703a2f"
        "2f6c6f63616c686f73743a343834302f667265656f706375612f7365727665722f",
        "41434b461c0000000000000000000100000001000000000000000000",
        "4f504e4684000000000000002f000000687474703a2f2f6f7063666f756e646174696f6e2e6f7267"
        "2f55412f5365637572697479506f6c696379234e6f6e65ffffffffffffffff010000000100000001"
        "00be010000647cf1a8e973d5010100000000000000ffffffffe80300000000000000000000000000"
        "010000000000000080ee3600",
        "4f504e4687000000090000002f000000687474703a2f2f6f7063666f756e646174696f6e2e6f7267"
        "2f55412f5365637572697479506f6c696379234e6f6e65ffffffffffffffff010000000100000001"
        "00c1017e94f1a8e973d5010100000000000000000000000000000000000000090000000e0000001a"
        "94f1a8e973d50180ee360000000000",
        "4d5347463f000000090000000e00000007000000070000000100d901020000ec03000054d6f2a8e9"
        "73d5010700000000000000ffffffffe803000000000001",
        "4d53474634000000090000000e00000007000000070000000100dc010ae4f2a8e973d50107000000"
        "000000000000000000000000",
        "434c4f463e000000090000000e00000008000000080000000100c401020000ec0300006ef3f2a8e9"
        "73d5010800000000000000ffffffffe8030000000000",
        "4d53474640000000010000000100000002000000020000000100b42ff027763b3aaad70101000000"
        "0000000000ffffffff0000000100000000000000ffffffff",
        "4d53474645000000030000000300000002000000020000000100a6010000ecefc63f3aaad7010100"
        "000000000000ffffffff00000000000000ffffffffffffffffffffffff",
    )
]
"""Real chunks; the decoders accept each one and re-encode it byte for byte."""
BODIES = [c[24:] for c in CAPTURED if c[:3] in (b"MSG", b"CLO")]
