"""The codec against tshark, the oracle, frame by frame and field by field.

tshark lists every TCP segment to or from port 4840 with the OPC UA fields it
dissected (Wireshark filter names, every occurrence in tree order).  The test
rebuilds each direction's byte stream from ``tcp.payload``, cuts it with our
``frame_length``, decodes each chunk (and, on a clear channel, its sequence
header and service) and derives from our messages alone the values tshark
shows: a walk over each message guided by the same layouts that decode it
(``layouts.py``), so every field and every array length is checked in wire
order.  The captures are the shared ones with OPC UA in their ground truth,
plus conversations written by our encoders for what they lack (a Read of the
Server object's status and build info, ERR, ReverseHello, a chunked message,
an encrypted channel).

Compared per frame: the chunk header and security headers of every chunk;
for services otm decodes fully every field in ``FIELDS`` and every
``opcua.variant.ArraySize``; for the others only the request/response header.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opcua_synthetic import TcpConversation, numbered, session_frames

from conftest import GROUNDTRUTH, PCAPS
from otm.protocols.common import Anomaly
from otm.protocols.opcua import (
    ChunkAssembler,
    decode_chunk,
    decode_error_body,
    decode_sequenced,
    decode_service,
    encode_chunk,
    frame_length,
)
from otm.protocols.opcua import messages as m
from otm.protocols.opcua.binary import STRING, ArrayOf, Codec, Reader, StructOf
from otm.protocols.opcua.codec import encode_sequenced
from otm.protocols.opcua.constants import (
    ANONYMOUS_IDENTITY_TOKEN_ENCODING,
    BUILD_INFO_ENCODING,
    SERVER_STATUS_ENCODING,
    BuiltInType,
)
from otm.protocols.opcua.datatypes import DataValue, ExtensionObject, Variant
from otm.protocols.opcua.layouts import (
    BUILD_INFO,
    LAYOUT_OF,
    REQUEST_HEADER,
    RESPONSE_HEADER,
    SERVER_STATUS,
)
from tshark_support import AGGREGATOR, tshark_rows, write_pcap

pytestmark = pytest.mark.tshark

PORT = 4840


def _opcua_captures() -> list[str]:
    names = []
    for gt in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(gt.read_text())
        if "opcua" in data["protocol_frames"]:
            names.append(data["capture"])
    return names


CAPTURES = _opcua_captures()


def _dec(v: Any) -> str:
    return str(int(v))


def _hex(v: Any) -> str:
    return f"0x{v & 0xFFFFFFFF:08x}"


def _text(v: Any) -> str:
    return "" if v is None else str(v)


def _blob(v: Any) -> str:
    return v.hex() if v else "<MISSING>"


def _double(v: Any) -> str:
    return format(v, ".15g")


Fmt = Callable[[Any], str]

FIELDS: dict[tuple[str, str], tuple[str, Fmt]] = {
    ("RequestHeader", "request_handle"): ("opcua.RequestHandle", _dec),
    ("RequestHeader", "audit_entry_id"): ("opcua.AuditEntryId", _text),
    ("RequestHeader", "timeout_hint"): ("opcua.TimeoutHint", _dec),
    ("ResponseHeader", "request_handle"): ("opcua.RequestHandle", _dec),
    ("ResponseHeader", "service_result"): ("opcua.ServiceResult", _hex),
    ("ApplicationDescription", "application_uri"): ("opcua.ApplicationUri", _text),
    ("ApplicationDescription", "product_uri"): ("opcua.ProductUri", _text),
    ("ApplicationDescription", "application_type"): ("opcua.ApplicationType", _hex),
    ("ApplicationDescription", "gateway_server_uri"): ("opcua.GatewayServerUri", _text),
    ("ApplicationDescription", "discovery_profile_uri"): ("opcua.DiscoveryProfileUri", _text),
    ("ApplicationDescription", "discovery_urls"): ("opcua.DiscoveryUrls", _text),
    ("LocalizedText", "locale"): ("opcua.loctext.Locale", _text),
    ("LocalizedText", "text"): ("opcua.loctext.Text", _text),
    ("EndpointDescription", "endpoint_url"): ("opcua.EndpointUrl", _text),
    ("EndpointDescription", "server_certificate"): ("opcua.ServerCertificate", _blob),
    ("EndpointDescription", "security_mode"): ("opcua.MessageSecurityMode", _hex),
    ("EndpointDescription", "security_policy_uri"): ("opcua.SecurityPolicyUri", _text),
    ("EndpointDescription", "transport_profile_uri"): ("opcua.TransportProfileUri", _text),
    ("EndpointDescription", "security_level"): ("opcua.SecurityLevel", _dec),
    ("UserTokenPolicy", "policy_id"): ("opcua.PolicyId", _text),
    ("UserTokenPolicy", "token_type"): ("opcua.UserTokenType", _hex),
    ("UserTokenPolicy", "issued_token_type"): ("opcua.IssuedTokenType", _text),
    ("UserTokenPolicy", "issuer_endpoint_url"): ("opcua.IssuerEndpointUrl", _text),
    ("UserTokenPolicy", "security_policy_uri"): ("opcua.SecurityPolicyUri", _text),
    ("OpenSecureChannelRequest", "client_protocol_version"): ("opcua.ClientProtocolVersion", _dec),
    ("OpenSecureChannelRequest", "request_type"): ("opcua.SecurityTokenRequestType", _hex),
    ("OpenSecureChannelRequest", "security_mode"): ("opcua.MessageSecurityMode", _hex),
    ("OpenSecureChannelRequest", "client_nonce"): ("opcua.ClientNonce", _blob),
    ("OpenSecureChannelRequest", "requested_lifetime"): ("opcua.RequestedLifetime", _dec),
    ("OpenSecureChannelResponse", "server_protocol_version"): ("opcua.ServerProtocolVersion", _dec),
    ("OpenSecureChannelResponse", "server_nonce"): ("opcua.ServerNonce", _blob),
    ("ChannelSecurityToken", "channel_id"): ("opcua.ChannelId", _dec),
    ("ChannelSecurityToken", "token_id"): ("opcua.TokenId", _dec),
    ("ChannelSecurityToken", "revised_lifetime"): ("opcua.RevisedLifetime", _dec),
    ("GetEndpointsRequest", "endpoint_url"): ("opcua.EndpointUrl", _text),
    ("GetEndpointsRequest", "locale_ids"): ("opcua.LocaleIds", _text),
    ("GetEndpointsRequest", "profile_uris"): ("opcua.ProfileUris", _text),
    ("FindServersRequest", "endpoint_url"): ("opcua.EndpointUrl", _text),
    ("FindServersRequest", "locale_ids"): ("opcua.LocaleIds", _text),
    ("FindServersRequest", "server_uris"): ("opcua.ServerUris", _text),
    ("CreateSessionRequest", "server_uri"): ("opcua.ServerUri", _text),
    ("CreateSessionRequest", "endpoint_url"): ("opcua.EndpointUrl", _text),
    ("CreateSessionRequest", "session_name"): ("opcua.SessionName", _text),
    ("CreateSessionRequest", "client_nonce"): ("opcua.ClientNonce", _blob),
    ("CreateSessionRequest", "client_certificate"): ("opcua.ClientCertificate", _blob),
    ("CreateSessionRequest", "requested_session_timeout"): (
        "opcua.RequestedSessionTimeout",
        _double,
    ),
    ("CreateSessionRequest", "max_response_message_size"): ("opcua.MaxResponseMessageSize", _dec),
    ("CreateSessionResponse", "revised_session_timeout"): ("opcua.RevisedSessionTimeout", _double),
    ("CreateSessionResponse", "server_nonce"): ("opcua.ServerNonce", _blob),
    ("CreateSessionResponse", "server_certificate"): ("opcua.ServerCertificate", _blob),
    ("CreateSessionResponse", "max_request_message_size"): ("opcua.MaxRequestMessageSize", _dec),
    ("SignatureData", "algorithm"): ("opcua.Algorithm", _text),
    ("SignatureData", "signature"): ("opcua.Signature", _blob),
    ("ActivateSessionRequest", "locale_ids"): ("opcua.LocaleIds", _text),
    ("AnonymousIdentityToken", "policy_id"): ("opcua.PolicyId", _text),
    ("CloseSessionRequest", "delete_subscriptions"): ("opcua.DeleteSubscriptions", _dec),
    ("ReadRequest", "max_age"): ("opcua.MaxAge", _double),
    ("ReadRequest", "timestamps_to_return"): ("opcua.TimestampsToReturn", _hex),
    ("ReadValueId", "attribute_id"): ("opcua.AttributeId", _hex),
    ("ReadValueId", "index_range"): ("opcua.IndexRange", _text),
    ("QualifiedName", "namespace"): ("opcua.qualname.Id", _dec),
    ("QualifiedName", "name"): ("opcua.qualname.Name", _text),
    ("DataValue", "status"): ("opcua.StatusCode", _hex),
    ("ServerStatus", "state"): ("opcua.ServerState", _hex),
    ("ServerStatus", "seconds_till_shutdown"): ("opcua.SecondsTillShutdown", _dec),
    ("BuildInfo", "product_uri"): ("opcua.ProductUri", _text),
    ("BuildInfo", "manufacturer_name"): ("opcua.ManufacturerName", _text),
    ("BuildInfo", "product_name"): ("opcua.ProductName", _text),
    ("BuildInfo", "software_version"): ("opcua.SoftwareVersion", _text),
    ("BuildInfo", "build_number"): ("opcua.BuildNumber", _text),
}
"""(structure, field) of our messages -> (tshark field, how tshark prints the value)."""

ARRAY_SIZE = "opcua.variant.ArraySize"
VARIANT_STRING = "opcua.String"
HEADER_FIELDS = ("opcua.RequestHandle", "opcua.ServiceResult", "opcua.TimeoutHint")

TRANSPORT = [
    "opcua.transport.type",
    "opcua.transport.chunk",
    "opcua.transport.size",
    "opcua.transport.ver",
    "opcua.transport.rbs",
    "opcua.transport.sbs",
    "opcua.transport.mms",
    "opcua.transport.mcc",
    "opcua.transport.endpoint",
    "opcua.transport.suri",
    "opcua.transport.error",
    "opcua.transport.reason",
    "opcua.transport.scid",
    "opcua.security.spu",
    "opcua.security.scert",
    "opcua.security.rcthumb",
    "opcua.security.tokenid",
    "opcua.security.seq",
    "opcua.security.rqid",
    "opcua.servicenodeid.numeric",
]
BODY = sorted({name for name, _ in FIELDS.values()} | {ARRAY_SIZE, VARIANT_STRING})
COMPARED = TRANSPORT + [f for f in BODY if f not in TRANSPORT]
SEGMENT_FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.seq", "tcp.payload"]


@dataclass
class Expected:
    """What tshark should show in one frame, and which fields can be compared there."""

    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    partial: bool = False  # a service decoded only to its header: body fields not compared
    messages: int = 0

    def add(self, name: str, value: str) -> None:
        self.values[name].append(value)


def _walk(value: Any, codec: Codec, owner: str, attr: str, out: Expected) -> None:
    """Emit, in wire order, the tshark fields of ``value`` read by ``codec``."""
    if isinstance(codec, ArrayOf):
        out.add(ARRAY_SIZE, str(-1 if value is None else len(value)))
        for element in value or ():
            _walk(element, codec.item, owner, attr, out)
        return
    if isinstance(codec, StructOf):
        for name, inner in zip(codec.names, codec.codecs, strict=True):
            _walk(getattr(value, name), inner, codec.cls.__name__, name, out)
        return
    if isinstance(value, DataValue):
        if value.value is not None:
            _variant(value.value, out)
        if value.status is not None:
            out.add("opcua.StatusCode", _hex(value.status))
        return
    if isinstance(value, ExtensionObject):
        _extension(value, out)
        return
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, Variant):
        for name in value.__dataclass_fields__:
            mapped = FIELDS.get((type(value).__name__, name))
            if mapped is not None:
                out.add(mapped[0], mapped[1](getattr(value, name)))
        return
    mapped = FIELDS.get((owner, attr))
    if mapped is not None:
        out.add(mapped[0], mapped[1](value))


def _variant(variant: Variant, out: Expected) -> None:
    assert not variant.array, "no array Variant in these conversations"
    if variant.built_in_type == BuiltInType.STRING:
        out.add(VARIANT_STRING, _text(variant.value))
    elif isinstance(variant.value, ExtensionObject):
        _extension(variant.value, out)


def _extension(ext: ExtensionObject, out: Expected) -> None:
    """tshark dissects the bodies of the structures it knows; so do we, for three."""
    layouts: dict[int, Codec] = {
        SERVER_STATUS_ENCODING: SERVER_STATUS,
        BUILD_INFO_ENCODING: BUILD_INFO,
    }
    number = ext.type_id.numeric()
    if ext.body is None or number is None:
        return
    if number == ANONYMOUS_IDENTITY_TOKEN_ENCODING:
        out.add("opcua.PolicyId", _text(STRING.read(Reader(ext.body))))
    elif number in layouts:
        _walk(layouts[number].read(Reader(ext.body)), layouts[number], "", "", out)


def _expect_chunk(chunk: m.Chunk, raw: bytes, out: Expected) -> None:
    header = raw[:8]
    out.add("opcua.transport.type", header[:3].decode())
    out.add("opcua.transport.chunk", chr(header[3]))
    out.add("opcua.transport.size", str(len(raw)))
    match chunk:
        case m.Hello() | m.Acknowledge():
            out.add("opcua.transport.ver", str(chunk.protocol_version))
            out.add("opcua.transport.rbs", str(chunk.receive_buffer_size))
            out.add("opcua.transport.sbs", str(chunk.send_buffer_size))
            out.add("opcua.transport.mms", str(chunk.max_message_size))
            out.add("opcua.transport.mcc", str(chunk.max_chunk_count))
            if isinstance(chunk, m.Hello):
                out.add("opcua.transport.endpoint", _text(chunk.endpoint_url))
        case m.ErrorMessage():
            out.add("opcua.transport.error", _hex(chunk.error))
            out.add("opcua.transport.reason", _text(chunk.reason))
        case m.ReverseHello():
            out.add("opcua.transport.suri", _text(chunk.server_uri))
            out.add("opcua.transport.endpoint", _text(chunk.endpoint_url))
        case m.OpenChannelChunk():
            out.add("opcua.transport.scid", str(chunk.secure_channel_id))
            out.add("opcua.security.spu", _text(chunk.security_policy_uri))
            out.add("opcua.security.scert", _blob(chunk.sender_certificate))
            out.add("opcua.security.rcthumb", _blob(chunk.receiver_certificate_thumbprint))
        case m.SecureChunk():
            out.add("opcua.transport.scid", str(chunk.secure_channel_id))
            out.add("opcua.security.tokenid", str(chunk.token_id))
    if isinstance(chunk, m.OpenChannelChunk | m.SecureChunk) and len(chunk.payload) >= 8:
        # tshark reads the sequence header's place whether it is encrypted or not.
        sequenced = decode_sequenced(chunk.payload)
        assert not isinstance(sequenced, Anomaly)
        out.add("opcua.security.seq", str(sequenced.sequence_number))
        out.add("opcua.security.rqid", str(sequenced.request_id))


def _expect_service(service: m.Service, out: Expected) -> None:
    out.messages += 1
    if isinstance(service, m.GenericRequest | m.GenericResponse):
        out.add("opcua.servicenodeid.numeric", str(service.type_id))
        out.partial = True
        if isinstance(service, m.GenericRequest):
            _walk(service.request_header, REQUEST_HEADER, "", "", out)
        else:
            _walk(service.response_header, RESPONSE_HEADER, "", "", out)
        return
    assert not isinstance(service, m.UnknownService), service
    out.add("opcua.servicenodeid.numeric", str(type(service).TYPE_ID))
    _walk(service, LAYOUT_OF[type(service)], "", "", out)


def _tshark_rows(tshark: str, capture: Path) -> list[dict[str, str]]:
    desegment = ("-o", "tcp.desegment_tcp_streams:TRUE")
    shown = f"tcp.port == {PORT} && tcp.len > 0"
    return tshark_rows(tshark, capture, shown, SEGMENT_FIELDS + COMPARED, *desegment)


@dataclass
class _Stream:
    """One TCP connection as the test reads it."""

    pending: dict[int, bytes] = field(default_factory=dict)  # source port -> bytes carried
    clear: bool | None = None
    assemblers: dict[int, ChunkAssembler] = field(default_factory=dict)


def _expectations(row: dict[str, str], stream: _Stream, out: Expected) -> int:
    """Cut this segment's chunks and note what tshark should show; returns the count."""
    port = int(row["tcp.srcport"])
    data = stream.pending.pop(port, b"") + bytes.fromhex(row["tcp.payload"])
    start = count = 0
    # Each turn takes one chunk of at least 8 bytes.
    while (size := frame_length(data, start)) > 0 and start + size <= len(data):
        raw = data[start : start + size]
        start += size
        count += 1
        chunk = decode_chunk(raw)
        assert not isinstance(chunk, Anomaly), (row["frame.number"], chunk)
        assert encode_chunk(chunk) == raw, row["frame.number"]
        _expect_chunk(chunk, raw, out)
        if isinstance(chunk, m.OpenChannelChunk):
            stream.clear = chunk.clear
            if not chunk.clear:
                continue
        elif not isinstance(chunk, m.SecureChunk) or stream.clear is not True:
            continue
        sequenced = decode_sequenced(chunk.payload)
        assert not isinstance(sequenced, Anomaly)
        assert encode_sequenced(sequenced) == chunk.payload
        chunk_type = chunk.chunk_type
        assembler = stream.assemblers.setdefault(port, ChunkAssembler())
        body = assembler.push(sequenced.request_id, chunk_type, sequenced.body)
        if chunk_type == ord("A"):
            aborted = decode_error_body(sequenced.body)
            assert not isinstance(aborted, Anomaly)
            out.add("opcua.transport.error", _hex(aborted.error))
            out.add("opcua.transport.reason", _text(aborted.reason))
            continue
        if isinstance(body, bytes):
            service = decode_service(body)
            assert not isinstance(service, Anomaly), (row["frame.number"], service)
            _expect_service(service, out)
    assert size >= 0, f"frame {row['frame.number']}: the framer lost the stream"
    stream.pending[port] = data[start:]
    return count


def _compare(tshark: str, capture: Path) -> tuple[int, int, list[str]]:
    streams: dict[str, _Stream] = defaultdict(_Stream)
    chunks = compared = 0
    mismatches: list[str] = []
    for row in _tshark_rows(tshark, capture):
        out = Expected()
        chunks += _expectations(row, streams[row["tcp.stream"]], out)
        names = TRANSPORT + list(HEADER_FIELDS) if out.partial else COMPARED
        for name in names:
            shown = row[name].split(AGGREGATOR) if row[name] else []
            ours = out.values.get(name, [])
            if ours == [""] and not shown:
                ours = []  # one empty occurrence prints as nothing
            compared += len(ours)
            if shown != ours:
                mismatches.append(f"frame {row['frame.number']} {name}: ours {ours} tshark {shown}")
    return chunks, compared, mismatches


@pytest.mark.parametrize("capture", CAPTURES)
def test_decoder_agrees_with_tshark_on_the_shared_captures(
    capture: str, pcaps: Path, tshark: str
) -> None:
    chunks, compared, mismatches = _compare(tshark, pcaps / capture)
    assert chunks > 0
    assert compared > chunks
    assert not mismatches, "\n".join(mismatches[:30])


def test_the_shared_captures_are_the_three_known_ones() -> None:
    """Guard: the oracle keeps covering a clear session, discovery and an encrypted channel."""
    assert set(CAPTURES) == {
        "open62541_client-server_encrypted.pcap",
        "open62541_discover_getendpoints_discover_urls.pcap",
        "python_opcua-client-server_minimal.pcap",
    }
    assert all((PCAPS / c).is_file() for c in CAPTURES)


def _written_conversations() -> list[bytes]:
    """A clear session with a status Read, its responses cut into 300-byte segments;
    an encrypted channel; a rejected Hello (ERR); a reverse connection; a chunked
    GetEndpoints response (C, C, F) and an aborted one (C, A)."""
    frames = session_frames(TcpConversation(("10.0.0.1", 50000), ("10.0.0.2", PORT)), segment=300)
    frames += session_frames(TcpConversation(("10.0.0.3", 50001), ("10.0.0.2", PORT)), secured=True)
    rejected = TcpConversation(("10.0.0.4", 50002), ("10.0.0.2", PORT))
    frames += rejected.open()
    frames += rejected.send(True, encode_chunk(m.Hello(0, 1024, 1024, 0, 0, "opc.tcp://x")))
    frames += rejected.send(False, encode_chunk(m.ErrorMessage(0x80BE0000, "buffer too small")))
    frames += rejected.close()
    # Reverse connect: the server opens the socket to the client's port 4840.
    reverse = TcpConversation(("10.0.0.2", 50003), ("10.0.0.5", PORT))
    frames += reverse.open()
    frames += reverse.send(
        True, encode_chunk(m.ReverseHello("urn:example:plant:server", "opc.tcp://plc3:4840"))
    )
    frames += reverse.send(
        False, encode_chunk(m.Hello(0, 65536, 65536, 0, 0, "opc.tcp://plc3:4840"))
    )
    frames += reverse.send(True, encode_chunk(m.Acknowledge(0, 65536, 65536, 0, 0)))
    frames += reverse.close()
    frames += _chunked(TcpConversation(("10.0.0.6", 50004), ("10.0.0.2", PORT)))
    return frames


def _chunked(c: TcpConversation) -> list[bytes]:
    from opcua_synthetic import chunked_and_aborted, request_header, response_header

    from otm.protocols.opcua.codec import open_secure_channel
    from otm.protocols.opcua.datatypes import ChannelSecurityToken

    frames = c.open()
    opn = m.OpenSecureChannelRequest(request_header(1), 0, 0, 1, None, 600000)
    frames += c.send(
        True, open_secure_channel(opn, secure_channel_id=0, sequence_number=1, request_id=1)
    )
    token = ChannelSecurityToken(9, 1, 0, 600000)
    opened = m.OpenSecureChannelResponse(response_header(1), 0, token, None)
    frames += c.send(
        False, open_secure_channel(opened, secure_channel_id=9, sequence_number=1, request_id=1)
    )
    return frames + chunked_and_aborted(c, 9)


def test_decoder_agrees_with_tshark_on_written_conversations(tmp_path: Path, tshark: str) -> None:
    capture = write_pcap(tmp_path / "opcua_written.pcap", numbered(_written_conversations()))
    chunks, compared, mismatches = _compare(tshark, capture)
    assert chunks >= 30
    assert not mismatches, "\n".join(mismatches[:30])
    command = [tshark, "-n", "-r", str(capture), "-T", "fields", "-E", "occurrence=a"]
    command += ["-e", "opcua.ProductName", "-e", "opcua.SoftwareVersion"]
    shown = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "ExampleServer" in shown and "4.2.1" in shown  # tshark read our ServerStatus
    assert compared > 300
