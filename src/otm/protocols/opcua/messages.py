"""OPC UA messages: the chunks of the UA Connection Protocol and UA Secure
Conversation (Part 6, 7.1 and 6.7), then the service requests and responses
otm decodes (Part 4, chapter 5), fields in wire order.

Every chunk starts with the same 8-byte header::

    0        3     4             8
    +--------+-----+-------------+--------------------------------------+
    | type   |chunk| size        | body (size - 8 bytes)                |
    +--------+-----+-------------+--------------------------------------+
      "HEL"... F/C/A  UInt32 LE, the whole chunk

All integers are little-endian.  The header's size is not stored (the
encoder writes it); the message type is implied by the class, except for
``SecureChunk`` (MSG or CLO).  A secure chunk's ``payload`` is everything after
its security header: the sequence header and the body when the channel is
clear (SecurityPolicy None), or bytes encrypted (and signed) otherwise; only
the channel's policy, from its OPN, says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from otm.protocols.opcua.constants import (
    SECURITY_POLICY_NONE,
    response_name,
    status_name,
)
from otm.protocols.opcua.datatypes import (
    ApplicationDescription,
    ChannelSecurityToken,
    DataValue,
    DiagnosticInfo,
    EndpointDescription,
    ExpandedNodeId,
    ExtensionObject,
    NodeId,
    ReadValueId,
    RequestHeader,
    ResponseHeader,
    SignatureData,
    SignedSoftwareCertificate,
)

# --- UA Connection Protocol (Part 6, 7.1.2) ---------------------------------


@dataclass(frozen=True, slots=True)
class Hello:
    """HEL, client -> server: ``ProtocolVersion | ReceiveBufferSize |
    SendBufferSize | MaxMessageSize | MaxChunkCount`` (UInt32 each, 0 = no
    limit for the last two) then ``EndpointUrl`` (String, at most 4096 bytes)."""

    protocol_version: int
    receive_buffer_size: int
    send_buffer_size: int
    max_message_size: int
    max_chunk_count: int
    endpoint_url: str | None


@dataclass(frozen=True, slots=True)
class Acknowledge:
    """ACK, server -> client: the same five UInt32 as Hello, the sizes it accepts."""

    protocol_version: int
    receive_buffer_size: int
    send_buffer_size: int
    max_message_size: int
    max_chunk_count: int


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """ERR (either side, then the socket closes): ``Error`` StatusCode, ``Reason``
    String.  Also the body of an abort chunk (chunk type A) after its sequence
    header (6.7.3)."""

    error: int
    reason: str | None

    @property
    def error_name(self) -> str:
        return status_name(self.error)


@dataclass(frozen=True, slots=True)
class ReverseHello:
    """RHE, server -> client over a socket the server opened (7.1.2.6):
    ``ServerUri`` and ``EndpointUrl`` Strings; the client answers with HEL."""

    server_uri: str | None
    endpoint_url: str | None


# --- UA Secure Conversation (Part 6, 6.7) -------------------------------------


@dataclass(frozen=True, slots=True)
class OpenChannelChunk:
    """OPN: ``SecureChannelId`` UInt32, the asymmetric security header
    (``SecurityPolicyUri`` String, ``SenderCertificate`` ByteString,
    ``ReceiverCertificateThumbprint`` ByteString), then ``payload``.

    With SecurityPolicy None the payload is the sequence header and an
    OpenSecureChannel request or response in clear; with any other policy it
    is encrypted with the receiver's public key (6.7.2.5: even in Sign mode).
    """

    chunk_type: int
    secure_channel_id: int
    security_policy_uri: str | None
    sender_certificate: bytes | None
    receiver_certificate_thumbprint: bytes | None
    payload: bytes

    @property
    def clear(self) -> bool:
        """Whether the payload can be read (SecurityPolicy None)."""
        return self.security_policy_uri == SECURITY_POLICY_NONE

    @property
    def sender_certificate_length(self) -> int:
        """Bytes of the sender's DER certificate (chain); 0 when none is sent."""
        return len(self.sender_certificate or b"")


@dataclass(frozen=True, slots=True)
class SecureChunk:
    """MSG or CLO: ``SecureChannelId`` UInt32, ``TokenId`` UInt32 (the symmetric
    security header), then ``payload``: sequence header and body in clear, or
    encrypted bytes, depending on the channel's policy and mode."""

    message_type: bytes
    chunk_type: int
    secure_channel_id: int
    token_id: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Sequenced:
    """A clear payload: ``SequenceNumber`` UInt32, ``RequestId`` UInt32 (6.7.2.4),
    then the body: a service message (first chunk), its continuation, or an
    abort's ``ErrorMessage``.  With a signing policy the body ends with the
    signature (and padding), which the codec leaves in ``body``."""

    sequence_number: int
    request_id: int
    body: bytes


Chunk: TypeAlias = (
    Hello | Acknowledge | ErrorMessage | ReverseHello | OpenChannelChunk | SecureChunk
)

# --- services (Part 4, chapter 5) ---------------------------------------------
# A service body is its type id (the ExpandedNodeId of the binary encoding,
# ``TYPE_ID``), then the fields below.


@dataclass(frozen=True, slots=True)
class OpenSecureChannelRequest:
    """5.6.2.2: request type 0 issue / 1 renew; security mode 1 None, 2 Sign,
    3 SignAndEncrypt; lifetime in ms."""

    TYPE_ID: ClassVar[int] = 446
    request_header: RequestHeader
    client_protocol_version: int
    request_type: int
    security_mode: int
    client_nonce: bytes | None
    requested_lifetime: int


@dataclass(frozen=True, slots=True)
class OpenSecureChannelResponse:
    """5.6.2.2: the token the client uses in every later MSG's security header."""

    TYPE_ID: ClassVar[int] = 449
    response_header: ResponseHeader
    server_protocol_version: int
    security_token: ChannelSecurityToken
    server_nonce: bytes | None


@dataclass(frozen=True, slots=True)
class CloseSecureChannelRequest:
    """5.6.3.2: just the header; servers do not answer."""

    TYPE_ID: ClassVar[int] = 452
    request_header: RequestHeader


@dataclass(frozen=True, slots=True)
class FindServersRequest:
    """5.5.2.2: filters by locale and server URI, all optional."""

    TYPE_ID: ClassVar[int] = 422
    request_header: RequestHeader
    endpoint_url: str | None
    locale_ids: tuple[str | None, ...] | None
    server_uris: tuple[str | None, ...] | None


@dataclass(frozen=True, slots=True)
class FindServersResponse:
    """5.5.2.2: the responder itself, and on a discovery server the servers
    registered with it."""

    TYPE_ID: ClassVar[int] = 425
    response_header: ResponseHeader
    servers: tuple[ApplicationDescription, ...] | None


@dataclass(frozen=True, slots=True)
class GetEndpointsRequest:
    """5.5.4.2."""

    TYPE_ID: ClassVar[int] = 428
    request_header: RequestHeader
    endpoint_url: str | None
    locale_ids: tuple[str | None, ...] | None
    profile_uris: tuple[str | None, ...] | None


@dataclass(frozen=True, slots=True)
class GetEndpointsResponse:
    """5.5.4.2: every endpoint of the server, each with its own description."""

    TYPE_ID: ClassVar[int] = 431
    response_header: ResponseHeader
    endpoints: tuple[EndpointDescription, ...] | None


@dataclass(frozen=True, slots=True)
class CreateSessionRequest:
    """5.7.2.2: the client's description, nonce and certificate."""

    TYPE_ID: ClassVar[int] = 461
    request_header: RequestHeader
    client_description: ApplicationDescription
    server_uri: str | None
    endpoint_url: str | None
    session_name: str | None
    client_nonce: bytes | None
    client_certificate: bytes | None
    requested_session_timeout: float
    max_response_message_size: int


@dataclass(frozen=True, slots=True)
class CreateSessionResponse:
    """5.7.2.2: the session, the server's certificate and endpoints."""

    TYPE_ID: ClassVar[int] = 464
    response_header: ResponseHeader
    session_id: NodeId
    authentication_token: NodeId
    revised_session_timeout: float
    server_nonce: bytes | None
    server_certificate: bytes | None
    server_endpoints: tuple[EndpointDescription, ...] | None
    server_software_certificates: tuple[SignedSoftwareCertificate, ...] | None
    server_signature: SignatureData
    max_request_message_size: int

    @property
    def server_certificate_length(self) -> int:
        """Bytes of the server's DER certificate; 0 when none is sent (policy None)."""
        return len(self.server_certificate or b"")


@dataclass(frozen=True, slots=True)
class ActivateSessionRequest:
    """5.7.3.2: ``user_identity_token`` is an ExtensionObject (anonymous: 321)."""

    TYPE_ID: ClassVar[int] = 467
    request_header: RequestHeader
    client_signature: SignatureData
    client_software_certificates: tuple[SignedSoftwareCertificate, ...] | None
    locale_ids: tuple[str | None, ...] | None
    user_identity_token: ExtensionObject
    user_token_signature: SignatureData


@dataclass(frozen=True, slots=True)
class CloseSessionRequest:
    """5.7.4.2."""

    TYPE_ID: ClassVar[int] = 473
    request_header: RequestHeader
    delete_subscriptions: bool


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """5.11.2.2: max age in ms; timestamps to return 0 source .. 3 neither."""

    TYPE_ID: ClassVar[int] = 631
    request_header: RequestHeader
    max_age: float
    timestamps_to_return: int
    nodes_to_read: tuple[ReadValueId, ...] | None


@dataclass(frozen=True, slots=True)
class ReadResponse:
    """5.11.2.2: one DataValue per node asked for, in the request's order."""

    TYPE_ID: ClassVar[int] = 634
    response_header: ResponseHeader
    results: tuple[DataValue, ...] | None
    diagnostic_infos: tuple[DiagnosticInfo, ...] | None


@dataclass(frozen=True, slots=True)
class ServiceFault:
    """7.35: the response to any request the server could not process."""

    TYPE_ID: ClassVar[int] = 397
    response_header: ResponseHeader


@dataclass(frozen=True, slots=True)
class GenericRequest:
    """A known request whose parameters otm does not decode: header, then raw bytes."""

    type_id: int
    request_header: RequestHeader
    data: bytes


@dataclass(frozen=True, slots=True)
class GenericResponse:
    """A known response whose results otm does not decode: header, then raw bytes."""

    type_id: int
    response_header: ResponseHeader
    data: bytes

    @property
    def name(self) -> str:
        return response_name(self.type_id)


@dataclass(frozen=True, slots=True)
class UnknownService:
    """A body whose type id is no service otm knows (vendor or future services)."""

    type_id: ExpandedNodeId
    data: bytes


TypedService: TypeAlias = (
    OpenSecureChannelRequest
    | OpenSecureChannelResponse
    | CloseSecureChannelRequest
    | FindServersRequest
    | FindServersResponse
    | GetEndpointsRequest
    | GetEndpointsResponse
    | CreateSessionRequest
    | CreateSessionResponse
    | ActivateSessionRequest
    | CloseSessionRequest
    | ReadRequest
    | ReadResponse
    | ServiceFault
)

Service: TypeAlias = TypedService | GenericRequest | GenericResponse | UnknownService
"""What ``codec.decode_service`` returns for a body."""
