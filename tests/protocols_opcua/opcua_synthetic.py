"""Test helper: OPC UA conversations written by otm's encoders, as frames (for a walker or a pcap).

No shared capture carries a Read of the Server object's status, an ERR, a
ReverseHello or a chunked message, so the tests build them: Ethernet + IPv4 +
TCP frames with a handshake, in-sequence data segments and a close, which
both otm's walker and tshark (the oracle) read.  Checksums are left zero:
neither checks them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from otm.protocols.opcua import messages as m
from otm.protocols.opcua.codec import (
    encode_chunk,
    encode_error_body,
    encode_sequenced,
    encode_service,
    open_secure_channel,
    secure_message,
    wrap_build_info,
    wrap_server_status,
)
from otm.protocols.opcua.constants import (
    ATTRIBUTE_VALUE,
    BUILD_INFO,
    BUILD_INFO_BUILD_DATE,
    BUILD_INFO_BUILD_NUMBER,
    BUILD_INFO_MANUFACTURER_NAME,
    BUILD_INFO_PRODUCT_NAME,
    BUILD_INFO_PRODUCT_URI,
    BUILD_INFO_SOFTWARE_VERSION,
    SECURITY_POLICY_NONE,
    SERVER_STATUS,
    BuiltInType,
)
from otm.protocols.opcua.datatypes import (
    ApplicationDescription,
    BuildInfo,
    ChannelSecurityToken,
    DataValue,
    DiagnosticInfo,
    EndpointDescription,
    ExtensionObject,
    LocalizedText,
    NodeId,
    QualifiedName,
    ReadValueId,
    RequestHeader,
    ResponseHeader,
    ServerStatus,
    SignatureData,
    UserTokenPolicy,
    Variant,
)

LINKTYPE_ETHERNET = 1
CLIENT_MAC = bytes.fromhex("020000000001")
SERVER_MAC = bytes.fromhex("020000000002")
BUILD_DATE = 133_000_000_000_000_000
"""A DateTime: 100 ns ticks since 1601 (2022-06-18 04:26:40 UTC)."""

Frame = tuple[int, float, int, bytes]


def _ip(address: str) -> bytes:
    return bytes(int(part) for part in address.split("."))


@dataclass
class TcpConversation:
    """One TCP connection whose frames are appended in order."""

    client: tuple[str, int]
    server: tuple[str, int]
    client_seq: int = 1000
    server_seq: int = 5000

    def _frame(self, from_client: bool, flags: int, payload: bytes = b"") -> bytes:
        (sip, sport), (dip, dport) = (
            (self.client, self.server) if from_client else (self.server, self.client)
        )
        seq = self.client_seq if from_client else self.server_seq
        ack = self.server_seq if from_client else self.client_seq
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0, 64, 6, 0, _ip(sip), _ip(dip))
        smac, dmac = (CLIENT_MAC, SERVER_MAC) if from_client else (SERVER_MAC, CLIENT_MAC)
        advance = len(payload) + (1 if flags & 0x03 else 0)  # SYN and FIN take one
        if from_client:
            self.client_seq += advance
        else:
            self.server_seq += advance
        return dmac + smac + b"\x08\x00" + ip + tcp + payload

    def open(self) -> list[bytes]:
        return [
            self._frame(True, 0x02),
            self._frame(False, 0x12),
            self._frame(True, 0x10),
        ]

    def send(self, from_client: bool, data: bytes, segment: int = 1400) -> list[bytes]:
        """``data`` in segments of at most ``segment`` bytes (PSH+ACK)."""
        return [
            self._frame(from_client, 0x18, data[i : i + segment])
            for i in range(0, len(data), segment)
        ]

    def close(self) -> list[bytes]:
        return [self._frame(True, 0x11), self._frame(False, 0x11), self._frame(True, 0x10)]


def numbered(frames: Iterable[bytes], start: float = 1_700_000_000.0) -> list[Frame]:
    """Frames as the walker takes them: (number from 1, time, link type, bytes)."""
    return [(i, start + i / 1000, LINKTYPE_ETHERNET, f) for i, f in enumerate(frames, 1)]


# --- messages ---------------------------------------------------------------------


def request_header(handle: int) -> RequestHeader:
    return RequestHeader(NodeId(0, 0), 0, handle, 0, None, 10000, ExtensionObject(NodeId(0, 0)))


def response_header(handle: int, result: int = 0) -> ResponseHeader:
    return ResponseHeader(
        133_000_000_000_000_000,
        handle,
        result,
        DiagnosticInfo(),
        None,
        ExtensionObject(NodeId(0, 0)),
    )


SERVER_DESCRIPTION = ApplicationDescription(
    "urn:example:plant:server",
    "urn:example:product",
    LocalizedText("en", "Line 3 OPC UA Server"),
    0,
    None,
    None,
    ("opc.tcp://plc3:4840",),
)

BUILD = BuildInfo(
    "urn:example:product", "Example Automation", "ExampleServer", "4.2.1", "1234", BUILD_DATE
)


def endpoints() -> tuple[EndpointDescription, ...]:
    """One endpoint without security, one with Basic256Sha256 / SignAndEncrypt."""
    anonymous = UserTokenPolicy("anonymous", 0, None, None, None)
    return (
        EndpointDescription(
            "opc.tcp://plc3:4840", SERVER_DESCRIPTION, None, 1, SECURITY_POLICY_NONE,
            (anonymous,), "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary", 0,
        ),
        EndpointDescription(
            "opc.tcp://plc3:4840", SERVER_DESCRIPTION, b"\x30\x82\x01\x00", 3,
            "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256",
            (anonymous,), "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary", 3,
        ),
    )  # fmt: skip


STATUS_NODES = (
    SERVER_STATUS,
    BUILD_INFO,
    BUILD_INFO_PRODUCT_NAME,
    BUILD_INFO_PRODUCT_URI,
    BUILD_INFO_MANUFACTURER_NAME,
    BUILD_INFO_SOFTWARE_VERSION,
    BUILD_INFO_BUILD_NUMBER,
    BUILD_INFO_BUILD_DATE,
)


def chunked_and_aborted(c: TcpConversation, channel: int) -> list[bytes]:
    """Server to client on an open ``channel``: a GetEndpointsResponse (request 2) in
    three chunks (C, C, F, sequence numbers 2-4), then one to request 3 aborted
    after its first chunk (C, A with an ErrorMessage, 5-6)."""
    body = encode_service(m.GetEndpointsResponse(response_header(2), endpoints()))
    third = len(body) // 3
    abort = encode_error_body(m.ErrorMessage(0x80B90000, "too large"))
    chunks = [
        (2, ord("C"), body[:third]),
        (2, ord("C"), body[third : 2 * third]),
        (2, ord("F"), body[2 * third :]),
        (3, ord("C"), body[:third]),
        (3, ord("A"), abort),
    ]
    frames: list[bytes] = []
    for seq, (request, kind, part) in enumerate(chunks, 2):
        payload = encode_sequenced(m.Sequenced(seq, request, part))
        frames += c.send(False, encode_chunk(m.SecureChunk(b"MSG", kind, channel, 1, payload)))
    return frames


def read_request(handle: int, nodes: Iterable[int] = STATUS_NODES) -> m.ReadRequest:
    values = tuple(
        ReadValueId(NodeId(0, n), ATTRIBUTE_VALUE, None, QualifiedName(0, None)) for n in nodes
    )
    return m.ReadRequest(request_header(handle), 0.0, 3, values)


def read_response(handle: int) -> m.ReadResponse:
    status = ServerStatus(BUILD_DATE, BUILD_DATE + 10, 0, BUILD, 0, LocalizedText())
    s = BuiltInType.STRING
    results = (
        DataValue(Variant(BuiltInType.EXTENSION_OBJECT, wrap_server_status(status))),
        DataValue(Variant(BuiltInType.EXTENSION_OBJECT, wrap_build_info(BUILD))),
        DataValue(Variant(s, BUILD.product_name)),
        DataValue(Variant(s, BUILD.product_uri)),
        DataValue(Variant(s, BUILD.manufacturer_name)),
        DataValue(Variant(s, BUILD.software_version)),
        DataValue(Variant(s, BUILD.build_number), status=0),
        DataValue(Variant(BuiltInType.DATETIME, BUILD_DATE), source_timestamp=BUILD_DATE),
    )
    return m.ReadResponse(response_header(handle), results, None)


def session_frames(
    conversation: TcpConversation, *, secured: bool = False, segment: int = 1400
) -> list[bytes]:
    """HEL, ACK, OPN (None), GetEndpoints, CreateSession, Read of the status nodes,
    CLO; with ``secured`` the OPN names Basic256Sha256 and the MSGs carry bytes
    that decode as nothing (an encrypted channel)."""
    c = conversation
    frames = c.open()
    frames += c.send(True, encode_chunk(m.Hello(0, 65536, 65536, 0, 0, "opc.tcp://plc3:4840")))
    frames += c.send(False, encode_chunk(m.Acknowledge(0, 65536, 65536, 0, 0)))
    if secured:
        policy = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"
        for from_client in (True, False):
            sealed_open = m.OpenChannelChunk(
                ord("F"), 7, policy, b"\x30\x82" + bytes(40), bytes(20), bytes(range(256))
            )
            frames += c.send(from_client, encode_chunk(sealed_open))
        for from_client in (True, False, True, False):
            sealed = m.SecureChunk(b"MSG", ord("F"), 7, 1, b"\xa5" * 200)
            frames += c.send(from_client, encode_chunk(sealed))
        return frames + c.close()
    opn = m.OpenSecureChannelRequest(request_header(1), 0, 0, 1, None, 600000)
    frames += c.send(
        True, open_secure_channel(opn, secure_channel_id=0, sequence_number=1, request_id=1)
    )
    token = ChannelSecurityToken(7, 1, BUILD_DATE, 600000)
    opened = m.OpenSecureChannelResponse(response_header(1), 0, token, None)
    frames += c.send(
        False, open_secure_channel(opened, secure_channel_id=7, sequence_number=1, request_id=1)
    )
    exchanges: list[tuple[m.Service, m.Service]] = [
        (
            m.GetEndpointsRequest(request_header(2), "opc.tcp://plc3:4840", None, None),
            m.GetEndpointsResponse(response_header(2), endpoints()),
        ),
        (
            m.CreateSessionRequest(
                request_header(3),
                SERVER_DESCRIPTION,
                None,
                "opc.tcp://plc3:4840",
                "s1",
                bytes(32),
                None,
                60000.0,
                0,
            ),
            m.CreateSessionResponse(
                response_header(3),
                NodeId(1, 17),
                NodeId(1, 18),
                60000.0,
                bytes(32),
                None,
                endpoints(),
                None,
                SignatureData(None, None),
                65536,
            ),
        ),
        (read_request(4), read_response(4)),
    ]
    for seq, (request, response) in enumerate(exchanges, 2):
        frames += c.send(
            True,
            secure_message(
                request, secure_channel_id=7, token_id=1, sequence_number=seq, request_id=seq
            ),
            segment,
        )
        frames += c.send(
            False,
            secure_message(
                response, secure_channel_id=7, token_id=1, sequence_number=seq, request_id=seq
            ),
            segment,
        )
    close = m.CloseSecureChannelRequest(request_header(9))
    frames += c.send(
        True,
        secure_message(
            close, secure_channel_id=7, token_id=1, sequence_number=9, request_id=9,
            message_type=b"CLO",
        ),
    )  # fmt: skip
    return frames + c.close()
