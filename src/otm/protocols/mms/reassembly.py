"""Reassembly of a TSDU that COTP split over several DT TPDUs (sans-I/O, bounded).

An MMS PDU longer than the negotiated TPDU size (1024 bytes in the shared
captures, 8192 at most in class 0) is sent as consecutive DTs of one
direction; every DT but the last has the EOT bit clear (X.224 section 6.3).
Class 0 has no TPDU numbers to check and no interleaving, so a TSDU is the
concatenation of the DT payloads up to the one with EOT.

Use one ``TsduReassembler`` per direction of a connection.
"""

from __future__ import annotations

from otm.protocols.common import Anomaly
from otm.protocols.mms.anomalies import MmsAnomaly

DEFAULT_MAX_BYTES = 1 << 20
"""Bytes one TSDU may collect.  MMS negotiates its largest PDU in the
initiate exchange (``localDetailCalling``/``Called``, an Integer32); stacks
offer 8 KiB to 64 KiB (32,000 and 65,000 in the shared captures), and a
file read answer stays within it.  1 MiB leaves room for odd stacks and
still bounds what a stream that never sets EOT can hold."""


class TsduReassembler:
    """Joins the DT payloads of one direction until one with EOT.

    ``push(payload, eot)`` returns the TSDU when ``eot`` ends it, None while
    it is incomplete, an ``Anomaly`` (``tsdu_overflow``) when the TSDU grows
    past ``max_bytes`` (it is dropped, and the DTs up to the next EOT with it).
    """

    __slots__ = ("_dropping", "_parts", "_size", "dropped", "max_bytes")

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.dropped = 0
        self._parts: list[bytes] = []
        self._size = 0
        self._dropping = False

    @property
    def pending(self) -> int:
        """Bytes collected for the TSDU in progress."""
        return self._size

    def push(self, payload: bytes, eot: bool) -> bytes | Anomaly | None:
        if self._dropping:
            self._dropping = not eot
            return None
        if eot and not self._parts:
            return payload
        self._parts.append(payload)
        self._size += len(payload)
        if self._size > self.max_bytes:
            self.dropped += 1
            size = self._size
            self.reset()
            self._dropping = not eot
            return Anomaly(MmsAnomaly.TSDU_OVERFLOW, f"TSDU over {self.max_bytes} bytes ({size})")
        if not eot:
            return None
        tsdu = b"".join(self._parts)
        self.reset()
        return tsdu

    def reset(self) -> None:
        """Forget the TSDU in progress (after lost bytes)."""
        self._parts.clear()
        self._size = 0
        self._dropping = False
