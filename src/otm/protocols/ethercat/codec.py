"""EtherCAT bytes <-> messages, without I/O.

``decode_frame`` takes the payload after the EtherType 0x88A4 (Ethernet
padding after the header's length is ignored) and returns an
``EthercatFrame`` or an ``Anomaly``; it never raises.  ``encode_frame`` is its
inverse: ``encode_frame(decode_frame(b)) == b[:2 + length]``.

``scan_commands`` is the hot path: EtherCAT masters send a frame every cycle
(often every millisecond), so the sensor reads only each datagram's command
and length, allocating one small list.  Each datagram is at least 12 bytes
and the header's length at most 2047, so a frame holds at most 170.
"""

from __future__ import annotations

import struct

from otm.protocols.common import Anomaly
from otm.protocols.ethercat.anomalies import EthercatAnomaly
from otm.protocols.ethercat.constants import (
    DATAGRAM_HEADER_LENGTH,
    FRAME_HEADER_LENGTH,
    MAX_FRAME_LENGTH,
    WORKING_COUNTER_LENGTH,
    FrameType,
)
from otm.protocols.ethercat.messages import Datagram, EthercatFrame

K = EthercatAnomaly

_U16 = struct.Struct("<H")
_DATAGRAM = struct.Struct("<BBIHH")
"""Cmd, Idx, Address, Len/R/C/M, IRQ."""

_TYPES = frozenset(int(t) for t in FrameType)
_LEN_MASK = 0x07FF
_CIRCULATING = 0x4000
_MORE = 0x8000
_OVERHEAD = DATAGRAM_HEADER_LENGTH + WORKING_COUNTER_LENGTH


def _header(payload: bytes) -> tuple[int, int, int] | Anomaly:
    """(length, reserved bit, type) of a frame whose declared bytes are all there."""
    if len(payload) < FRAME_HEADER_LENGTH:
        return Anomaly(K.TRUNCATED, f"{len(payload)} bytes, no frame header", len(payload))
    word = _U16.unpack_from(payload, 0)[0]
    length, reserved, kind = word & _LEN_MASK, (word >> 11) & 1, word >> 12
    if kind not in _TYPES:
        return Anomaly(K.UNKNOWN_TYPE, f"frame type {kind}", 1)
    if FRAME_HEADER_LENGTH + length > len(payload):
        return Anomaly(
            K.TRUNCATED, f"header length {length}, {len(payload) - 2} bytes", len(payload)
        )
    return length, reserved, kind


def scan_commands(payload: bytes) -> list[int] | Anomaly:
    """The command of every datagram of a command frame ([] for the other types)."""
    head = _header(payload)
    if isinstance(head, Anomaly):
        return head
    length, _, kind = head
    if kind != FrameType.DLPDU:
        return []
    out: list[int] = []
    at, end = FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH + length
    while True:  # each pass consumes >= 12 bytes of at most 2047: <= 170 passes
        if end - at < _OVERHEAD:
            return Anomaly(K.LENGTH_MISMATCH, f"{end - at} bytes left for a datagram", at)
        flags = _U16.unpack_from(payload, at + 6)[0]
        out.append(payload[at])
        at += _OVERHEAD + (flags & _LEN_MASK)
        if at > end:
            return Anomaly(K.LENGTH_MISMATCH, "datagram runs past the frame length", end)
        if not flags & _MORE:
            break
    if at != end:
        return Anomaly(K.LENGTH_MISMATCH, f"{end - at} bytes after the last datagram", at)
    return out


def decode_frame(payload: bytes) -> EthercatFrame | Anomaly:
    """Frame header and, for command frames, every datagram."""
    head = _header(payload)
    if isinstance(head, Anomaly):
        return head
    length, reserved, kind = head
    end = FRAME_HEADER_LENGTH + length
    if kind != FrameType.DLPDU:
        return EthercatFrame(kind, (), bytes(payload[FRAME_HEADER_LENGTH:end]), reserved)
    datagrams: list[Datagram] = []
    at = FRAME_HEADER_LENGTH
    while True:  # bounded as in scan_commands
        if end - at < _OVERHEAD:
            return Anomaly(K.LENGTH_MISMATCH, f"{end - at} bytes left for a datagram", at)
        command, index, address, flags, irq = _DATAGRAM.unpack_from(payload, at)
        size = flags & _LEN_MASK
        data_at = at + DATAGRAM_HEADER_LENGTH
        wkc_at = data_at + size
        if wkc_at + WORKING_COUNTER_LENGTH > end:
            return Anomaly(K.LENGTH_MISMATCH, f"datagram of {size} bytes runs past", at + 6)
        datagrams.append(
            Datagram(
                command,
                index,
                address,
                irq,
                bytes(payload[data_at:wkc_at]),
                _U16.unpack_from(payload, wkc_at)[0],
                bool(flags & _CIRCULATING),
                (flags >> 11) & 0x7,
            )
        )
        at = wkc_at + WORKING_COUNTER_LENGTH
        if not flags & _MORE:
            break
    if at != end:
        return Anomaly(K.LENGTH_MISMATCH, f"{end - at} bytes after the last datagram", at)
    return EthercatFrame(kind, tuple(datagrams), b"", reserved)


def encode_datagram(d: Datagram, more: bool) -> bytes:
    """One datagram; ``more`` sets the M bit (every datagram but the last)."""
    flags = (
        (len(d.data) & _LEN_MASK)
        | (d.reserved & 0x7) << 11
        | (_CIRCULATING if d.circulating else 0)
        | (_MORE if more else 0)
    )
    head = _DATAGRAM.pack(d.command, d.index, d.address, flags, d.irq)
    return head + d.data + _U16.pack(d.working_counter)


def encode_frame(frame: EthercatFrame) -> bytes:
    """Frame header (length derived) and datagrams or payload.

    The caller keeps within 2047 bytes of datagrams (``MAX_FRAME_LENGTH``);
    longer content does not fit the 11-bit length and is cut from it.
    """
    if frame.type == FrameType.DLPDU:
        last = len(frame.datagrams) - 1
        body = b"".join(encode_datagram(d, i < last) for i, d in enumerate(frame.datagrams))
    else:
        body = frame.payload
    word = (len(body) & MAX_FRAME_LENGTH) | (frame.reserved & 1) << 11 | (frame.type & 0xF) << 12
    return _U16.pack(word) + body
