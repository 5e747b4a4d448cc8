"""DNP3 traffic -> observations (TCP and UDP port 20000, IEEE 1815-2012 clause 13).

Roles come from the link layer, not from TCP: the DIR bit is 1 in every
frame a master sends and 0 in every frame an outstation sends, so the
master is the client and the outstation the server whoever opened the
connection (an outstation may dial out to its master).  The first frame with
good CRCs decides; when it contradicts the walker's orientation the flow is
marked in ``labels.reversed``.  Later frames that contradict it are counted
as ``direction_conflict`` anomalies.

Per frame every CRC is checked (a bad one is an anomaly and the frame is
dropped); transport segments are rebuilt into application fragments per
(direction, source, destination), with a fast path for the usual
single-segment fragment.  Operations, counted per flow in a small dict and
named when the flow closes, with ``master_address``/``outstation_address``
as detail:

- every request a master sends (``read``, ``direct_operate``,
  ``cold_restart`` ... ``function_0x..`` when undefined);
- unsolicited responses (``unsolicited_response``), which the outstation
  sends unasked: operations of the outstation on the link;
- link services a master asks for without user data
  (``link_reset_link_states``, ``link_request_link_status`` ...).

Values written (``ValueWritten``): the analog output blocks (group 41,
variations 1-4: int32, int16, float32, float64; the status octet is not a
value) of ``operate``, ``direct_operate`` and ``direct_operate_nr``
requests, at address ``o<outstation>:ao:<index>`` (the outstation's link
address and the point index, from the object prefix or the start of the
range).  ``select`` is not a write (its ``operate`` follows with the same
value); control relay output blocks (group 12) carry a command, not a value,
and stay operations.  NaN and infinities are not recorded (counted in
``values_skipped`` as ``not_finite``), nor outputs beyond
``MAX_WRITE_ADDRESSES`` a flow.  The values are read once per distinct
request body, with the rest of the request's analysis (the cache below).

Identity, only from frames a device sent: its link address
(``dnp3_master_address`` when DIR = 1, ``dnp3_address`` when DIR = 0;
reserved addresses 0xFFF0-0xFFFF are not identities but
``reserved_source_address`` anomalies), and the group 0 device attributes
of its responses (``ATTRIBUTE_FIELDS``).

Cheap hot path: requests are analysed once per distinct fragment body (a
cache shared by the flows of a capture, bounded by ``MAX_CACHE``), responses
decoded fully only when their shape (function, length, first object
header) is new on the flow, when they start with a group 0 object, or when
the master asked for group 0; other responses cost a CRC check and a few
octet reads.  Measured on the 2-core dev machine (CPython 3.11), on top of
the walker: ~2.5 µs for a 24-octet class poll, ~4 µs for an 81-octet static
data response, most of it the CRCs (``otm.protocols.dnp3.crc``).

Anomaly kinds are ``Dnp3Anomaly`` values plus ``unframed_bytes``,
``direction_conflict``, ``reserved_source_address``, ``response_from_master``
and ``request_from_outstation``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import Anomaly
from otm.protocols.dnp3 import codec
from otm.protocols.dnp3.constants import (
    DEVICE_ATTRIBUTES_GROUP,
    INDEX_PREFIX_SIZES,
    LINK_OPERATION_CATEGORY,
    START_STOP_WIDTHS,
    FunctionCode,
    link_operation_name,
    operation_category,
    operation_name,
)
from otm.protocols.dnp3.framing import frame_length
from otm.protocols.dnp3.messages import ObjectHeader, Request, Response
from otm.protocols.dnp3.objects import device_attributes
from otm.protocols.dnp3.reassembly import TransportReassembler
from otm.sensing.aggregate import Tally, note_value
from otm.sensing.labels import FlowLabels

PROTOCOL = "dnp3"
PORT = 20000

MAX_CACHE = 65536
"""Distinct request bodies analysed per capture; a master polls with a few
dozen, time synchronisation adds one per write.  Beyond it requests are
analysed each time."""

MAX_SHAPES = 256
"""Distinct response shapes validated per flow."""

MAX_WRITE_ADDRESSES = 4096
"""Analog outputs whose written values a flow keeps (beyond: counted, not kept)."""

ANALOG_OUTPUT_GROUP = 41
_OPERATES = frozenset(
    {FunctionCode.OPERATE, FunctionCode.DIRECT_OPERATE, FunctionCode.DIRECT_OPERATE_NR}
)
_ANALOG_OUTPUT = {
    1: (4, struct.Struct("<i")),
    2: (2, struct.Struct("<h")),
    3: (4, struct.Struct("<f")),
    4: (8, struct.Struct("<d")),
}
"""Group 41 variation -> (value octets, their layout); a status octet follows each."""

MAX_ASSOCIATIONS = 64
"""(direction, source, destination) triples per flow with their own transport
reassembly and learnt addresses.  A connection to a data concentrator
carries a handful; beyond the bound, multi-segment fragments of new
triples are not rebuilt (single-segment ones still are)."""

ATTRIBUTE_FIELDS: dict[int, str] = {
    252: "vendor",  # device manufacturer's name
    250: "model",  # device manufacturer's product name and model
    242: "firmware",  # device manufacturer's software version
    243: "hardware",  # device manufacturer's hardware version
    248: "serial",  # device serial number
    247: "name",  # user-assigned device name
    246: "dnp3_id_code",  # user-assigned ID code/number
    245: "dnp3_location",  # user-assigned location name
    244: "dnp3_owner_name",  # user-assigned owner name
    208: "dnp3_system_name",  # user-assigned system name
    249: "dnp3_subset_conformance",  # DNP3 subset and conformance
    196: "dnp3_configuration_id",
    197: "dnp3_configuration_version",
    209: "dnp3_secure_auth_version",
    240: "dnp3_max_transmit_fragment",
    241: "dnp3_max_receive_fragment",
}
"""Group 0 variation -> otm identity field; other attributes are not identity."""

_LINK_OP = 0x100
"""Added to a link function code in an operation key (application codes are 0-255)."""

_UNSOLICITED = int(FunctionCode.UNSOLICITED_RESPONSE)
_FIRST_RESPONSE = 0x80


@dataclass(frozen=True, slots=True)
class _RequestInfo:
    """What a request body is, as far as the sensor cares."""

    anomaly: Anomaly | None
    reads_attributes: bool
    outputs: tuple[tuple[int, int, int | float], ...] = ()
    """(point index, bits, value) of the analog outputs an operate request sets."""
    not_finite: int = 0


class Dnp3Sensor:
    """Registers DNP3 on TCP and UDP port 20000."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""
        cache: dict[bytes, _RequestInfo] = {}

        def tcp(key: FlowKey, ts: float, frame: int) -> Dnp3Stream:
            return Dnp3Stream(key, tally, labels, cache, Transport.TCP)

        def udp(key: FlowKey, ts: float, frame: int) -> Dnp3Stream:
            return Dnp3Stream(key, tally, labels, cache, Transport.UDP)

        walker.register_tcp(PORT, PROTOCOL, frame_length, tcp)
        walker.register_udp(PORT, PROTOCOL, udp)


def analyse_request(fragment: bytes) -> _RequestInfo:
    """Validate a request fragment and note whether it reads device attributes."""
    message = codec.decode_application(fragment)
    if isinstance(message, Anomaly):
        return _RequestInfo(message, False)
    reads = message.function_code == FunctionCode.READ and any(
        h.group == DEVICE_ATTRIBUTES_GROUP for h in message.objects
    )
    if message.function_code not in _OPERATES:
        return _RequestInfo(None, reads)
    outputs: list[tuple[int, int, int | float]] = []
    not_finite = 0
    for header in message.objects:
        layout = _ANALOG_OUTPUT.get(header.variation)
        bits = 8 * layout[0] if layout is not None else 0
        for index, value in analog_outputs(header):
            if isinstance(value, float) and not math.isfinite(value):
                not_finite += 1
            else:
                outputs.append((index, bits, value))
    return _RequestInfo(None, reads, tuple(outputs), not_finite)


def analog_outputs(header: ObjectHeader) -> list[tuple[int, int | float]]:
    """(point index, value) of a header's analog output blocks (group 41).

    Indexes come from the object prefix (1, 2 or 4 octets), or count up from
    the start of a start-stop range without prefix; other layouts (a count
    without prefix, size prefixes) name no point and give nothing.
    """
    layout = _ANALOG_OUTPUT.get(header.variation)
    if header.group != ANALOG_OUTPUT_GROUP or layout is None or not header.data:
        return []
    size, value_format = layout
    data = header.data
    prefix = INDEX_PREFIX_SIZES.get(header.prefix_code, 0)
    if header.prefix_code and not prefix:
        return []
    start = header.start
    if not prefix and (start is None or header.range_code not in START_STOP_WIDTHS):
        return []
    step = prefix + size + 1
    out: list[tuple[int, int | float]] = []
    # The walk sized ``data`` as whole objects: len(data) // step of them.
    for n, at in enumerate(range(0, len(data) - step + 1, step)):
        index = int.from_bytes(data[at : at + prefix], "little") if prefix else (start or 0) + n
        out.append((index, value_format.unpack_from(data, at + prefix)[0]))
    return out


def attribute_fields(response: Response) -> dict[str, str | int]:
    """otm identity fields of the group 0 objects of a response."""
    fields: dict[str, str | int] = {}
    for attribute in device_attributes(response):
        name = ATTRIBUTE_FIELDS.get(attribute.variation)
        if name is None:
            continue
        number = attribute.number
        fields[name] = number if number is not None else attribute.text
    return fields


class Dnp3Stream:
    """One DNP3 TCP connection or UDP conversation."""

    __slots__ = (
        "addresses",
        "cache",
        "flipped",
        "key",
        "labels",
        "ops",
        "reassemblers",
        "shapes",
        "tally",
        "transport",
        "valid",
        "values",
        "wanted",
    )

    def __init__(
        self,
        key: FlowKey,
        tally: Tally,
        labels: FlowLabels,
        cache: dict[bytes, _RequestInfo],
        transport: Transport,
    ) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.cache = cache
        self.transport = transport
        self.ops: dict[int, list[float]] = {}  # code | master << 9 | outstation << 25
        self.addresses: set[int] = set()  # sender side << 17 | address << 1 | DIR
        self.reassemblers: dict[int, TransportReassembler] = {}
        self.shapes: set[bytes] = set()
        self.wanted: set[int] = set()  # outstation << 16 | master asked for group 0
        self.valid = False
        self.flipped = False
        # outstation << 40 | bits << 32 | index -> [count, first, last, frame, min, max,
        # last, function]
        self.values: dict[int, list[float]] = {}

    # -- per frame ----------------------------------------------------------------

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """A UDP datagram on port 20000: one or more link frames back to back."""
        if self.flipped:
            from_client = not from_client
        size = len(payload)
        pos = 0
        # Each turn consumes one whole frame (10 octets at least) or leaves.
        while pos < size:
            length = frame_length(payload, pos)
            if length <= 0 or pos + length > size:
                detail = f"{size - pos} octets of a datagram"
                self._anomaly("unframed_bytes", from_client, frame, ts, detail)
                return
            whole = payload if length == size else payload[pos : pos + length]
            from_client = self._frame(whole, from_client, frame, ts)
            pos += length

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One link frame, as the framer delimits it."""
        self._frame(pdu, not from_client if self.flipped else from_client, frame, ts)

    def _frame(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> bool:
        """One link frame; ``from_client`` in this stream's orientation, which the
        frame may reverse (the first one): returns the side it came from after."""
        bad = codec.verify_frame(pdu)
        if bad is not None:
            self._anomaly(bad.kind.value, from_client, frame, ts, bad.detail)
            return from_client
        control = pdu[3]
        master = bool(control & 0x80)
        if not self.valid:
            self.valid = True
            self.labels.protocol[self.key] = PROTOCOL
            if master != from_client:
                # An outstation on the side that opened the connection (or on
                # the side the walker took for the client): DIR rules.
                self.labels.reversed.add(self.key)
                self.key = _swap(self.key)
                self.flipped = True
                from_client = master
        elif master != from_client:
            self._anomaly("direction_conflict", from_client, frame, ts, f"DIR {int(master)}")
        destination = pdu[4] | (pdu[5] << 8)
        source = pdu[6] | (pdu[7] << 8)
        learnt = (from_client << 17) | (source << 1) | master
        if learnt not in self.addresses and len(self.addresses) < MAX_ASSOCIATIONS:
            self.addresses.add(learnt)
            self._address(source, master, from_client, frame, ts)
        bad = codec.check_link_function(control, pdu[2] - 5)
        if bad is not None:
            self._anomaly(bad.kind.value, from_client, frame, ts, bad.detail)
            return from_client
        if not control & 0x40:
            return from_client  # a secondary frame: the answer to a link service
        function = control & 0x0F
        if function < 3 or function == 9:
            if master:
                self._count(_LINK_OP | function, source, destination, frame, ts)
            return from_client
        user = codec.strip_crcs(pdu)
        header = user[0]
        association = (master << 32) | (source << 16) | destination
        reassembler = self.reassemblers.get(association) if self.reassemblers else None
        if reassembler is None and header & 0xC0 == 0xC0:
            fragment = user[1:]
        else:
            if reassembler is None:
                if len(self.reassemblers) >= MAX_ASSOCIATIONS:
                    return from_client
                reassembler = self.reassemblers[association] = TransportReassembler()
            pushed, bad = reassembler.push(header, user[1:])
            if bad is not None:
                self._anomaly(bad.kind.value, from_client, frame, ts, bad.detail)
            if pushed is None:
                return from_client
            fragment = pushed
        if master:
            self._request(fragment, source, destination, from_client, frame, ts)
        else:
            self._response(fragment, source, destination, from_client, frame, ts)
        return from_client

    def _request(
        self,
        fragment: bytes,
        source: int,
        destination: int,
        from_client: bool,
        frame: int,
        ts: float,
    ) -> None:
        if len(fragment) < 2:
            self._anomaly("truncated", from_client, frame, ts, f"{len(fragment)}-octet fragment")
            return
        function = fragment[1]
        if function >= _FIRST_RESPONSE:
            self._anomaly("response_from_master", from_client, frame, ts, f"function {function}")
            return
        self._count(function, source, destination, frame, ts)
        body = fragment[1:]
        info = self.cache.get(body)
        if info is None:
            info = analyse_request(fragment)
            if len(self.cache) < MAX_CACHE:
                self.cache[body] = info
        if info.anomaly is not None:
            self._anomaly(info.anomaly.kind.value, from_client, frame, ts, info.anomaly.detail)
        if info.reads_attributes and len(self.wanted) < MAX_ASSOCIATIONS:
            self.wanted.add((destination << 16) | source)
        if info.outputs or info.not_finite:
            self._outputs(info, function, destination, frame, ts)

    def _outputs(
        self, info: _RequestInfo, function: int, outstation: int, frame: int, ts: float
    ) -> None:
        if info.not_finite:
            self.tally.value_skipped(PROTOCOL, "not_finite", info.not_finite)
        for index, bits, value in info.outputs:
            code = (outstation << 40) | (bits << 32) | index
            if not note_value(self.values, code, value, frame, ts, MAX_WRITE_ADDRESSES, function):
                self.tally.value_skipped(PROTOCOL, "too_many_addresses")

    def _response(
        self,
        fragment: bytes,
        source: int,
        destination: int,
        from_client: bool,
        frame: int,
        ts: float,
    ) -> None:
        size = len(fragment)
        if size < 2:
            self._anomaly("truncated", from_client, frame, ts, f"{size}-octet fragment")
            return
        function = fragment[1]
        if function < _FIRST_RESPONSE:
            self._anomaly("request_from_outstation", from_client, frame, ts, f"function {function}")
            return
        if function == _UNSOLICITED:
            self._count(function, destination, source, frame, ts)
        pair = (source << 16) | destination
        shape = fragment[1:2] + size.to_bytes(2, "big") + fragment[4:7]
        starts_with_attributes = size > 4 and fragment[4] == DEVICE_ATTRIBUTES_GROUP
        if shape in self.shapes and pair not in self.wanted and not starts_with_attributes:
            return
        message = codec.decode_application(fragment)
        if isinstance(message, Anomaly):
            self._anomaly(message.kind.value, from_client, frame, ts, message.detail)
            return
        if isinstance(message, Request):  # not reached: the function code is a response's
            return
        if message.fin:
            self.wanted.discard(pair)
        if any(h.group == DEVICE_ATTRIBUTES_GROUP for h in message.objects):
            fields = attribute_fields(message)
            if fields:
                ip, mac = self._sender(from_client)
                self.tally.identity(
                    ip,
                    mac,
                    PROTOCOL,
                    fields,
                    ts,
                    frame,
                    "dnp3 device attributes (group 0) response",
                )
        elif len(self.shapes) < MAX_SHAPES:
            self.shapes.add(shape)

    # -- helpers ------------------------------------------------------------------

    def _count(self, code: int, master: int, outstation: int, frame: int, ts: float) -> None:
        key = code | (master << 9) | (outstation << 25)
        entry = self.ops.get(key)
        if entry is None:
            self.ops[key] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    def _address(self, source: int, master: bool, from_client: bool, frame: int, ts: float) -> None:
        if source >= 0xFFF0:
            self._anomaly(
                "reserved_source_address", from_client, frame, ts, f"source 0x{source:04x}"
            )
            return
        ip, mac = self._sender(from_client)
        if master:
            fields: dict[str, str | int] = {"dnp3_master_address": source}
            message = "dnp3 link source address of a master (DIR=1)"
        else:
            fields = {"dnp3_address": source}
            message = "dnp3 link source address of an outstation (DIR=0)"
        self.tally.identity(ip, mac, PROTOCOL, fields, ts, frame, message)

    def _sender(self, from_client: bool) -> tuple[str, str]:
        k = self.key
        return (k.client_ip, k.client_mac) if from_client else (k.server_ip, k.server_mac)

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(PROTOCOL, kind, ip, ts, frame, detail)

    # -- stream events ------------------------------------------------------------

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        """Lost bytes: partial fragments cannot be completed."""
        for reassembler in self.reassemblers.values():
            reassembler.reset()

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Bytes that could not be framed (not DNP3, or a frame cut short)."""
        if self.flipped:
            from_client = not from_client
        self._anomaly("unframed_bytes", from_client, frame, ts, f"{len(data)} octets dropped")

    def on_close(self, ts: float) -> None:
        """Name and hand over the operation counts."""
        for code, entry in self.ops.items():
            function = code & 0x1FF
            if function & _LINK_OP:
                name = link_operation_name(function & 0x0F)
                category = LINK_OPERATION_CATEGORY
            else:
                name, category = operation_name(function), operation_category(function)
            detail = (("master_address", (code >> 9) & 0xFFFF), ("outstation_address", code >> 25))
            self.tally.flow_operation(
                self.key, PROTOCOL, self.transport, name, category, entry, detail
            )
        self.ops.clear()
        for code, entry in self.values.items():
            address = f"o{code >> 40}:ao:{code & 0xFFFFFFFF}"
            bits = (code >> 32) & 0xFF
            message = f"dnp3 {operation_name(int(entry[7]))} request"
            self.tally.flow_value(
                self.key, PROTOCOL, self.transport, address, bits, entry[:7], message
            )
        self.values.clear()

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts so far (the flow goes on)."""
        self.on_close(ts)


def _swap(key: FlowKey) -> FlowKey:
    return FlowKey(
        key.transport,
        key.server_ip,
        key.server_port,
        key.client_ip,
        key.client_port,
        key.server_mac,
        key.client_mac,
        key.vlan,
    )
