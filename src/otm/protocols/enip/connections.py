"""Connection Manager (class 0x06) messages: Forward Open, Large Forward Open,
Forward Close and their replies (Vol. 1, 3-5.5 "Connection Manager Object
Instance Services").

The request data follows the CIP request path; the reply data follows the
reply's status.  A successful reply and a failed one have different layouts,
so the caller picks the decoder by the reply's general status (0 = success).
Layouts are in the message docstrings (``messages.ForwardOpen`` ...).
"""

from __future__ import annotations

import struct

from otm.protocols.common import Anomaly
from otm.protocols.enip.anomalies import EnipAnomaly
from otm.protocols.enip.messages import (
    ConnectionFailure,
    ForwardClose,
    ForwardCloseReply,
    ForwardOpen,
    ForwardOpenReply,
)
from otm.protocols.enip.paths import decode_path, encode_path

_OPEN_HEAD = struct.Struct("<BBIIHHIB3s")  # tick .. reserved: 24 bytes
_OPEN_TAIL = struct.Struct("<IHIHBB")  # RPIs, 16-bit parameters, trigger, path size
_LARGE_TAIL = struct.Struct("<IIIIBB")  # RPIs, 32-bit parameters, trigger, path size
_OPEN_REPLY = struct.Struct("<IIHHIIIBB")  # ids .. reserved: 26 bytes
_CLOSE_HEAD = struct.Struct("<BBHHIBB")  # tick .. reserved: 12 bytes
_TRIAD = struct.Struct("<HHI")  # connection serial, vendor, originator serial
_CLOSE_REPLY = struct.Struct("<HHIBB")


def _bad(kind: EnipAnomaly, detail: str, offset: int = 0) -> Anomaly:
    return Anomaly(kind, detail, offset)


def decode_forward_open(data: bytes, large: bool = False) -> ForwardOpen | Anomaly:
    """Forward Open (0x54) request data, or Large Forward Open (0x5B) if ``large``."""
    tail = _LARGE_TAIL if large else _OPEN_TAIL
    fixed = _OPEN_HEAD.size + tail.size
    if len(data) < fixed:
        return _bad(EnipAnomaly.TRUNCATED, f"{len(data)}-byte forward open")
    tick, ticks, ot_id, to_id, serial, vendor, orig, mult, reserved = _OPEN_HEAD.unpack_from(data)
    ot_rpi, ot_params, to_rpi, to_params, trigger, words = tail.unpack_from(data, _OPEN_HEAD.size)
    if fixed + 2 * words != len(data):
        return _bad(EnipAnomaly.INVALID_LENGTH, f"connection path of {words} words", fixed - 1)
    path = decode_path(data[fixed:])
    if isinstance(path, Anomaly):
        return Anomaly(path.kind, path.detail, path.offset + fixed)
    return ForwardOpen(
        tick,
        ticks,
        ot_id,
        to_id,
        serial,
        vendor,
        orig,
        mult,
        ot_rpi,
        ot_params,
        to_rpi,
        to_params,
        trigger,
        path,
        large,
        reserved,
    )


def encode_forward_open(msg: ForwardOpen) -> bytes:
    """Forward Open / Large Forward Open request data."""
    path = encode_path(msg.connection_path)
    if len(path) > 510:
        raise ValueError("connection path longer than 255 words")
    tail = _LARGE_TAIL if msg.large else _OPEN_TAIL
    return (
        _OPEN_HEAD.pack(
            msg.priority_time_tick,
            msg.timeout_ticks,
            msg.ot_connection_id,
            msg.to_connection_id,
            msg.connection_serial,
            msg.originator_vendor_id,
            msg.originator_serial,
            msg.timeout_multiplier,
            msg.reserved,
        )
        + tail.pack(
            msg.ot_rpi,
            msg.ot_parameters,
            msg.to_rpi,
            msg.to_parameters,
            msg.transport_trigger,
            len(path) // 2,
        )
        + path
    )


def decode_forward_open_reply(data: bytes) -> ForwardOpenReply | Anomaly:
    """Successful (general status 0) Forward Open / Large Forward Open reply data."""
    if len(data) < _OPEN_REPLY.size:
        return _bad(EnipAnomaly.TRUNCATED, f"{len(data)}-byte forward open reply")
    ot_id, to_id, serial, vendor, orig, ot_api, to_api, words, reserved = _OPEN_REPLY.unpack_from(
        data
    )
    if _OPEN_REPLY.size + 2 * words != len(data):
        return _bad(EnipAnomaly.INVALID_LENGTH, f"application reply of {words} words", 24)
    return ForwardOpenReply(
        ot_id, to_id, serial, vendor, orig, ot_api, to_api, data[_OPEN_REPLY.size :], reserved
    )


def encode_forward_open_reply(msg: ForwardOpenReply) -> bytes:
    """Successful Forward Open reply data."""
    if len(msg.application_reply) % 2 or len(msg.application_reply) > 510:
        raise ValueError("application reply must be whole words, at most 255")
    return (
        _OPEN_REPLY.pack(
            msg.ot_connection_id,
            msg.to_connection_id,
            msg.connection_serial,
            msg.originator_vendor_id,
            msg.originator_serial,
            msg.ot_api,
            msg.to_api,
            len(msg.application_reply) // 2,
            msg.reserved,
        )
        + msg.application_reply
    )


def decode_forward_close(data: bytes) -> ForwardClose | Anomaly:
    """Forward Close (0x4E to the Connection Manager) request data."""
    if len(data) < _CLOSE_HEAD.size:
        return _bad(EnipAnomaly.TRUNCATED, f"{len(data)}-byte forward close")
    tick, ticks, serial, vendor, orig, words, reserved = _CLOSE_HEAD.unpack_from(data)
    if _CLOSE_HEAD.size + 2 * words != len(data):
        return _bad(EnipAnomaly.INVALID_LENGTH, f"connection path of {words} words", 10)
    path = decode_path(data[_CLOSE_HEAD.size :])
    if isinstance(path, Anomaly):
        return Anomaly(path.kind, path.detail, path.offset + _CLOSE_HEAD.size)
    return ForwardClose(tick, ticks, serial, vendor, orig, path, reserved)


def encode_forward_close(msg: ForwardClose) -> bytes:
    """Forward Close request data."""
    path = encode_path(msg.connection_path)
    if len(path) > 510:
        raise ValueError("connection path longer than 255 words")
    head = _CLOSE_HEAD.pack(
        msg.priority_time_tick,
        msg.timeout_ticks,
        msg.connection_serial,
        msg.originator_vendor_id,
        msg.originator_serial,
        len(path) // 2,
        msg.reserved,
    )
    return head + path


def decode_forward_close_reply(data: bytes) -> ForwardCloseReply | Anomaly:
    """Successful (general status 0) Forward Close reply data."""
    if len(data) < _CLOSE_REPLY.size:
        return _bad(EnipAnomaly.TRUNCATED, f"{len(data)}-byte forward close reply")
    serial, vendor, orig, words, reserved = _CLOSE_REPLY.unpack_from(data)
    if _CLOSE_REPLY.size + 2 * words != len(data):
        return _bad(EnipAnomaly.INVALID_LENGTH, f"application reply of {words} words", 8)
    return ForwardCloseReply(serial, vendor, orig, data[_CLOSE_REPLY.size :], reserved)


def encode_forward_close_reply(msg: ForwardCloseReply) -> bytes:
    """Successful Forward Close reply data."""
    if len(msg.application_reply) % 2 or len(msg.application_reply) > 510:
        raise ValueError("application reply must be whole words, at most 255")
    head = _CLOSE_REPLY.pack(
        msg.connection_serial,
        msg.originator_vendor_id,
        msg.originator_serial,
        len(msg.application_reply) // 2,
        msg.reserved,
    )
    return head + msg.application_reply


def decode_connection_failure(data: bytes) -> ConnectionFailure | Anomaly:
    """Reply data of a failed Forward Open / Large Forward Open / Forward Close.

    Eight bytes (the connection triad) and usually the remaining path size
    and a reserved byte; devices that stop after the triad are accepted.
    """
    if len(data) not in (_TRIAD.size, _TRIAD.size + 2):
        return _bad(EnipAnomaly.INVALID_LENGTH, f"{len(data)}-byte connection failure")
    serial, vendor, orig = _TRIAD.unpack_from(data)
    if len(data) == _TRIAD.size:
        return ConnectionFailure(serial, vendor, orig)
    return ConnectionFailure(serial, vendor, orig, data[8], data[9])


def encode_connection_failure(msg: ConnectionFailure) -> bytes:
    """Reply data of a failed connection request."""
    head = _TRIAD.pack(msg.connection_serial, msg.originator_vendor_id, msg.originator_serial)
    if msg.remaining_path_size is None and msg.reserved is None:
        return head
    if msg.remaining_path_size is None or msg.reserved is None:
        raise ValueError("remaining path size and reserved come together")
    return head + bytes([msg.remaining_path_size, msg.reserved])
