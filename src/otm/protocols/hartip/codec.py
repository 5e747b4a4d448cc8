"""HART-IP bytes <-> messages, without I/O.

``decode_message`` takes one whole message (as ``framing.frame_length``
delimits it on TCP, or as found in a UDP datagram: see ``split_datagram``);
``decode_hart_pdu``/``decode_direct_pdu`` take a body.  They return a
message or an ``Anomaly`` and never raise.  ``encode_message`` and the PDU
encoders turn any message back into bytes (byte counts and the check byte
derived); for every message a decoder accepts,
``encode_message(decode_message(b)) == b``.

The hot path should use ``peek`` (header fields in place) and
``peek_command`` (the HART command of a token-passing PDU without decoding
it).  See ``messages`` for the wire layouts.
"""

from __future__ import annotations

import struct
from functools import reduce
from operator import xor

from otm.protocols.common import Anomaly
from otm.protocols.hartip.anomalies import HartIpAnomaly
from otm.protocols.hartip.constants import (
    DELIMITER_LONG_ADDRESS,
    EXTENDED_COMMAND,
    HEADER_LENGTH,
    LONG_ADDRESS_LENGTH,
    MAX_MESSAGE_LENGTH,
    MAX_PREAMBLES,
    MESSAGE_TYPES,
    PREAMBLE,
    RESPONSE_FRAME_TYPES,
    SESSION_INITIATE_LENGTH,
    SHORT_ADDRESS_LENGTH,
    VERSIONS,
    FrameType,
    MessageId,
    MessageType,
)
from otm.protocols.hartip.messages import (
    Body,
    DirectCommand,
    DirectPdu,
    ErrorBody,
    HartIpMessage,
    HartPdu,
    RawBody,
    SessionInitiate,
)

K = HartIpAnomaly

_HEADER = struct.Struct(">BBBBHH")
_SESSION = struct.Struct(">BI")
_FRAME_TYPES = frozenset(int(f) for f in FrameType)
_MAX_DATAGRAM_MESSAGES = 64
"""Messages taken from one UDP datagram; a datagram holds one in practice."""


def _checksum(data: bytes) -> int:
    """The HART check byte: longitudinal parity (XOR) of every octet."""
    return reduce(xor, data, 0)


# --- token-passing PDU ----------------------------------------------------------------------


def decode_hart_pdu(pdu: bytes) -> HartPdu | Anomaly:
    """A token-passing PDU (preambles, if any, first) -> ``HartPdu``, or the anomaly."""
    size = len(pdu)
    at = 0
    # At most MAX_PREAMBLES + 1 turns.
    while at < size and pdu[at] == PREAMBLE:
        at += 1
        if at > MAX_PREAMBLES:
            return Anomaly(K.BAD_DELIMITER, f"more than {MAX_PREAMBLES} preamble octets", at)
    preambles = at
    if at >= size:
        return Anomaly(K.TRUNCATED, "delimiter missing", size)
    delimiter = pdu[at]
    frame_type = delimiter & 0x07
    if frame_type not in _FRAME_TYPES:
        return Anomaly(K.BAD_DELIMITER, f"delimiter 0x{delimiter:02x}", at)
    address_length = (
        LONG_ADDRESS_LENGTH if delimiter & DELIMITER_LONG_ADDRESS else SHORT_ADDRESS_LENGTH
    )
    expansion_length = (delimiter >> 5) & 0x03
    head = at + 1 + address_length + expansion_length + 2
    if size < head:
        return Anomaly(K.TRUNCATED, "PDU header cut", size)
    address = bytes(pdu[at + 1 : at + 1 + address_length])
    expansion = bytes(pdu[at + 1 + address_length : head - 2])
    command, count = pdu[head - 2], pdu[head - 1]
    end = head + count
    if size < end + 1:
        return Anomaly(K.TRUNCATED, f"byte count {count}, {max(size - head - 1, 0)} data", size)
    if size > end + 1:
        return Anomaly(K.TRAILING_BYTES, f"{size - end - 1} octets after the check byte", end + 1)
    if pdu[end] != _checksum(pdu[at:end]):
        return Anomaly(K.BAD_CHECKSUM, f"check byte 0x{pdu[end]:02x}", end)
    if frame_type in RESPONSE_FRAME_TYPES:
        if count < 2:
            return Anomaly(
                K.BYTE_COUNT_MISMATCH, f"reply byte count {count} has no status", head - 1
            )
        return HartPdu(
            delimiter, address, command, bytes(pdu[head + 2 : end]), pdu[head], pdu[head + 1],
            expansion, preambles,
        )  # fmt: skip
    return HartPdu(
        delimiter, address, command, bytes(pdu[head:end]), None, None, expansion, preambles
    )


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def encode_hart_pdu(pdu: HartPdu) -> bytes:
    """A ``HartPdu`` -> octets with byte count and check byte; ``ValueError`` for a
    PDU no decoder would return."""
    _require(0 <= pdu.delimiter <= 0xFF, "delimiter outside a byte")
    _require(pdu.frame_type in _FRAME_TYPES, f"delimiter 0x{pdu.delimiter:02x} frame type")
    length = LONG_ADDRESS_LENGTH if pdu.long_address else SHORT_ADDRESS_LENGTH
    _require(len(pdu.address) == length, f"the delimiter needs a {length}-octet address")
    _require(len(pdu.expansion) == (pdu.delimiter >> 5) & 0x03, "expansion octets")
    _require(0 <= pdu.command <= 0xFF, "command outside a byte")
    _require(0 <= pdu.preambles <= MAX_PREAMBLES, "preamble count")
    if pdu.is_reply:
        _require(
            pdu.response_code is not None and pdu.device_status is not None,
            "a reply carries response code and device status",
        )
        status = bytes((pdu.response_code or 0, pdu.device_status or 0))
    else:
        _require(pdu.response_code is None and pdu.device_status is None, "STX has no status")
        status = b""
    payload = status + pdu.data
    _require(len(payload) <= 0xFF, "data exceed the byte count")
    frame = (
        bytes((pdu.delimiter,))
        + pdu.address
        + pdu.expansion
        + bytes((pdu.command, len(payload)))
        + payload
    )
    return b"\xff" * pdu.preambles + frame + bytes((_checksum(frame),))


def peek_command(body: bytes) -> int | None:
    """The command of a token-passing PDU (command 31's 16-bit number resolved),
    read in place; None when the PDU is too short to tell."""
    size = len(body)
    at = 0
    # At most MAX_PREAMBLES + 1 turns.
    while at < size and body[at] == PREAMBLE and at <= MAX_PREAMBLES:
        at += 1
    if at >= size:
        return None
    delimiter = body[at]
    head = at + 1 + (5 if delimiter & DELIMITER_LONG_ADDRESS else 1) + ((delimiter >> 5) & 3)
    if size < head + 2:
        return None
    command = body[head]
    if command != EXTENDED_COMMAND:
        return command
    data = head + 2 + (2 if delimiter & 0x07 in RESPONSE_FRAME_TYPES else 0)
    if size < data + 2:
        return command
    return (body[data] << 8) | body[data + 1]


# --- direct PDU --------------------------------------------------------------------------------


def decode_direct_pdu(body: bytes, reply: bool) -> DirectPdu | Anomaly:
    """A direct PDU body -> ``DirectPdu``; ``reply`` when it comes from the server
    (each command then starts with its response code)."""
    size = len(body)
    if size < 2:
        return Anomaly(K.TRUNCATED, "device status octets missing", size)
    commands: list[DirectCommand] = []
    at = 2
    # Each turn consumes at least 3 octets of at most 65,527.
    while at < size:
        if size - at < 3:
            return Anomaly(K.TRUNCATED, "direct PDU command header cut", size)
        command = (body[at] << 8) | body[at + 1]
        count = body[at + 2]
        if size - at - 3 < count:
            return Anomaly(K.TRUNCATED, f"command {command} byte count {count}", size)
        data = bytes(body[at + 3 : at + 3 + count])
        if reply:
            if not data:
                return Anomaly(K.BYTE_COUNT_MISMATCH, "reply without response code", at + 2)
            commands.append(DirectCommand(command, data[1:], data[0]))
        else:
            commands.append(DirectCommand(command, data))
        at += 3 + count
    return DirectPdu(body[0], body[1], tuple(commands))


def encode_direct_pdu(pdu: DirectPdu) -> bytes:
    """A ``DirectPdu`` -> octets; commands with a response code encode as a reply."""
    _require(0 <= pdu.device_status <= 0xFF and 0 <= pdu.extended_status <= 0xFF, "status")
    out = bytearray((pdu.device_status, pdu.extended_status))
    replies = {c.response_code is not None for c in pdu.commands}
    _require(len(replies) <= 1, "a direct PDU is all requests or all replies")
    for c in pdu.commands:
        _require(0 <= c.command <= 0xFFFF, f"command {c.command} outside 16 bits")
        data = c.data if c.response_code is None else bytes((c.response_code,)) + c.data
        _require(len(data) <= 0xFF, "command data exceed the byte count")
        out += struct.pack(">HB", c.command, len(data)) + data
    return bytes(out)


# --- the message -------------------------------------------------------------------------------


def peek(message: bytes, start: int = 0) -> tuple[int, int, int, int, int, int] | None:
    """``(version, message type, message id, status, sequence, byte count)`` read in
    place, or None when fewer than 8 octets are there."""
    if len(message) - start < HEADER_LENGTH:
        return None
    version, kind, message_id, status, sequence, count = _HEADER.unpack_from(message, start)
    return version, kind, message_id, status, sequence, count


def _body(message_type: int, message_id: int, body: bytes, at: int) -> Body | Anomaly:
    if not body:
        return None
    if message_type in (MessageType.ERROR, MessageType.NAK):
        return ErrorBody(body[0]) if len(body) == 1 else RawBody(body)
    if message_id == MessageId.SESSION_INITIATE:
        if len(body) != SESSION_INITIATE_LENGTH:
            return Anomaly(K.INVALID_LENGTH, f"session initiate body of {len(body)} octets", at)
        return SessionInitiate(*_SESSION.unpack(body))
    if message_id in (MessageId.SESSION_CLOSE, MessageId.KEEP_ALIVE):
        return Anomaly(K.TRAILING_BYTES, f"{len(body)} octets in an empty-body message", at)
    pdu: HartPdu | DirectPdu | Anomaly
    if message_id == MessageId.TOKEN_PASSING_PDU:
        pdu = decode_hart_pdu(body)
    elif message_id == MessageId.DIRECT_PDU:
        pdu = decode_direct_pdu(body, message_type != MessageType.REQUEST)
    else:
        return RawBody(body)
    if isinstance(pdu, Anomaly):
        return Anomaly(pdu.kind, pdu.detail, at + pdu.offset)
    return pdu


def decode_message(message: bytes) -> HartIpMessage | Anomaly:
    """One whole HART-IP message (header first) -> ``HartIpMessage``, or the anomaly."""
    size = len(message)
    if size < HEADER_LENGTH:
        return Anomaly(K.TRUNCATED, f"{size} octets, a header needs 8", size)
    version, message_type, message_id, status, sequence, count = _HEADER.unpack_from(message)
    if version not in VERSIONS:
        return Anomaly(K.UNSUPPORTED_VERSION, f"version {version}", 0)
    if message_type not in MESSAGE_TYPES:
        return Anomaly(K.UNKNOWN_MESSAGE_TYPE, f"message type {message_type}", 1)
    if count < HEADER_LENGTH:
        return Anomaly(K.INVALID_LENGTH, f"byte count {count} below the header", 6)
    if size < count:
        return Anomaly(K.TRUNCATED, f"byte count {count}, {size} octets", size)
    if size > count:
        return Anomaly(K.TRAILING_BYTES, f"{size - count} octets after the byte count", count)
    body = _body(message_type, message_id, bytes(message[HEADER_LENGTH:]), HEADER_LENGTH)
    if isinstance(body, Anomaly):
        return body
    return HartIpMessage(version, message_type, message_id, status, sequence, body)


def split_datagram(datagram: bytes) -> list[bytes]:
    """The messages of one UDP datagram, cut by their byte counts (at most 64; a
    last piece that does not fit is returned whole, for the decoder to reject)."""
    out: list[bytes] = []
    at = 0
    size = len(datagram)
    # Each turn consumes at least the 8-octet header, or ends the loop.
    while at < size and len(out) < _MAX_DATAGRAM_MESSAGES:
        if size - at < HEADER_LENGTH:
            out.append(datagram[at:])
            break
        count = (datagram[at + 6] << 8) | datagram[at + 7]
        if count < HEADER_LENGTH or at + count > size:
            out.append(datagram[at:])
            break
        out.append(datagram[at : at + count])
        at += count
    return out


def encode_message(message: HartIpMessage) -> bytes:
    """A ``HartIpMessage`` -> octets with the byte count; ``ValueError`` for a message
    no decoder would return."""
    _require(message.version in VERSIONS, f"version {message.version}")
    _require(message.message_type in MESSAGE_TYPES, f"message type {message.message_type}")
    _require(0 <= message.message_id <= 0xFF, "message id outside a byte")
    _require(0 <= message.status <= 0xFF, "status outside a byte")
    _require(0 <= message.sequence <= 0xFFFF, "sequence outside 16 bits")
    body = message.body
    error = message.message_type in (MessageType.ERROR, MessageType.NAK)
    match body:
        case None:
            data = b""
        case ErrorBody(code):
            _require(error, "an error body belongs to an error or NAK message")
            _require(0 <= code <= 0xFF, "error code outside a byte")
            data = bytes((code,))
        case SessionInitiate(host, timer):
            _require(not error and message.message_id == MessageId.SESSION_INITIATE, "body")
            data = _SESSION.pack(host, timer)
        case HartPdu():
            _require(not error and message.message_id == MessageId.TOKEN_PASSING_PDU, "body")
            data = encode_hart_pdu(body)
        case DirectPdu():
            _require(not error and message.message_id == MessageId.DIRECT_PDU, "body")
            reply = message.message_type != MessageType.REQUEST
            _require(
                all((c.response_code is not None) == reply for c in body.commands),
                "direct PDU commands carry a response code exactly in replies",
            )
            data = encode_direct_pdu(body)
        case RawBody(raw):
            _require(len(raw) != 1 or not error, "a one-octet error body is an ErrorBody")
            _require(
                error
                or message.message_id
                not in (
                    MessageId.SESSION_INITIATE,
                    MessageId.SESSION_CLOSE,
                    MessageId.KEEP_ALIVE,
                    MessageId.TOKEN_PASSING_PDU,
                    MessageId.DIRECT_PDU,
                ),
                "this message id has its own body class",
            )
            data = raw
        case _:
            raise TypeError(f"not a HART-IP body: {type(body).__name__}")
    _require(data != b"" or body is None, "an empty body is None")
    total = HEADER_LENGTH + len(data)
    _require(total <= MAX_MESSAGE_LENGTH, f"message of {total} octets")
    return (
        _HEADER.pack(
            message.version,
            message.message_type,
            message.message_id,
            message.status,
            message.sequence,
            total,
        )
        + data
    )
