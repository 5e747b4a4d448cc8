"""Reassembly of userdata data units that a CPU splits over several PDUs (sans-I/O, bounded).

A userdata response too long for the negotiated PDU size (a long SZL list,
a block list) is sent in fragments.  Each fragment's parameter carries the
same non-zero *data unit reference number* and a *last data unit* byte (0x00
last, 0x01 more follows); the client asks for each next fragment with a
request of the same reference and an empty payload.  The first fragment's
payload starts with the SZL head; the others continue the records.  This is
how Wireshark reassembles them (``packet-s7comm.c``, ``s7comm_decode_ud_data``).

Use one ``UserdataReassembler`` per direction of a connection (responses come
from the CPU) and feed it every decoded userdata PDU in stream order.
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.common import Anomaly
from otm.protocols.s7comm.anomalies import S7Anomaly
from otm.protocols.s7comm.messages import S7Pdu, Userdata

DEFAULT_MAX_BYTES = 1 << 16
"""Bytes one chain may collect.  An SZL list is LENTHDR x N_DR bytes; the
largest lists CPUs return (the diagnostic buffer, module status of big racks)
stay well below 64 KiB; with PDUs of 240-960 bytes that is 68 fragments or more."""

DEFAULT_MAX_CHAINS = 8
"""Chains open at once.  A client waits for each fragment before asking for
the next, and a CPU runs at most "max AmQ" jobs in parallel (negotiated by
setup communication: 1 or 2 in the shared captures), so more than 8 open
chains means fragments were lost: the oldest chain is dropped."""


@dataclass(frozen=True, slots=True)
class UserdataUnit:
    """A complete userdata data unit: the payload of one fragment or of a whole chain."""

    type: int
    function_group: int
    subfunction: int
    sequence_number: int
    return_code: int
    transport_size: int
    payload: bytes
    fragments: int


@dataclass(slots=True)
class _Chain:
    first: UserdataUnit
    parts: list[bytes]
    size: int


class UserdataReassembler:
    """Collects fragmented userdata payloads of one direction; bounded by bytes and chains.

    ``push(pdu)`` returns the complete ``UserdataUnit`` when ``pdu`` ends one
    (or is not fragmented), None while fragments are outstanding or when the
    PDU is no userdata with data, and an ``Anomaly`` (``fragment_overflow``)
    when a chain grows past ``max_bytes`` and is dropped.  ``dropped`` counts
    chains dropped for either bound.
    """

    def __init__(
        self, max_bytes: int = DEFAULT_MAX_BYTES, max_chains: int = DEFAULT_MAX_CHAINS
    ) -> None:
        self.max_bytes = max_bytes
        self.max_chains = max_chains
        self.dropped = 0
        self._chains: dict[tuple[int, int, int, int], _Chain] = {}

    @property
    def pending(self) -> int:
        """Chains waiting for further fragments."""
        return len(self._chains)

    def push(self, pdu: S7Pdu) -> UserdataUnit | Anomaly | None:
        body = pdu.body
        if not isinstance(body, Userdata) or body.data is None:
            return None
        p, d = body.parameter, body.data
        unit = UserdataUnit(
            p.type,
            p.function_group,
            p.subfunction,
            p.sequence_number,
            d.return_code,
            d.transport_size,
            d.payload,
            1,
        )
        reference = p.data_unit_reference
        if not reference:
            return unit
        if not d.payload:
            return None  # a request for the next fragment carries nothing
        key = (p.type, p.function_group, p.subfunction, reference)
        chain = self._chains.get(key)
        if chain is None:
            if not p.more_data_units:
                return unit
            if len(self._chains) >= self.max_chains:
                del self._chains[next(iter(self._chains))]
                self.dropped += 1
            self._chains[key] = _Chain(unit, [d.payload], len(d.payload))
            return None
        chain.parts.append(d.payload)
        chain.size += len(d.payload)
        if chain.size > self.max_bytes:
            del self._chains[key]
            self.dropped += 1
            return Anomaly(
                S7Anomaly.FRAGMENT_OVERFLOW,
                f"data unit {reference} over {self.max_bytes} bytes, dropped",
            )
        if p.more_data_units:
            return None
        del self._chains[key]
        first = chain.first
        return UserdataUnit(
            first.type,
            first.function_group,
            first.subfunction,
            first.sequence_number,
            first.return_code,
            first.transport_size,
            b"".join(chain.parts),
            len(chain.parts),
        )
