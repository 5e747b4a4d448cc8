"""IEC 60870-5-104 traffic (TCP 2404) -> observations.

The side that opened the connection is the controlling station (client);
without a captured handshake the walker makes port 2404 the server
(controlled station).  Per connection, in a small dict keyed by integers:

- every I frame the client sends counts as an operation named after its type
  (``single_command``, ``interrogation``, ``clock_synchronization`` ...) with
  the type's category and the common address as detail;
- I frames the server sends count only when they ask something: a command,
  system command, parameter, file transfer or authentication type with cause
  request/activation/deactivation (some stations command their peer), with
  ``sent_by=server`` in the detail; monitor data (spontaneous, interrogated,
  cyclic) is reported, not asked, and is not counted;
- negative confirmations (P/N bit) and the "unknown type/cause/common
  address/object address" causes (44-47) from the server count in the
  ``exception`` category (``negative_confirmation``, ``unknown_common_address``
  ...), so scans for stations and objects are visible;
- STARTDT/STOPDT/TESTFR activations count as ``session`` operations (either
  side; the server's with ``sent_by=server``); confirmations and S frames do
  not.

An APDU is fully decoded only when its shape — (direction, type id,
qualifier, length), or the control octet for S/U frames — is new on the flow.
Send sequence numbers are followed per direction: a jump is a
``sequence_error`` anomaly (lost, repeated or injected I frames).

Identity: each common address the server uses in an ASDU it sends (except
0, unused, 65535, broadcast, and the address echoed in an "unknown common
address" answer, which is not the station's) becomes
``iec104_common_address`` of the server.
"""

from __future__ import annotations

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import Anomaly
from otm.protocols.iec104 import codec
from otm.protocols.iec104.anomalies import Iec104Anomaly
from otm.protocols.iec104.constants import (
    BROADCAST_ADDRESS,
    CONTROL_TYPES,
    FILE_TYPES,
    REQUEST_CAUSES,
    SECURITY_TYPES,
    U_ACTIVATIONS,
    U_CATEGORY,
    U_NAMES,
    UNKNOWN_CAUSES,
    UNUSED_ADDRESS,
    Cause,
    type_category,
    type_mnemonic,
    type_name,
)
from otm.protocols.iec104.framing import frame_length
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

PROTOCOL = "iec104"
PORT = 2404

MAX_SHAPES = 512
"""Distinct APDU shapes validated per flow; a station reports a few dozen."""

MAX_ADDRESSES = 64
"""Common addresses remembered per flow; a station has one or a few."""

EXCEPTION = "exception"
"""Category of negative answers, as the Modbus sensor names exception responses."""

_ASKING_TYPES = CONTROL_TYPES | FILE_TYPES | SECURITY_TYPES
"""Types whose ASDU, sent with a request cause, asks the receiver something."""

_KIND_TYPE = 0
_KIND_U = 1
_KIND_EXCEPTION = 2
_BY_SERVER = 1 << 39

_SEQ_MASK = 0x7FFF


def _op_key(kind: int, by_server: bool, address: int, code: int) -> int:
    """kind << 40 | sent by the server << 39 | common address << 16 | code."""
    return (kind << 40) | (_BY_SERVER if by_server else 0) | (address << 16) | code


class Iec104Sensor:
    """Registers the IEC 104 stream handler on port 2404."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""

        def factory(key: FlowKey, ts: float, frame: int) -> Iec104Stream:
            return Iec104Stream(key, tally, labels)

        walker.register_tcp(PORT, PROTOCOL, frame_length, factory)


class Iec104Stream:
    """One IEC 104 connection."""

    __slots__ = ("addresses", "expect", "key", "labels", "ops", "shapes", "tally", "valid")

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.ops: dict[int, list[float]] = {}  # key -> [count, first, last, frame]
        self.shapes: set[tuple[bool, int, int, int]] = set()
        self.addresses: set[int] = set()
        self.expect = [-1, -1]  # next send sequence number: [from server, from client]
        self.valid = False

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One whole APDU (the framer guarantees start octet and length)."""
        size = len(pdu)
        if size < 6:
            self._anomaly("truncated", from_client, frame, ts, f"{size}-octet APDU")
            return
        cf1 = pdu[2]
        if cf1 & 0x01:  # S or U frame
            shape = (from_client, cf1, 0, size)
            if shape not in self.shapes and not self._validate(pdu, from_client, frame, ts, shape):
                return
            self._confirm()
            function = cf1 & 0xFC
            if cf1 & 0x03 == 0x03 and function in U_ACTIVATIONS:
                self._count(_op_key(_KIND_U, not from_client, 0, function), frame, ts)
            return
        shape = (from_client, -1, 0, size) if size < 12 else (from_client, pdu[6], pdu[7], size)
        if shape not in self.shapes and not self._validate(pdu, from_client, frame, ts, shape):
            return
        self._confirm()
        self._sequence(pdu, from_client, frame, ts)
        type_id, cot = pdu[6], pdu[8]
        address = pdu[10] | (pdu[11] << 8)
        if from_client:
            self._count(_op_key(_KIND_TYPE, False, address, type_id), frame, ts)
            return
        cause = cot & 0x3F
        if cot & 0x40 or cause in UNKNOWN_CAUSES:
            code = (cause << 8) | type_id
            self._count(_op_key(_KIND_EXCEPTION, False, address, code), frame, ts)
        elif type_id in _ASKING_TYPES and (
            cause in REQUEST_CAUSES or (cause == Cause.FILE_TRANSFER and type_id in FILE_TYPES)
        ):
            self._count(_op_key(_KIND_TYPE, True, address, type_id), frame, ts)
        if (
            address not in self.addresses
            and address not in (UNUSED_ADDRESS, BROADCAST_ADDRESS)
            and cause != Cause.UNKNOWN_COMMON_ADDRESS
            and len(self.addresses) < MAX_ADDRESSES
        ):
            self.addresses.add(address)
            k = self.key
            self.tally.identity(
                k.server_ip,
                k.server_mac,
                PROTOCOL,
                {"iec104_common_address": address},
                ts,
                frame,
                f"iec104 {type_mnemonic(type_id)} sent by the controlled station",
            )

    def _confirm(self) -> None:
        if not self.valid:
            self.valid = True
            self.labels.protocol[self.key] = PROTOCOL

    def _count(self, key: int, frame: int, ts: float) -> None:
        entry = self.ops.get(key)
        if entry is None:
            self.ops[key] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    def _sequence(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        send = ((pdu[3] << 8) | pdu[2]) >> 1
        side = int(from_client)
        expected = self.expect[side]
        if expected >= 0 and send != expected:
            self._anomaly(
                Iec104Anomaly.SEQUENCE_ERROR.value,
                from_client,
                frame,
                ts,
                f"N(S) {send}, expected {expected}",
            )
        self.expect[side] = (send + 1) & _SEQ_MASK

    def _validate(
        self,
        pdu: bytes,
        from_client: bool,
        frame: int,
        ts: float,
        shape: tuple[bool, int, int, int],
    ) -> bool:
        decoded = codec.decode_apdu(pdu)
        if isinstance(decoded, Anomaly):
            self._anomaly(decoded.kind.value, from_client, frame, ts, decoded.detail)
            return False
        if len(self.shapes) < MAX_SHAPES:
            self.shapes.add(shape)
        return True

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(PROTOCOL, kind, ip, ts, frame, detail)

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        """Lost bytes: the sequence numbers of that direction start afresh."""
        self.expect[int(from_client)] = -1

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Bytes that could not be framed (not this protocol, or an APDU cut short)."""
        self._anomaly("unframed_bytes", from_client, frame, ts, f"{len(data)} octets dropped")

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts so far (the flow goes on)."""
        self.on_close(ts)

    def on_close(self, ts: float) -> None:
        """Name and hand over the operation counts."""
        for key, entry in self.ops.items():
            kind = key >> 40
            by_server = bool(key & _BY_SERVER)
            address = (key >> 16) & 0xFFFF
            code = key & 0xFFFF
            detail: tuple[tuple[str, str | int], ...]
            if kind == _KIND_U:
                name, category = U_NAMES.get(code, f"u_0x{code:02x}"), U_CATEGORY
                detail = ()
            elif kind == _KIND_EXCEPTION:
                cause, type_id = code >> 8, code & 0xFF
                if cause in UNKNOWN_CAUSES:
                    name = Cause(cause).name.lower()
                else:
                    name = "negative_confirmation"
                category = EXCEPTION
                detail = (("common_address", address), ("type", type_mnemonic(type_id)))
            else:
                name, category = type_name(code), type_category(code)
                detail = (("common_address", address),)
            if by_server:
                detail += (("sent_by", "server"),)
            self.tally.flow_operation(
                self.key, PROTOCOL, Transport.TCP, name, category, entry, detail
            )
        self.ops.clear()
