"""Reassembly of segmented BACnet messages (ASHRAE 135 clause 5.2), without I/O.

A Confirmed-Request or Complex-ACK too long for one APDU travels as
segments numbered 0, 1, 2 ... (modulo 256), each carrying its share of the
service data after the same service choice; the last has MOR clear.  A
``Reassembler`` joins them per key (the caller's: client, server, invoke id
and any routed addresses) and hands back the whole service data once the
last segment arrives, so the services decoder sees one message.

Retransmitted segments (a sequence number already taken) are ignored; a
segment that skips ahead means one was lost, and the message is dropped.
Every table and buffer is bounded (see the constants): a flood of first
segments cannot grow memory.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from otm.protocols.bacnet.anomalies import BacnetAnomaly
from otm.protocols.bacnet.constants import MAX_APDU_SIZES
from otm.protocols.bacnet.messages import ComplexAck, ConfirmedRequest
from otm.protocols.common import Anomaly

K = BacnetAnomaly

MAX_SEGMENTS = 128
"""Segments per message.  A device announces at most "more than 64" segments
(max-segments-accepted code 7); 128 leaves room for such peers while bounding
the work per message."""

MAX_MESSAGE_BYTES = MAX_SEGMENTS * MAX_APDU_SIZES[5]
"""Service data per message: 128 segments of the largest APDU on BACnet/IP
and Ethernet (1476 octets), about 185 KiB."""

MAX_PENDING = 4
"""Messages being reassembled at once per ``Reassembler`` (one per flow): a
client has few transactions in flight with one server; beyond it the oldest
is dropped."""


@dataclass(slots=True)
class _Assembly:
    service: int
    next_sequence: int
    parts: list[bytes] = field(default_factory=list)
    size: int = 0


class Reassembler:
    """Joins segments per key; bounded by ``MAX_PENDING``, ``MAX_SEGMENTS`` and
    ``MAX_MESSAGE_BYTES``."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending: dict[Hashable, _Assembly] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def clear(self) -> None:
        """Forget every partial message (the conversation ended or lost bytes)."""
        self._pending.clear()

    def add(self, key: Hashable, apdu: ComplexAck | ConfirmedRequest) -> bytes | Anomaly | None:
        """The whole service data once ``apdu`` completes a message, None while
        more segments are awaited (or for a retransmitted segment), an Anomaly
        when the message had to be dropped.  An unsegmented PDU is whole."""
        if not apdu.segmented:
            return apdu.data
        sequence = apdu.sequence_number or 0
        entry = self._pending.get(key)
        if entry is None:
            if sequence != 0:
                return Anomaly(K.SEGMENT_OUT_OF_ORDER, f"segment {sequence} without segment 0")
            if len(self._pending) >= MAX_PENDING:
                del self._pending[next(iter(self._pending))]
            entry = self._pending[key] = _Assembly(apdu.service, 0)
        delta = (sequence - entry.next_sequence) & 0xFF
        if delta >= 0x80:  # behind the window: a retransmission already taken
            return None
        if delta or apdu.service != entry.service:
            del self._pending[key]
            return Anomaly(
                K.SEGMENT_OUT_OF_ORDER, f"segment {sequence}, expected {entry.next_sequence}"
            )
        entry.parts.append(apdu.data)
        entry.size += len(apdu.data)
        entry.next_sequence = (sequence + 1) & 0xFF
        if len(entry.parts) > MAX_SEGMENTS or entry.size > MAX_MESSAGE_BYTES:
            del self._pending[key]
            return Anomaly(K.SEGMENTS_EXCEEDED, f"{len(entry.parts)} segments, {entry.size} bytes")
        if apdu.more_follows:
            return None
        del self._pending[key]
        return b"".join(entry.parts)
