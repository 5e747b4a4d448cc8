"""OPC UA binary bytes <-> messages, without I/O, in three layers.

1. ``decode_chunk``: one whole chunk (as the framer delimits it) -> ``Hello``,
   ``Acknowledge``, ``ErrorMessage``, ``ReverseHello``, ``OpenChannelChunk``
   or ``SecureChunk``.  A secure chunk's payload is left as bytes: whether it
   is readable depends on the channel (``OpenChannelChunk.clear``).
2. ``decode_sequenced``: a clear payload -> sequence number, request id, body.
3. ``decode_service``: a body (the whole message, once chunks are joined, see
   ``reassembly``) -> a typed request or response, a ``GenericRequest``/
   ``GenericResponse`` (header decoded, parameters raw) or an
   ``UnknownService``.

Each decoder returns a message or an ``Anomaly``; none raises.  Each has an
encoder, and for every message m, ``decode(encode(m)) == m``; bytes re-encode
identically unless they used a non-minimal form the messages do not record
(a service type id in the six-byte numeric form, a Boolean byte other than 0
or 1, a null NodeId string identifier).

The hot path uses ``peek_header``, ``peek_service_id`` and
``peek_service_result``: a few byte reads in place, no message object.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, TypeVar

from otm.protocols.common import Anomaly
from otm.protocols.opcua.anomalies import OpcUaAnomaly
from otm.protocols.opcua.binary import (
    BYTESTRING,
    EXPANDED_NODE_ID,
    STRING,
    DecodeError,
    Reader,
    Writer,
    encode_value,
)
from otm.protocols.opcua.constants import (
    ACK,
    BUILD_INFO_ENCODING,
    CHUNK_FINAL,
    CHUNK_TYPES,
    CLO,
    CONNECTION_TYPES,
    ERR,
    HEADER_SIZE,
    HEL,
    MAX_CHUNK_SIZE,
    MAX_ENDPOINT_URL_LENGTH,
    MESSAGE_TYPES,
    MIN_BUFFER_SIZE,
    MSG,
    OPN,
    PROTOCOL_VERSION,
    REQUEST_NAMES,
    RESPONSE_NAMES,
    RHE,
    SECURITY_POLICY_NONE,
    SERVER_STATUS_ENCODING,
    MessageSecurityMode,
    NodeIdForm,
    SecurityTokenRequestType,
)
from otm.protocols.opcua.datatypes import (
    BuildInfo,
    ExpandedNodeId,
    ExtensionObject,
    NodeId,
    ServerStatus,
)
from otm.protocols.opcua.layouts import (
    BUILD_INFO,
    LAYOUT_OF,
    REQUEST_HEADER,
    RESPONSE_HEADER,
    SERVER_STATUS,
    SERVICE_LAYOUTS,
)
from otm.protocols.opcua.messages import (
    Acknowledge,
    Chunk,
    ErrorMessage,
    GenericRequest,
    GenericResponse,
    Hello,
    OpenChannelChunk,
    OpenSecureChannelRequest,
    OpenSecureChannelResponse,
    ReverseHello,
    SecureChunk,
    Sequenced,
    Service,
    UnknownService,
)

K = OpcUaAnomaly
T = TypeVar("T")

_HEADER = struct.Struct("<3sBI")
_FIVE_U32 = struct.Struct("<5I")
_U32 = struct.Struct("<I")
_TWO_U32 = struct.Struct("<II")

SECURE_BODY_OFFSET = HEADER_SIZE + 4 + 4 + 8
"""Where the body of a clear MSG/CLO chunk starts: header, SecureChannelId,
TokenId, SequenceNumber, RequestId."""


def _guarded(decode: Callable[[Reader], T], buf: bytes) -> T | Anomaly:
    """Run a reader-based decoder, turning ``DecodeError`` into an ``Anomaly``."""
    try:
        return decode(Reader(buf))
    except DecodeError as error:
        return Anomaly(error.kind, error.detail, error.offset)


def _done(r: Reader, what: str) -> None:
    if r.pos != r.end:
        raise DecodeError(K.TRAILING_BYTES, f"{r.end - r.pos} bytes after the {what}", r.pos)


# --- layer 1: chunks ----------------------------------------------------------------


def peek_header(buf: bytes, start: int = 0) -> tuple[bytes, int, int] | None:
    """(message type, chunk type byte, message size) of the chunk at ``start``, or
    None when fewer than 8 bytes are there.  Nothing is validated."""
    if len(buf) - start < HEADER_SIZE:
        return None
    mtype, chunk, size = _HEADER.unpack_from(buf, start)
    return mtype, chunk, size


def decode_chunk(buf: bytes) -> Chunk | Anomaly:
    """One whole chunk -> its message; the header's size must be ``len(buf)``."""
    if len(buf) < HEADER_SIZE:
        return Anomaly(K.TRUNCATED, f"{len(buf)} bytes, the header needs 8", len(buf))
    mtype, chunk, size = _HEADER.unpack_from(buf, 0)
    if mtype not in MESSAGE_TYPES:
        return Anomaly(K.UNKNOWN_MESSAGE_TYPE, f"message type {mtype!r}", 0)
    if chunk not in CHUNK_TYPES or (mtype in CONNECTION_TYPES and chunk != CHUNK_FINAL):
        return Anomaly(K.BAD_CHUNK_TYPE, f"chunk type {chr(chunk)!r} on {mtype.decode()}", 3)
    if size < HEADER_SIZE or size > MAX_CHUNK_SIZE:
        return Anomaly(K.INVALID_SIZE, f"message size {size}", 4)
    if size > len(buf):
        return Anomaly(K.TRUNCATED, f"message size {size}, {len(buf)} bytes present", len(buf))
    if size < len(buf):
        return Anomaly(K.TRAILING_BYTES, f"{len(buf) - size} bytes after the message", size)
    try:
        return _decode_chunk_body(Reader(buf, HEADER_SIZE, size), mtype, chunk)
    except DecodeError as error:
        return Anomaly(error.kind, error.detail, error.offset)


def _decode_chunk_body(r: Reader, mtype: bytes, chunk: int) -> Chunk:
    if mtype in (MSG, CLO):
        channel, token = r.unpack(_TWO_U32, "symmetric security header")
        return SecureChunk(mtype, chunk, channel, token, r.rest())
    if mtype == OPN:
        channel = r.unpack(_U32, "SecureChannelId")[0]
        policy = STRING.read(r)
        certificate = BYTESTRING.read(r)
        thumbprint = BYTESTRING.read(r)
        return OpenChannelChunk(chunk, channel, policy, certificate, thumbprint, r.rest())
    message: Chunk
    if mtype == HEL:
        version, receive, send, max_message, max_chunks = r.unpack(_FIVE_U32, "Hello")
        message = Hello(version, receive, send, max_message, max_chunks, STRING.read(r))
    elif mtype == ACK:
        message = Acknowledge(*r.unpack(_FIVE_U32, "Acknowledge"))
    elif mtype == ERR:
        message = ErrorMessage(r.unpack(_U32, "Error")[0], STRING.read(r))
    else:
        message = ReverseHello(STRING.read(r), STRING.read(r))
    _done(r, mtype.decode())
    return message


def encode_chunk(chunk: Chunk) -> bytes:
    """A message -> one chunk with its header (the size is computed).

    Raises ``ValueError`` for a message no decoder would return (a field out
    of range, a connection message that is not final, a chunk over 16 MiB).
    """
    w = Writer()
    try:
        mtype, chunk_type = _encode_chunk_body(w, chunk)
    except (struct.error, OverflowError) as error:
        raise ValueError(f"{type(chunk).__name__}: {error}") from error
    size = HEADER_SIZE + len(w.buf)
    if size > MAX_CHUNK_SIZE:
        raise ValueError(f"a chunk of {size} bytes exceeds {MAX_CHUNK_SIZE}")
    if chunk_type not in CHUNK_TYPES:
        raise ValueError(f"chunk type {chunk_type!r}")
    return _HEADER.pack(mtype, chunk_type, size) + bytes(w.buf)


def _encode_chunk_body(w: Writer, chunk: Chunk) -> tuple[bytes, int]:
    match chunk:
        case Hello(version, receive, send, max_message, max_chunks, url):
            w.buf += _FIVE_U32.pack(version, receive, send, max_message, max_chunks)
            STRING.write(w, url)
            return HEL, CHUNK_FINAL
        case Acknowledge(version, receive, send, max_message, max_chunks):
            w.buf += _FIVE_U32.pack(version, receive, send, max_message, max_chunks)
            return ACK, CHUNK_FINAL
        case ErrorMessage(error, reason):
            w.buf += _U32.pack(error)
            STRING.write(w, reason)
            return ERR, CHUNK_FINAL
        case ReverseHello(server_uri, endpoint_url):
            STRING.write(w, server_uri)
            STRING.write(w, endpoint_url)
            return RHE, CHUNK_FINAL
        case OpenChannelChunk(chunk_type, channel, policy, certificate, thumbprint, payload):
            w.buf += _U32.pack(channel)
            STRING.write(w, policy)
            BYTESTRING.write(w, certificate)
            BYTESTRING.write(w, thumbprint)
            w.buf += payload
            return OPN, chunk_type
        case SecureChunk(mtype, chunk_type, channel, token, payload):
            if mtype not in (MSG, CLO):
                raise ValueError(f"a SecureChunk is MSG or CLO, not {mtype!r}")
            w.buf += _TWO_U32.pack(channel, token)
            w.buf += payload
            return mtype, chunk_type
    raise ValueError(f"not an OPC UA chunk: {type(chunk).__name__}")


# --- layer 2: the sequence header ----------------------------------------------------


def decode_sequenced(payload: bytes) -> Sequenced | Anomaly:
    """A clear secure payload -> sequence number, request id and the body after them."""
    if len(payload) < 8:
        return Anomaly(K.TRUNCATED, f"sequence header needs 8 bytes, {len(payload)}", len(payload))
    sequence, request = _TWO_U32.unpack_from(payload, 0)
    return Sequenced(sequence, request, bytes(payload[8:]))


def encode_sequenced(message: Sequenced) -> bytes:
    """Sequence header + body."""
    try:
        return _TWO_U32.pack(message.sequence_number, message.request_id) + message.body
    except struct.error as error:
        raise ValueError(f"sequence header: {error}") from error


def decode_error_body(body: bytes) -> ErrorMessage | Anomaly:
    """The body of an abort chunk (after its sequence header): Error, Reason."""

    def read(r: Reader) -> ErrorMessage:
        message = ErrorMessage(r.unpack(_U32, "Error")[0], STRING.read(r))
        _done(r, "abort")
        return message

    return _guarded(read, body)


def encode_error_body(message: ErrorMessage) -> bytes:
    """Error, Reason: the body of an abort chunk."""
    try:
        return _U32.pack(message.error) + encode_value(STRING, message.reason)
    except struct.error as error:
        raise ValueError(f"abort: {error}") from error


# --- layer 3: services ----------------------------------------------------------------


def decode_service(body: bytes, strict: bool = True) -> Service | Anomaly:
    """A message body (type id first) -> the service message.

    ``strict``: the body must end where the layout does, which holds on a
    channel with SecurityPolicy None; pass False on a signed channel, whose
    bodies end with padding and a signature.
    """

    def read(r: Reader) -> Service:
        type_id: ExpandedNodeId = EXPANDED_NODE_ID.read(r)
        number = _plain_numeric(type_id)
        layout = SERVICE_LAYOUTS.get(number) if number is not None else None
        if layout is not None:
            message: Service = layout.read(r)
            if strict:
                _done(r, layout.name)
            return message
        if number is not None and number in REQUEST_NAMES:
            return GenericRequest(number, REQUEST_HEADER.read(r), r.rest())
        if number is not None and number in RESPONSE_NAMES:
            return GenericResponse(number, RESPONSE_HEADER.read(r), r.rest())
        return UnknownService(type_id, r.rest())

    return _guarded(read, body)


def _plain_numeric(type_id: ExpandedNodeId) -> int | None:
    if type_id.namespace_uri is not None or type_id.server_index is not None:
        return None
    return type_id.node_id.numeric()


def _type_id(number: int) -> ExpandedNodeId:
    return ExpandedNodeId(NodeId(0, number, NodeIdForm.FOUR_BYTE))


def encode_service(message: Service) -> bytes:
    """A service message -> its body (type id first).

    Raises ``ValueError`` for a message no decoder would return: a field out
    of range, a ``GenericRequest`` whose id has a typed layout or is not a
    request, an ``UnknownService`` whose id is a known service.
    """
    w = Writer()
    try:
        _encode_service(w, message)
    except (struct.error, OverflowError) as error:
        raise ValueError(f"{type(message).__name__}: {error}") from error
    return bytes(w.buf)


def _encode_service(w: Writer, message: Service) -> None:
    if isinstance(message, GenericRequest | GenericResponse):
        known = REQUEST_NAMES if isinstance(message, GenericRequest) else RESPONSE_NAMES
        if message.type_id in SERVICE_LAYOUTS or message.type_id not in known:
            raise ValueError(f"{type(message).__name__} with type id {message.type_id}")
        EXPANDED_NODE_ID.write(w, _type_id(message.type_id))
        if isinstance(message, GenericRequest):
            REQUEST_HEADER.write(w, message.request_header)
        else:
            RESPONSE_HEADER.write(w, message.response_header)
        w.buf += message.data
        return
    if isinstance(message, UnknownService):
        number = _plain_numeric(message.type_id)
        if number is not None and (number in REQUEST_NAMES or number in RESPONSE_NAMES):
            raise ValueError(f"type id {number} is a known service, not an UnknownService")
        EXPANDED_NODE_ID.write(w, message.type_id)
        w.buf += message.data
        return
    layout = LAYOUT_OF.get(type(message))
    if layout is None:
        raise ValueError(f"not an OPC UA service message: {type(message).__name__}")
    EXPANDED_NODE_ID.write(w, _type_id(layout.cls.TYPE_ID))
    layout.write(w, message)


# --- structures inside ExtensionObjects --------------------------------------------


def _unwrap(ext: ExtensionObject, encoding_id: int, layout: Any, what: str) -> Any:
    if ext.type_id.numeric() != encoding_id or ext.encoding != 1 or ext.body is None:
        return Anomaly(K.UNEXPECTED_SERVICE, f"{ext.type_id} is not a binary {what}", 0)

    def read(r: Reader) -> Any:
        value = layout.read(r)
        _done(r, what)
        return value

    return _guarded(read, ext.body)


def decode_server_status(ext: ExtensionObject) -> ServerStatus | Anomaly:
    """The ServerStatusDataType in an ExtensionObject (type id 864), e.g. the
    value of node i=2256."""
    result: ServerStatus | Anomaly = _unwrap(
        ext, SERVER_STATUS_ENCODING, SERVER_STATUS, "ServerStatusDataType"
    )
    return result


def decode_build_info(ext: ExtensionObject) -> BuildInfo | Anomaly:
    """The BuildInfo in an ExtensionObject (type id 340), e.g. the value of i=2260."""
    result: BuildInfo | Anomaly = _unwrap(ext, BUILD_INFO_ENCODING, BUILD_INFO, "BuildInfo")
    return result


def wrap_server_status(status: ServerStatus) -> ExtensionObject:
    """A ServerStatusDataType as the ExtensionObject a Read response carries."""
    body = encode_value(SERVER_STATUS, status)
    return ExtensionObject(NodeId(0, SERVER_STATUS_ENCODING), 1, body)


def wrap_build_info(info: BuildInfo) -> ExtensionObject:
    """A BuildInfo as the ExtensionObject a Read response carries."""
    return ExtensionObject(NodeId(0, BUILD_INFO_ENCODING), 1, encode_value(BUILD_INFO, info))


# --- whole messages, for clients (the scanner) and tests -----------------------------


def secure_message(
    service: Service,
    *,
    secure_channel_id: int,
    token_id: int,
    sequence_number: int,
    request_id: int,
    message_type: bytes = MSG,
) -> bytes:
    """One final MSG (or CLO) chunk carrying ``service`` in clear (SecurityPolicy None)."""
    payload = encode_sequenced(Sequenced(sequence_number, request_id, encode_service(service)))
    return encode_chunk(
        SecureChunk(message_type, CHUNK_FINAL, secure_channel_id, token_id, payload)
    )


def open_secure_channel(
    service: OpenSecureChannelRequest | OpenSecureChannelResponse,
    *,
    secure_channel_id: int,
    sequence_number: int,
    request_id: int,
) -> bytes:
    """One OPN chunk with SecurityPolicy None (no certificate, no thumbprint)."""
    payload = encode_sequenced(Sequenced(sequence_number, request_id, encode_service(service)))
    return encode_chunk(
        OpenChannelChunk(CHUNK_FINAL, secure_channel_id, SECURITY_POLICY_NONE, None, None, payload)
    )


# --- value checks ------------------------------------------------------------------------


def check_values(message: object) -> Anomaly | None:
    """The first field of a well-formed message outside what Part 6/Part 4 allow, or None.

    Decoders accept any value the layout can hold; this tells detection what a
    conforming peer would never send.  Offsets are 0 (a message has no position).
    """
    match message:
        case Hello() | Acknowledge():
            if message.protocol_version != PROTOCOL_VERSION:
                return Anomaly(K.INVALID_VALUE, f"protocol version {message.protocol_version}")
            for what in ("receive_buffer_size", "send_buffer_size"):
                size = getattr(message, what)
                if size < MIN_BUFFER_SIZE:
                    return Anomaly(K.INVALID_VALUE, f"{what} {size} below {MIN_BUFFER_SIZE}")
            if isinstance(message, Hello) and message.endpoint_url is not None:
                length = len(message.endpoint_url.encode("utf-8", "replace"))
                if length > MAX_ENDPOINT_URL_LENGTH:
                    return Anomaly(K.INVALID_VALUE, f"endpoint URL of {length} bytes")
        case OpenSecureChannelRequest():
            if message.security_mode not in _SECURITY_MODES:
                return Anomaly(K.INVALID_VALUE, f"security mode {message.security_mode}")
            if message.request_type not in _REQUEST_TYPES:
                return Anomaly(K.INVALID_VALUE, f"request type {message.request_type}")
    return None


_SECURITY_MODES = frozenset(
    (MessageSecurityMode.NONE, MessageSecurityMode.SIGN, MessageSecurityMode.SIGN_AND_ENCRYPT)
)
_REQUEST_TYPES = frozenset(int(t) for t in SecurityTokenRequestType)


# --- hot path ------------------------------------------------------------------------------


def _type_id_at(chunk: bytes, at: int) -> tuple[int, int] | None:
    """(numeric ns=0 type id, its encoded length) at ``chunk[at:]``, or None."""
    n = len(chunk)
    if n <= at:
        return None
    form = chunk[at]
    if form == NodeIdForm.FOUR_BYTE:
        if n >= at + 4 and chunk[at + 1] == 0:
            return chunk[at + 2] | (chunk[at + 3] << 8), 4
    elif form == NodeIdForm.TWO_BYTE:
        if n >= at + 2:
            return chunk[at + 1], 2
    elif form == NodeIdForm.NUMERIC and n >= at + 7 and chunk[at + 1] == 0 == chunk[at + 2]:
        return _U32.unpack_from(chunk, at + 3)[0], 7
    return None


def peek_service_id(chunk: bytes, at: int = SECURE_BODY_OFFSET) -> int | None:
    """The type id of the service in a clear MSG/CLO chunk (first chunk of its
    message), when it is numeric in namespace 0; None otherwise."""
    found = _type_id_at(chunk, at)
    return found[0] if found is not None else None


def peek_service_result(chunk: bytes, at: int = SECURE_BODY_OFFSET) -> int | None:
    """The ServiceResult of the response in a clear MSG chunk: after the type id,
    the response header's Timestamp (8) and RequestHandle (4)."""
    found = _type_id_at(chunk, at)
    if found is None:
        return None
    where = at + found[1] + 12
    if len(chunk) < where + 4:
        return None
    result: int = _U32.unpack_from(chunk, where)[0]
    return result


def parse_endpoint_url(url: str | None) -> tuple[str, int] | None:
    """(host lower-cased, port) of ``opc.tcp://host[:port][/path]`` (port 4840 by
    default, Part 6 7.2); IPv6 hosts come in brackets.  None when unparsable."""
    if not url or "://" not in url:
        return None
    scheme, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if authority.startswith("["):
        host, _, tail = authority[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, sep, port_text = authority.rpartition(":")
        if not sep:
            host, port_text = authority, ""
    if not host:
        return None
    if not port_text:
        return host.lower(), 4840 if scheme.lower() == "opc.tcp" else 0
    if not port_text.isdigit() or int(port_text) > 0xFFFF:
        return None
    return host.lower(), int(port_text)
