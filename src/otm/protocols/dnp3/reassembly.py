"""Transport reassembly: segments of one direction of one association -> fragments.

IEEE 1815-2012, clause 8: a fragment is sent as segments FIR ... FIN whose
sequence numbers (0-63) follow each other, wrapping; the receiver starts a
fragment at FIR, appends each segment with the next sequence number and
hands the fragment up at FIN.  A FIR in the middle of a fragment drops the
partial one and starts again; a segment that does not follow (or that
comes without a fragment started) is dropped; a segment with the sequence
number of the previous one is a repetition and is ignored.  Wireshark
reassembles the same way (``packet-dnp.c``, keyed by the addresses).

Use one ``TransportReassembler`` per (sender address, receiver address) of a
connection and feed it every segment in stream order.  Pure and bounded:
``MAX_FRAGMENT`` octets at most are held.
"""

from __future__ import annotations

from otm.protocols.common import Anomaly
from otm.protocols.dnp3.anomalies import Dnp3Anomaly
from otm.protocols.dnp3.constants import FIN, FIR, SEQUENCE_MASK

K = Dnp3Anomaly

_Pushed = tuple[bytes | None, Anomaly | None]

MAX_FRAGMENT = 65_536
"""Octets one fragment may collect.  Outstations announce their largest
fragment in group 0 variations 240/241 (2048 octets is the usual default and
the recommended minimum); file transfers and data sets use larger ones on
some devices, but none approaches 64 KiB (263 full segments)."""


class TransportReassembler:
    """Collects the segments of one sender's fragments.

    ``push(header, data)`` returns ``(fragment, anomaly)``: the completed
    fragment when this segment has FIN (else None), and an anomaly when a
    segment or a partial fragment had to be dropped (else None).  Both may be
    set: a FIR+FIN segment that interrupts a partial fragment completes its
    own fragment and reports the dropped one.
    """

    __slots__ = ("_parts", "_sequence", "_size", "max_fragment")

    def __init__(self, max_fragment: int = MAX_FRAGMENT) -> None:
        self.max_fragment = max_fragment
        self._parts: list[bytes] = []
        self._size = 0
        self._sequence = -1  # of the last segment taken; -1: no fragment in progress

    @property
    def pending(self) -> int:
        """Octets of a fragment still waiting for its final segment."""
        return self._size if self._sequence >= 0 else 0

    def reset(self) -> None:
        """Forget a partial fragment (bytes were lost under it)."""
        self._parts = []
        self._size = 0
        self._sequence = -1

    def push(self, header: int, data: bytes) -> _Pushed:
        """Take one segment: its transport header octet and application octets."""
        sequence = header & SEQUENCE_MASK
        anomaly: Anomaly | None = None
        if header & FIR:
            if self._sequence >= 0:
                anomaly = Anomaly(
                    K.FRAGMENT_DISCARDED, f"{self._size} octets dropped by a new FIR segment"
                )
            if header & FIN:  # the usual case: a fragment in one segment
                self.reset()
                return self._bounded(data, anomaly)
            self._parts = [data]
            self._size = len(data)
            self._sequence = sequence
            return self._check_size(anomaly)
        if self._sequence < 0:
            return None, Anomaly(K.TRANSPORT_NO_FIRST, f"segment {sequence} without a fragment")
        if sequence == self._sequence:
            return None, None  # a repetition of the previous segment
        if sequence != (self._sequence + 1) & SEQUENCE_MASK:
            expected = (self._sequence + 1) & SEQUENCE_MASK
            dropped = self._size
            self.reset()
            detail = f"segment {sequence} where {expected} was due; {dropped} octets dropped"
            return None, Anomaly(K.TRANSPORT_SEQUENCE, detail)
        self._parts.append(data)
        self._size += len(data)
        self._sequence = sequence
        if header & FIN:
            fragment = b"".join(self._parts)
            self.reset()
            return self._bounded(fragment, None)
        return self._check_size(None)

    def _bounded(self, fragment: bytes, anomaly: Anomaly | None) -> _Pushed:
        if len(fragment) > self.max_fragment:
            return None, Anomaly(K.FRAGMENT_TOO_LARGE, f"{len(fragment)} octets")
        return fragment, anomaly

    def _check_size(self, anomaly: Anomaly | None) -> _Pushed:
        if self._size > self.max_fragment:
            size = self._size
            self.reset()
            return None, Anomaly(K.FRAGMENT_TOO_LARGE, f"{size} octets and no final segment")
        return None, anomaly
