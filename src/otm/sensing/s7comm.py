"""S7comm, S7comm-plus and MMS traffic (TPKT/COTP on TCP 102) -> observations.

The walker gives port 102 one handler; this one dispatches each COTP data
payload by its first byte: 0x32 is S7comm, 0x72 S7comm-plus (counted by
function; identity from the session setup's CreateObject exchange, and
identity strings taken best-effort from server responses), and an ISO
session SPDU (CN 0x0d, AC 0x0e, GT/DT 0x01 ...) hands the whole connection,
from then on, to the MMS handler (``otm.sensing.mms``), which labels the link
``mms``.  The COTP connection request names the addressed CPU's rack and
slot in its called TSAP.

S7comm requests count as operations keyed by the cheap ``peek`` tuple
(ROSCTR, function or userdata group, subfunction); the few whose name
depends on their body — PI services (start, restart, delete block ...),
block transfers, read SZL (identification when 0x0011/0x001C) — are decoded
and counted under their decoded name.  A PDU is fully validated when its
shape (direction, peek tuple, length) is new on the flow.  Read SZL
responses (reassembled across userdata fragments) teach identity:

- SZL 0x0011: ``order_number`` (module record), ``hardware_order_number``,
  ``module_type_id``, ``hardware``, ``firmware`` (e.g. ``V3.2.7``),
  ``bootloader``;
- SZL 0x001C: ``name`` (automation system name), ``module_name``,
  ``plant_designation``, ``copyright``, ``serial``, ``model`` (module type
  name), ``memory_card_serial``, ``location``;
- ``vendor`` = Siemens when the order number is a Siemens MLFB (6ES7, 6AG1,
  6ES5 ...) or the copyright says Siemens.

S7comm-plus CreateObject of the session setup (in clear in V1/V2, and the
V1-framed first exchange of V3): the CPU's response gives ``order_number``,
``firmware``, ``model`` and ``vendor`` (from ``1;6ES7 214-1HE30-0XB0 ;V2.2``),
or ``s7plus_oms_version``; the client's request gives
``s7plus_client_software`` (``TIA Portal / WinCC ES``), ``s7plus_client_host``
and ``s7plus_client_id`` for the client.

The identity describes the station's CPU; when the connection request named
its rack and slot, the same facts are also recorded for the component
``rack R slot S`` of the asset (a station can hold several CPUs and CPs).

Values written (``ValueWritten``): every write var job (0x05) is decoded and
each S7ANY item with its data becomes a value at a Siemens address whose
width says how much was written (``_address``): ``DB1.DBX4.3``/``M10.3`` a
bit (0 or 1), ``DB1.DBB4``/``MB10`` one byte, ``...W`` two, ``...D`` four,
read as unsigned big-endian integers unless the data item's transport size
says INTEGER/DINTEGER (signed) or REAL (a float; NaN and infinities are not
recorded); ``T5``/``C5`` a timer or counter word.  Not recorded, counted in
``values_skipped``: ``long_data`` (more than 4 bytes, 3 bytes, or several
bits), ``no_data`` (an item without data), ``not_s7any`` (DBREAD, NCK,
symbolic items), ``bad_bit_value``, ``not_finite``, ``too_many_addresses``
(``MAX_WRITE_ADDRESSES`` a flow).
A write var job is decoded once per distinct body (parameter and data,
without the PDU reference that numbers each request) in a cache the
connections of a capture share (``MAX_WRITE_BODIES``): an HMI repeats the
same writes, and decoding one costs tens of microseconds against one for a
lookup (profiled on the passive benchmark's capture, whose S7 writes are
``mb2.pcap``'s replayed: 6 % of the pipeline's time without the cache,
under 1 % with it).
The values are kept per flow in a dict keyed by (area, DB, byte, bit,
width).
S7comm-plus writes (SetVariable) are not read: their addresses are symbolic
object ids, often in protected sessions.

S7comm-plus program transfers (``plus.program_request``, public sources in
its comments) are counted under their own names, category ``program``, with
the block as detail (``block`` ``OB1``, ``block_name`` ``Main``), instead of
the function's name: ``download_block`` (CreateObject of a block class),
``upload_block`` (Explore or GetVarSubStreamed of a block's code or source)
and ``delete_block`` (DeleteObject of a program object).  Only requests of
those four functions are decoded, and only the head of their body, which the
first fragment of a split request holds (on the 2-core test machine 5 us a
GetVarSubStreamed, 35 us an Explore of 38 attributes; TIA sends a few a
second, an HMI reads with GetMultiVariables and subscriptions, not decoded).
A client request whose PDU goes on in further fragments (no trailer) marks
the flow: its continuation fragments are skipped, not counted as requests,
until the fragment with the trailer, a server response or lost bytes.  A
SetVarSubStreamed that streams more than ``STREAM_DOWNLOAD_BYTES`` that way
is ``download_stream`` (category ``program``), counted once at its first
frame and lasting to its end: the streamed write that carries a project or
file into the device (hmi.pcap: a WinCC runtime project, 970 kB), where
the values and legitimation blobs a client writes are small.
"""

from __future__ import annotations

import math
import struct

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import Anomaly
from otm.protocols.s7comm import codec, szl
from otm.protocols.s7comm.constants import (
    AREA_SHORT_NAMES,
    IDENTIFY_SZL_IDS,
    Area,
    DataTransportSize,
    operation_category,
    operation_name,
    s7plus_function_category,
    s7plus_function_name,
    userdata_category,
)
from otm.protocols.s7comm.framing import frame_length
from otm.protocols.s7comm.messages import (
    CotpConnect,
    DataItem,
    S7AnyItem,
    S7Pdu,
    WriteVarRequest,
)
from otm.protocols.s7comm.plus import (
    CREATE_OBJECT,
    DELETE_OBJECT,
    EXPLORE,
    GET_VAR_SUBSTREAMED,
    PROGRAM_CATEGORY,
    SET_VAR_SUBSTREAMED,
    CreateObjectRequest,
    decode_create_object,
    decode_s7plus,
    fragment_ends,
    program_request,
    s7plus_identity_strings,
    s7plus_session_identity,
)
from otm.protocols.s7comm.reassembly import UserdataReassembler, UserdataUnit
from otm.sensing.aggregate import Tally, note_value
from otm.sensing.labels import FlowLabels
from otm.sensing.mms import PROTOCOL as MMS
from otm.sensing.mms import SESSION_FIRST_BYTES, MmsStream

PORT = 102
S7COMM = "s7comm"
S7PLUS = "s7comm-plus"

MAX_SHAPES = 512
"""Distinct message shapes validated per flow; a polling HMI uses a few dozen."""

SIEMENS_ORDER_PREFIXES = ("6ES7", "6ES5", "6AG1", "6AV", "6GK", "6ED1", "6EP")
"""Order-number (MLFB) prefixes of Siemens automation products."""

_NAMED_BY_BODY_JOB = frozenset({0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x28, 0x29})
"""S7comm job functions whose operation name needs the decoded body."""

_DT = 0xF0
_CR = 0xE0

MAX_WRITE_ADDRESSES = 4096
"""Addresses whose written values a flow keeps; an HMI writes a few hundred
setpoints over a connection, a sweep of writes more (counted, not kept)."""

MAX_WRITE_BODIES = 4096
"""Distinct write var bodies whose values are cached per capture; beyond it a
write is decoded each time (a setpoint ramped through many values)."""

_WRITE_VAR = 0x05

_PROGRAM_FUNCTIONS = frozenset({CREATE_OBJECT, DELETE_OBJECT, EXPLORE, GET_VAR_SUBSTREAMED})
"""S7comm-plus request functions whose body may name a program transfer."""

DOWNLOAD_STREAM = "download_stream"
_STREAM_KEY = (DOWNLOAD_STREAM, PROGRAM_CATEGORY, S7PLUS, ())

STREAM_DOWNLOAD_BYTES = 64 * 1024
"""Bytes a SetVarSubStreamed must stream to count as ``download_stream``.  A
variable an HMI writes and a legitimation blob are small (hmi.pcap's first
stream, a project description, is 300 bytes); a runtime project or file is
hundreds of kB (hmi.pcap: 970 kB).  A judgement, not a protocol limit: a
client streaming a value over 64 KiB into a variable would count too."""

MAX_NAMED = 256
"""Distinct (operation, detail) pairs counted per flow; a full download of a
large program creates a few hundred blocks, beyond which they are counted
without their block."""

_AREA_PREFIX: dict[int, str] = {
    Area.INPUTS: "I",
    Area.OUTPUTS: "Q",
    Area.FLAGS: "M",
    Area.PERIPHERAL: "P",
    Area.LOCAL_DATA: "L",
    Area.PREVIOUS_LOCAL_DATA: "V",
}
"""Areas addressed by a letter and a byte (``MW10``, ``Q0.1``); data blocks
and instance data blocks carry their number (``DB1.DBW4``, ``DI2.DIW4``)."""

_TIMERS_COUNTERS: dict[int, str] = {
    Area.TIMERS: "T",
    Area.COUNTERS: "C",
    Area.IEC_TIMERS_200: "T",
    Area.IEC_COUNTERS_200: "C",
}

_WIDTHS = {1: "B", 2: "W", 4: "D"}

_SIGNED = frozenset({DataTransportSize.INTEGER, DataTransportSize.DINTEGER})
_BIT = int(DataTransportSize.BIT)
_REAL = int(DataTransportSize.REAL)

ValueKey = tuple[int, int, int, int, int]
"""(area, DB number, byte, bit, width) of a value written (width 0: a bit)."""

WriteValues = tuple[tuple[ValueKey, int | float] | str, ...]
"""What one write var job writes: per item its key and value, or why none."""

_FLOAT = struct.Struct(">f")


class S7Sensor:
    """Registers the S7comm stream handler on port 102."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""

        writes: dict[bytes, WriteValues] = {}

        def factory(key: FlowKey, ts: float, frame: int) -> S7Stream:
            return S7Stream(key, tally, labels, writes)

        walker.register_tcp(PORT, S7COMM, frame_length, factory)


class S7Stream:
    """One ISO-on-TCP connection carrying S7comm or S7comm-plus."""

    __slots__ = (
        "fragments",
        "key",
        "labels",
        "mms",
        "named",
        "ops",
        "protocol",
        "rack_slot",
        "reassembler",
        "shapes",
        "stream",
        "streaming",
        "tally",
        "values",
        "writes",
    )

    def __init__(
        self,
        key: FlowKey,
        tally: Tally,
        labels: FlowLabels,
        writes: dict[bytes, WriteValues] | None = None,
    ) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.ops: dict[tuple[int, int, int, int], list[float]] = {}
        # (operation, category, protocol, detail) -> [count, first, last, frame]
        self.named: dict[tuple[str, str, str, tuple[tuple[str, str | int], ...]], list[float]] = {}
        self.shapes: set[tuple[object, ...]] = set()
        self.protocol = ""
        self.rack_slot: tuple[int, int] | None = None
        self.reassembler = UserdataReassembler()
        self.mms: MmsStream | None = None
        # (area, DB, byte, bit, width) -> [count, first, last, frame, minimum, maximum, last]
        self.values: dict[ValueKey, list[float]] = {}
        # write var body -> its values; shared by the connections of a capture
        self.writes = writes if writes is not None else {}
        # bytes of a client S7comm-plus PDU continued in further fragments (0: none)
        self.fragments = 0
        # (frame, time) of the SetVarSubStreamed that opened them, until counted
        self.stream: tuple[int, float] | None = None
        # a download_stream was counted and its fragments go on
        self.streaming = False

    # -- per PDU ----------------------------------------------------------------

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One whole TPKT."""
        peeked = codec.peek(pdu)
        if peeked is None:
            self._anomaly("bad_tpkt", from_client, frame, ts, f"{len(pdu)} bytes")
            return
        if self.mms is not None:
            self.mms.on_tpkt(pdu, from_client, frame, ts)
            return
        kind, proto = peeked[0], peeked[1]
        if kind != _DT:
            if kind == _CR and from_client:
                self._connect(pdu)
            return
        if proto == 0x32:
            self._s7(pdu, peeked, from_client, frame, ts)
        elif proto == 0x72:
            self._s7plus(pdu, peeked, from_client, frame, ts)
        elif proto in SESSION_FIRST_BYTES and not self.protocol:
            # ISO session: MMS.  The connection is the MMS handler's from now on.
            self.protocol = MMS
            self.mms = MmsStream(self.key, self.tally, self.labels)
            self.mms.on_tpkt(pdu, from_client, frame, ts)
        elif proto >= 0:
            self._anomaly("unknown_payload", from_client, frame, ts, f"first byte 0x{proto:02x}")

    def _connect(self, pdu: bytes) -> None:
        tpkt = codec.decode_tpkt(pdu)
        if isinstance(tpkt, Anomaly) or not isinstance(tpkt.cotp, CotpConnect):
            return
        tsap = tpkt.cotp.dst_s7_tsap
        if tsap is not None:
            self.rack_slot = (tsap.rack, tsap.slot)

    def _set_protocol(self, name: str) -> None:
        if self.protocol != name:
            self.protocol = name
            self.labels.protocol[self.key] = name

    def _count(self, table: dict, key: object, frame: int, ts: float) -> None:  # type: ignore[type-arg]
        entry = table.get(key)
        if entry is None:
            table[key] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    def _s7(
        self,
        pdu: bytes,
        peeked: tuple[int, int, int, int, int],
        from_client: bool,
        frame: int,
        ts: float,
    ) -> None:
        _, _, rosctr, function, sub = peeked
        shape = (from_client, rosctr, function, sub, len(pdu))
        decoded: S7Pdu | None = None
        if shape not in self.shapes:
            result = codec.decode_payload(_payload(pdu))
            if isinstance(result, Anomaly):
                self._anomaly(result.kind.value, from_client, frame, ts, result.detail)
                return
            if isinstance(result, S7Pdu):
                decoded = result
            if len(self.shapes) < MAX_SHAPES:
                self.shapes.add(shape)
        if self.protocol is not S7COMM:
            self._set_protocol(S7COMM)
        # Jobs the PLC sends back during a download belong to the PG's operation.
        if from_client or rosctr == 1:
            if rosctr == 1 and function not in _NAMED_BY_BODY_JOB:
                # the common case, inlined: a read/write/setup job
                key = (1, function, sub, 0)
                entry = self.ops.get(key)
                if entry is None:
                    self.ops[key] = [1, ts, ts, frame]
                else:
                    entry[0] += 1
                    entry[2] = ts
                if function == _WRITE_VAR:
                    self._write_var(pdu, decoded, frame, ts)
            elif rosctr == 7 and function == 4 and sub == 1:
                # read SZL: identification or not depends on the SZL id only
                szl_id = codec.peek_szl_id(pdu)
                self._count(self.ops, (rosctr, function, sub, szl_id or 0), frame, ts)
            elif rosctr == 1 and function in _NAMED_BY_BODY_JOB:
                if decoded is None:
                    result = codec.decode_payload(_payload(pdu))
                    if not isinstance(result, S7Pdu):
                        return
                    decoded = result
                name, category = codec.pdu_operation(decoded)
                self._count(self.named, (name, category, S7COMM, ()), frame, ts)
            elif rosctr in (1, 7):
                self._count(self.ops, (rosctr, function, sub, 0), frame, ts)
            return
        if (
            rosctr == 7
            and function == 4
            and sub == 1
            and (self.reassembler.pending or _response_szl_id(pdu) in IDENTIFY_SZL_IDS)
        ):
            self._szl_response(pdu, decoded, frame, ts)

    def _szl_response(self, pdu: bytes, decoded: S7Pdu | None, frame: int, ts: float) -> None:
        if decoded is None:
            result = codec.decode_payload(_payload(pdu))
            if not isinstance(result, S7Pdu):
                return
            decoded = result
        unit = self.reassembler.push(decoded)
        if isinstance(unit, Anomaly):
            self._anomaly(unit.kind.value, False, frame, ts, unit.detail)
            return
        if unit is not None:
            self._identity_from_szl(unit, frame, ts)

    def _identity_from_szl(self, unit: UserdataUnit, frame: int, ts: float) -> None:
        response = szl.decode_szl_response(unit.payload, partial=True)
        if isinstance(response, Anomaly):
            return
        fields: dict[str, str | int] = {}
        if response.szl_id & 0xFF == 0x11:
            module = szl.decode_szl_0011(response)
            if isinstance(module, Anomaly):
                return
            order = module.order_number
            fields = {
                "order_number": order or "",
                "product_code": order or "",
                "hardware": module.hardware_version or "",
                "firmware": module.firmware_version or "",
                "bootloader": module.bootloader_version or "",
            }
            hw = module.record(6)
            if hw is not None and hw.order_number:
                fields["hardware_order_number"] = hw.order_number
            if module.module_type_id is not None:
                fields["module_type_id"] = module.module_type_id
            if order and order.replace(" ", "").startswith(SIEMENS_ORDER_PREFIXES):
                fields["vendor"] = "Siemens"
            message = "s7comm read_szl 0x0011 response (module identification)"
        elif response.szl_id & 0xFF == 0x1C:
            comp = szl.decode_szl_001c(response)
            if isinstance(comp, Anomaly):
                return
            fields = {
                "name": comp.plc_name or "",
                "module_name": comp.module_name or "",
                "plant_designation": comp.plant_designation or "",
                "copyright": comp.copyright or "",
                "serial": comp.serial_number or "",
                "model": comp.module_type_name or "",
                "memory_card_serial": comp.memory_card_serial or "",
                "location": comp.location_designation or "",
            }
            if "siemens" in (comp.copyright or "").lower():
                fields["vendor"] = "Siemens"
            message = "s7comm read_szl 0x001c response (component identification)"
        else:
            return
        k = self.key
        if self.rack_slot is not None:
            # The station's CPU, addressed by rack and slot in the COTP TSAP, is
            # also listed as a component: a station may hold several CPUs/CPs.
            rack, slot = self.rack_slot
            component = f"rack {rack} slot {slot}"
            self.tally.identity(
                k.server_ip, k.server_mac, S7COMM, fields, ts, frame, message, component
            )
            fields = {**fields, "rack": rack, "slot": slot}
        self.tally.identity(k.server_ip, k.server_mac, S7COMM, fields, ts, frame, message)

    def _s7plus(
        self,
        pdu: bytes,
        peeked: tuple[int, int, int, int, int],
        from_client: bool,
        frame: int,
        ts: float,
    ) -> None:
        self._set_protocol(S7PLUS)
        if from_client and self.fragments:
            self._continuation(pdu, frame, ts)
            return
        _, _, version, opcode, function = peeked
        shape = (from_client, version, opcode, function, len(pdu))
        new_shape = shape not in self.shapes
        if new_shape:
            result = codec.decode_payload(_payload(pdu))
            if isinstance(result, Anomaly):
                self._anomaly(result.kind.value, from_client, frame, ts, result.detail)
                return
            if len(self.shapes) < MAX_SHAPES:
                self.shapes.add(shape)
        if from_client:
            if opcode == 0x31:
                if function not in _PROGRAM_FUNCTIONS or not self._program(pdu, frame, ts):
                    if function == CREATE_OBJECT:
                        self._s7plus_session(pdu, from_client, frame, ts)
                    self._count(self.ops, (-1, function, version, opcode), frame, ts)
                if not fragment_ends(pdu, 5 + pdu[4]):
                    self.fragments = len(pdu)
                    self.stream = (frame, ts) if function == SET_VAR_SUBSTREAMED else None
            return
        if opcode == 0x32:
            self._fragments_end()  # answered: the request's PDU is over
            if function == CREATE_OBJECT:
                self._s7plus_session(pdu, from_client, frame, ts)
        if new_shape:
            strings = s7plus_identity_strings(_payload(pdu))
            if strings:
                fields: dict[str, str | int] = {"s7plus_strings": " | ".join(strings[:8])}
                k = self.key
                self.tally.identity(
                    k.server_ip,
                    k.server_mac,
                    S7PLUS,
                    fields,
                    ts,
                    frame,
                    "s7comm-plus response strings (best effort)",
                )

    def _program(self, pdu: bytes, frame: int, ts: float) -> bool:
        """Count a request that transfers or deletes program blocks; False if it is none."""
        decoded = decode_s7plus(_payload(pdu))
        if isinstance(decoded, Anomaly):
            return False
        found = program_request(decoded)
        if found is None:
            return False
        key = (found.operation, PROGRAM_CATEGORY, S7PLUS, found.detail)
        if key not in self.named and len(self.named) >= MAX_NAMED:
            key = (found.operation, PROGRAM_CATEGORY, S7PLUS, ())
        self._count(self.named, key, frame, ts)
        return True

    def _continuation(self, pdu: bytes, frame: int, ts: float) -> None:
        """A further fragment of the client's PDU: no request of its own.  A
        stream counted as ``download_stream`` lasts (``last_seen``) to its end."""
        self.fragments += len(pdu)
        if self.stream is not None and self.fragments >= STREAM_DOWNLOAD_BYTES:
            first_frame, first_ts = self.stream
            self.stream = None
            self.streaming = True
            entry = self.named.get(_STREAM_KEY)
            if entry is None:
                self.named[_STREAM_KEY] = [1, first_ts, ts, first_frame]
            else:
                entry[0] += 1
                entry[2] = ts
        elif self.streaming:
            entry = self.named.get(_STREAM_KEY)
            if entry is not None:  # None after a checkpoint handed it over
                entry[2] = ts
        if fragment_ends(pdu, 5 + pdu[4]):
            self._fragments_end()

    def _fragments_end(self) -> None:
        self.fragments = 0
        self.stream = None
        self.streaming = False

    def _s7plus_session(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Identity from a CreateObject exchange (the session setup; other
        CreateObjects, such as a block download's, yield no identity fields)."""
        decoded = decode_s7plus(_payload(pdu))
        if isinstance(decoded, Anomaly):
            return
        message = decode_create_object(decoded)
        if message is None or isinstance(message, Anomaly):
            return  # a download's object, or one split over fragments: nothing to learn
        fields: dict[str, str | int] = dict(s7plus_session_identity(message))
        if not fields:
            return
        k = self.key
        if isinstance(message, CreateObjectRequest):
            if from_client:
                self.tally.identity(
                    k.client_ip,
                    k.client_mac,
                    S7PLUS,
                    fields,
                    ts,
                    frame,
                    "s7comm-plus create_object request (the client's session setup)",
                )
        elif not from_client:
            self.tally.identity(
                k.server_ip,
                k.server_mac,
                S7PLUS,
                fields,
                ts,
                frame,
                "s7comm-plus create_object response (session setup)",
            )

    # -- values written -----------------------------------------------------------

    def _write_var(self, pdu: bytes, decoded: S7Pdu | None, frame: int, ts: float) -> None:
        payload = _payload(pdu)
        body_key = payload[6:]  # parameter and data lengths, parameter, data
        found_all = self.writes.get(body_key)
        if found_all is None:
            if decoded is None:
                result = codec.decode_payload(payload)
                if not isinstance(result, S7Pdu):
                    return
                decoded = result
            found_all = _write_values(decoded)
            if len(self.writes) < MAX_WRITE_BODIES:
                self.writes[body_key] = found_all
        for found in found_all:
            if isinstance(found, str):
                self.tally.value_skipped(S7COMM, found)
                continue
            where, value = found
            if not note_value(self.values, where, value, frame, ts, MAX_WRITE_ADDRESSES):
                self.tally.value_skipped(S7COMM, "too_many_addresses")

    # -- stream events ------------------------------------------------------------

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(self.protocol or S7COMM, kind, ip, ts, frame, detail)

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        """Lost bytes: nothing to learn (MMS drops the TSDU in progress; a client
        S7comm-plus PDU in fragments is given up)."""
        if self.mms is not None:
            self.mms.on_gap(from_client)
        if from_client:
            self._fragments_end()

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Bytes that could not be framed (not this protocol, or a PDU cut short)."""
        self._anomaly("unframed_bytes", from_client, frame, ts, f"{len(data)} bytes dropped")

    def on_close(self, ts: float) -> None:
        """Name and hand over the operation counts."""
        if self.mms is not None:
            self.mms.on_close(ts)
        self._hand_over()

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts so far (the connection goes on)."""
        if self.mms is not None:
            self.mms.on_checkpoint(ts)
        self._hand_over()

    def _hand_over(self) -> None:
        for (rosctr, function, sub, szl_id), entry in self.ops.items():
            if rosctr == -1:
                # S7comm-plus request without a specific name: by function code.
                name = s7plus_function_name(function)
                category = s7plus_function_category(function)
                protocol = S7PLUS
            else:
                name = operation_name(rosctr, function, sub if sub >= 0 else None)
                category = (
                    userdata_category(function, sub, szl_id)
                    if rosctr == 7 and szl_id
                    else operation_category(rosctr, function, sub if sub >= 0 else None)
                )
                protocol = S7COMM
            self.tally.flow_operation(self.key, protocol, Transport.TCP, name, category, entry)
        for (name, category, protocol, detail), entry in self.named.items():
            self.tally.flow_operation(
                self.key, protocol, Transport.TCP, name, category, entry, detail
            )
        self.ops.clear()
        self.named.clear()
        for where, entry in self.values.items():
            bits = 8 * where[4] or 1  # width in bytes; 0 for a bit
            address = _address(*where)
            message = "s7comm write_var request"
            self.tally.flow_value(self.key, S7COMM, Transport.TCP, address, bits, entry, message)
        self.values.clear()


def _write_values(decoded: S7Pdu) -> WriteValues:
    """Each item's value key and value of a write var job (or why it has none)."""
    body = decoded.body
    if not isinstance(body, WriteVarRequest):
        return ()
    return tuple(
        _item_value(item, data) if isinstance(item, S7AnyItem) else "not_s7any"
        for item, data in zip(body.items, body.values, strict=False)
    )


def _item_value(item: S7AnyItem, data: DataItem) -> tuple[ValueKey, int | float] | str:
    """The address key and the value of one written item, or why there is none.

    A bit (data transport size BIT, length 1) is width 0; otherwise the width
    is the data's length in bytes, which must be 1, 2 or 4.
    """
    raw = data.data
    if not raw:
        return "no_data"
    area = item.area
    if area in _TIMERS_COUNTERS:
        if len(raw) != 2:
            return "long_data"
        return (area, 0, item.address, 0, 2), int.from_bytes(raw, "big")
    byte, bit = item.byte_address, item.bit_address
    if data.transport_size == _BIT:
        if data.length != 1 or len(raw) != 1:
            return "long_data"
        if raw[0] > 1:
            return "bad_bit_value"
        return (area, item.db_number, byte, bit, 0), raw[0]
    width = len(raw)
    if width not in _WIDTHS:
        return "long_data"
    key = (area, item.db_number, byte, 0, width)
    if data.transport_size == _REAL and width == 4:
        real: float = _FLOAT.unpack(raw)[0]
        if not math.isfinite(real):
            return "not_finite"
        return key, real
    return key, int.from_bytes(raw, "big", signed=data.transport_size in _SIGNED)


def _address(area: int, db: int, byte: int, bit: int, width: int) -> str:
    """Siemens notation of a value key (see ``_item_value``): ``DB1.DBW4``,
    ``DB1.DBX4.3``, ``MB10``, ``M10.3``, ``T5``; an area without a letter by
    its short name (``RECORD``, ``AI200`` ...)."""
    letter = _TIMERS_COUNTERS.get(area)
    if letter is not None:
        return f"{letter}{byte}"
    size = _WIDTHS.get(width, "X")
    if area in (Area.DATA_BLOCKS, Area.INSTANCE_DATA_BLOCKS):
        block = "DB" if area == Area.DATA_BLOCKS else "DI"
        place = f"{byte}.{bit}" if width == 0 else str(byte)
        return f"{block}{db}.{block}{size}{place}"
    prefix = _AREA_PREFIX.get(area) or AREA_SHORT_NAMES.get(area) or f"area_0x{area:02x}"
    if width == 0:
        return f"{prefix}{byte}.{bit}"
    return f"{prefix}{size}{byte}"


def _response_szl_id(tpkt: bytes) -> int | None:
    """The SZL id at the start of a read-SZL response's data, read in place, or None.

    Layout after COTP: S7 header 10 | parameter (length at header bytes 6-7) |
    return code 1 | transport size 1 | length 2 | SZL id 2.
    """
    p = 5 + tpkt[4]
    if p + 10 > len(tpkt):
        return None
    d = p + 10 + ((tpkt[p + 6] << 8) | tpkt[p + 7])
    if d + 6 > len(tpkt):
        return None
    return (tpkt[d + 4] << 8) | tpkt[d + 5]


def _payload(tpkt: bytes) -> bytes:
    """The COTP DT payload of a TPKT frame (TPKT 4 bytes, COTP LI + header)."""
    return tpkt[5 + tpkt[4] :]
