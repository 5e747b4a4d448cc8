"""EtherNet/IP and CIP traffic -> observations.

TCP 44818 (explicit messaging), UDP 44818 (ListIdentity, often broadcast)
and UDP 2222 (class 0/1 implicit I/O, counted as ``io_data``).

Requests count as operations: the encapsulation command, and for
SendRRData/SendUnitData each CIP service carried — inside Unconnected Send
(routed through a backplane) and Multiple Service Packets too.  Naming a CIP
request needs its path, so the analysis of a request is cached by its exact
bytes (shared by every flow of the capture, bounded by ``MAX_CACHE``): an HMI
polling the same tags sends the same bytes again and again.

Identity comes from:

- ListIdentity replies: vendor id (-> vendor name via the inventory's
  table), device type, product code, revision (``firmware`` = ``major.minor``
  with the minor on three digits, as Rockwell tools print it), serial
  (``0x%08x``), product name (-> ``model``), status, state, socket address;
- replies to Get_Attributes_All / Get_Attribute_Single on the Identity object
  (class 1), matched to their request by sender context (SendRRData) or
  sequence count (SendUnitData).  When the request was routed by an
  Unconnected Send of one hop through backplane port 1, the identity is the
  module's in that slot: a component ``slot N`` of the asset; a longer route
  reaches a device beyond this chassis, recorded as component ``route ...``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import Anomaly
from otm.protocols.enip import codec
from otm.protocols.enip.constants import (
    CLASS_CONNECTION_MANAGER,
    CLASS_IDENTITY,
    CLASS_MESSAGE_ROUTER,
    IO_UDP_PORT,
    LIST_IDENTITY,
    SEND_RR_DATA,
    SEND_UNIT_DATA,
    SERVICE_MULTIPLE,
    SERVICE_UNCONNECTED_SEND,
    TCP_PORT,
    UDP_PORT,
    command_category,
    command_name,
    service_category,
    service_name,
)
from otm.protocols.enip.framing import frame_length
from otm.protocols.enip.messages import CipResponse, IdentityItem, IdentityObject
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

PROTOCOL = "enip"

MAX_CACHE = 65536
"""Distinct CIP request byte strings analysed per capture (a SCADA system has
a few thousand tags); beyond that requests are analysed each time."""

MAX_PENDING = 64
"""Identity requests awaiting their reply per connection (CIP allows few in flight)."""

MAX_SHAPES = 256
"""Distinct reply shapes validated per connection."""


@dataclass(frozen=True, slots=True)
class _Target:
    """A request whose reply teaches identity: where to find the reply, what it is."""

    msp_index: int | None  # index of the reply inside a Multiple Service Packet reply
    service: int
    attribute: int | None
    component: str | None


@dataclass(frozen=True, slots=True)
class _Analysis:
    """What a CIP request is: the operations it carries and identity targets."""

    ops: tuple[tuple[str, str], ...]
    targets: tuple[_Target, ...]
    anomaly: Anomaly | None = None


class EnipSensor:
    """Registers EtherNet/IP on TCP and UDP 44818 and implicit I/O on UDP 2222."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""
        cache: dict[bytes, _Analysis] = {}

        def tcp(key: FlowKey, ts: float, frame: int) -> EnipStream:
            return EnipStream(key, tally, labels, cache, Transport.TCP)

        def udp(key: FlowKey, ts: float, frame: int) -> EnipStream:
            return EnipStream(key, tally, labels, cache, Transport.UDP)

        def io(key: FlowKey, ts: float, frame: int) -> IoStream:
            return IoStream(key, tally, labels)

        walker.register_tcp(TCP_PORT, PROTOCOL, frame_length, tcp)
        walker.register_udp(UDP_PORT, PROTOCOL, udp)
        walker.register_udp(IO_UDP_PORT, PROTOCOL, io)


def analyse_request(cip: bytes, depth: int = 0, component: str | None = None) -> _Analysis:
    """Name the operations of one CIP request and note identity reads (recursive, bounded)."""
    req = codec.decode_cip_request(cip)
    if isinstance(req, Anomaly):
        return _Analysis((), (), req)
    class_id = req.path.class_id
    symbolic = req.path.symbol is not None
    name = service_name(req.service, class_id, symbolic)
    category = service_category(req.service, class_id, symbolic)
    ops: list[tuple[str, str]] = [(name, category)]
    targets: list[_Target] = []
    if (
        depth < 3
        and req.service == SERVICE_UNCONNECTED_SEND
        and class_id == CLASS_CONNECTION_MANAGER
    ):
        routed = codec.decode_unconnected_send(req.data, depth)
        if isinstance(routed, Anomaly):
            return _Analysis(tuple(ops), (), routed)
        if routed.slot is not None:
            slot: str | None = f"slot {routed.slot}"
        elif routed.route.ports:
            # Routed beyond this chassis: a device reached through it, named by its route.
            hops = " ".join(
                f"{p.port}:{p.link_number if p.link_number is not None else p.link.hex()}"
                for p in routed.route.ports
            )
            slot = f"route {hops}"
        else:
            slot = component
        inner = analyse_request(codec.encode_cip_request(routed.request), depth + 1, slot)
        return _Analysis(tuple(ops) + inner.ops, inner.targets, inner.anomaly)
    if depth < 3 and req.service == SERVICE_MULTIPLE and class_id == CLASS_MESSAGE_ROUTER:
        packet = codec.decode_multiple_service(req.data)
        if isinstance(packet, Anomaly):
            return _Analysis(tuple(ops), (), packet)
        for index, body in enumerate(packet.services):
            inner = analyse_request(body, depth + 1, component)
            ops.extend(inner.ops)
            targets.extend(
                _Target(index, t.service, t.attribute, t.component) for t in inner.targets
            )
        return _Analysis(tuple(ops), tuple(targets))
    if class_id == CLASS_IDENTITY and req.service in (0x01, 0x0E):
        targets.append(_Target(None, req.service, req.path.attribute_id, component))
    return _Analysis(tuple(ops), tuple(targets))


def identity_fields(obj: IdentityObject | IdentityItem) -> dict[str, str | int]:
    """otm identity fields of an Identity object or a ListIdentity item."""
    fields: dict[str, str | int] = {
        "vendor_id": obj.vendor_id,
        "device_type": obj.device_type,
        "product_code": obj.product_code,
        "revision_major": obj.revision_major,
        "revision_minor": obj.revision_minor,
        "firmware": f"{obj.revision_major}.{obj.revision_minor:03d}",
        "serial": f"0x{obj.serial_number:08x}",
        "product_name": obj.product_name.strip(),
        "model": obj.product_name.strip(),
        "status": obj.status,
    }
    if isinstance(obj, IdentityItem):
        fields["state"] = obj.state
        fields["socket_address"] = obj.sin_address
    return fields


class EnipStream:
    """One EtherNet/IP TCP connection or UDP conversation."""

    __slots__ = (
        "bundles",
        "cache",
        "flipped",
        "key",
        "labels",
        "ops",
        "pending",
        "shapes",
        "tally",
        "transport",
        "valid",
    )

    def __init__(
        self,
        key: FlowKey,
        tally: Tally,
        labels: FlowLabels,
        cache: dict[bytes, _Analysis],
        transport: Transport,
    ) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.cache = cache
        self.transport = transport
        self.ops: dict[tuple[str, str], list[float]] = {}
        self.bundles: dict[tuple[tuple[str, str], ...], list[float]] = {}
        self.pending: dict[bytes, tuple[_Target, ...]] = {}
        self.shapes: set[tuple[object, ...]] = set()
        self.valid = False
        self.flipped = False

    # -- per message ---------------------------------------------------------------

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """A UDP datagram on 44818: one encapsulation message."""
        self.on_pdu(payload, from_client, frame, ts)

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One whole encapsulation message."""
        head = codec.peek_encapsulation(pdu)
        if head is None or 24 + head[1] != len(pdu):
            self._anomaly("invalid_length", from_client, frame, ts, f"{len(pdu)} bytes")
            return
        command, length, _, status = head
        if not self.valid:
            self.valid = True
            self.labels.protocol[self.key] = PROTOCOL
        if self.flipped:
            from_client = not from_client
        # ListIdentity requests carry no data, replies do; on UDP both ends may
        # use port 44818, so the data decides rather than the direction.
        reply = length > 0 if command == LIST_IDENTITY else not from_client
        if reply == from_client and not self.ops and self.transport is Transport.UDP:
            # A reply seen first on a port-44818-to-44818 conversation: the
            # walker took the device for the client; the device is the server.
            self.labels.reversed.add(self.key)
            self.key = _swap(self.key)
            self.flipped = not self.flipped
            from_client = not from_client
        if not reply:
            op = _COMMAND_OPS.get(command)
            if op is None:
                op = (command_name(command), command_category(command))
            entry = self.ops.get(op)
            if entry is None:
                self.ops[op] = [1, ts, ts, frame]
            else:
                entry[0] += 1
                entry[2] = ts
            if command in (SEND_RR_DATA, SEND_UNIT_DATA):
                self._request(pdu, command, frame, ts, from_client)
            return
        if command == LIST_IDENTITY and length:
            self._list_identity(pdu, from_client, frame, ts)
        elif command in (SEND_RR_DATA, SEND_UNIT_DATA) and status == 0:
            self._reply(pdu, command, from_client, frame, ts)

    def _count(self, op: tuple[str, str], frame: int, ts: float) -> None:
        entry = self.ops.get(op)
        if entry is None:
            self.ops[op] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    def _request(self, pdu: bytes, command: int, frame: int, ts: float, from_client: bool) -> None:
        fast = _common_layout(pdu, command)
        if fast is not None:
            cip, sequence = fast
        else:
            data = codec.decode_send_data(pdu[24:])
            if isinstance(data, Anomaly):
                self._anomaly(data.kind.value, from_client, frame, ts, data.detail)
                return
            if data.cip is None:
                return
            cip, sequence = data.cip, data.sequence_count
        analysis = self.cache.get(cip)
        if analysis is None:
            analysis = analyse_request(cip)
            if len(self.cache) < MAX_CACHE:
                self.cache[cip] = analysis
        if analysis.anomaly is not None:
            a = analysis.anomaly
            self._anomaly(a.kind.value, from_client, frame, ts, a.detail)
        if len(analysis.ops) == 1:
            self._count(analysis.ops[0], frame, ts)
        else:
            # Several operations (routed or packed requests): count the whole
            # request once, spread over its operations when the flow closes.
            entry = self.bundles.get(analysis.ops)
            if entry is None:
                self.bundles[analysis.ops] = [1, ts, ts, frame]
            else:
                entry[0] += 1
                entry[2] = ts
        if analysis.targets and len(self.pending) < MAX_PENDING:
            self.pending[self._match_key(pdu, command, sequence)] = analysis.targets

    @staticmethod
    def _match_key(pdu: bytes, command: int, sequence: int | None) -> bytes:
        if command == SEND_UNIT_DATA and sequence is not None:
            return b"u" + sequence.to_bytes(2, "little")
        return b"r" + pdu[12:20]  # sender context

    def _reply(self, pdu: bytes, command: int, from_client: bool, frame: int, ts: float) -> None:
        shape = (command, len(pdu), pdu[40:44] if command == SEND_RR_DATA else pdu[46:50])
        if not self.pending and shape in self.shapes:
            return
        data = codec.decode_send_data(pdu[24:])
        if isinstance(data, Anomaly):
            self._anomaly(data.kind.value, from_client, frame, ts, data.detail)
            return
        if len(self.shapes) < MAX_SHAPES:
            self.shapes.add(shape)
        targets = self.pending.pop(self._match_key(pdu, command, data.sequence_count), None)
        cip = data.cip
        if cip is None:
            return
        response = codec.decode_cip_response(cip)
        if isinstance(response, Anomaly):
            self._anomaly(response.kind.value, from_client, frame, ts, response.detail)
            return
        if targets:
            self._identity_reply(response, targets, frame, ts)

    def _identity_reply(
        self, response: CipResponse, targets: tuple[_Target, ...], frame: int, ts: float
    ) -> None:
        replies: dict[int | None, CipResponse] = {None: response}
        if any(t.msp_index is not None for t in targets) and response.service == SERVICE_MULTIPLE:
            packet = codec.decode_multiple_service(response.data)
            if isinstance(packet, Anomaly):
                return
            for index, body in enumerate(packet.services):
                sub = codec.decode_cip_response(body)
                if not isinstance(sub, Anomaly):
                    replies[index] = sub
        for target in targets:
            reply = replies.get(target.msp_index)
            if reply is None or reply.general_status != 0 or reply.service != target.service:
                continue
            fields: dict[str, str | int] = {}
            if target.service == 0x01:
                obj = codec.decode_identity_attributes(reply.data)
                if isinstance(obj, Anomaly):
                    continue
                fields = identity_fields(obj)
                message = "cip get_attributes_all identity reply"
            else:
                fields = _single_attribute(target.attribute, reply.data)
                message = f"cip get_attribute_single identity attribute {target.attribute} reply"
            k = self.key
            self.tally.identity(
                k.server_ip, k.server_mac, PROTOCOL, fields, ts, frame, message, target.component
            )

    def _list_identity(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        reply = codec.decode_list_identity_response(pdu[24:])
        if isinstance(reply, Anomaly):
            self._anomaly(reply.kind.value, from_client, frame, ts, reply.detail)
            return
        k = self.key
        ip, mac = (k.client_ip, k.client_mac) if from_client else (k.server_ip, k.server_mac)
        for item in reply.identities:
            self.tally.identity(
                ip, mac, PROTOCOL, identity_fields(item), ts, frame, "enip list_identity reply"
            )

    # -- stream events -----------------------------------------------------------------

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(PROTOCOL, kind, ip, ts, frame, detail)

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        """Lost bytes: pending identity requests may never be answered."""
        self.pending.clear()

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Bytes that could not be framed (not this protocol, or a PDU cut short)."""
        self._anomaly("unframed_bytes", from_client, frame, ts, f"{len(data)} bytes dropped")

    def on_close(self, ts: float) -> None:
        """Hand over the operation counts."""
        for bundle, (count, first, last, frame) in self.bundles.items():
            for op in bundle:
                entry = self.ops.get(op)
                if entry is None:
                    self.ops[op] = [count, first, last, frame]
                else:
                    entry[0] += count
                    if first < entry[1]:
                        entry[1], entry[3] = first, frame
                    entry[2] = max(entry[2], last)
        self.bundles.clear()
        for (name, category), entry in self.ops.items():
            self.tally.flow_operation(self.key, PROTOCOL, self.transport, name, category, entry)
        self.ops.clear()

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts so far (the flow goes on)."""
        self.on_close(ts)


class IoStream:
    """Class 0/1 implicit I/O on UDP 2222: counted, validated once per shape."""

    __slots__ = ("count", "first", "frame", "key", "labels", "last", "shapes", "tally")

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.count = 0
        self.first = self.last = 0.0
        self.frame = 0
        self.shapes: set[int] = set()

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One I/O datagram."""
        if len(payload) not in self.shapes:
            io = codec.decode_io_datagram(payload)
            if isinstance(io, Anomaly):
                ip = self.key.client_ip if from_client else self.key.server_ip
                self.tally.anomaly(PROTOCOL, io.kind.value, ip, ts, frame, io.detail)
                return
            if len(self.shapes) < MAX_SHAPES:
                self.shapes.add(len(payload))
            self.labels.protocol[self.key] = PROTOCOL
        if not self.count:
            self.first, self.frame = ts, frame
        self.count += 1
        self.last = ts

    def on_close(self, ts: float) -> None:
        """Hand over the I/O count."""
        if self.count:
            entry = [float(self.count), self.first, self.last, float(self.frame)]
            self.tally.flow_operation(self.key, PROTOCOL, Transport.UDP, "io_data", "read", entry)
            self.count = 0

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the count so far (the flow goes on)."""
        self.on_close(ts)


_COMMAND_OPS = {c: (command_name(c), command_category(c)) for c in range(0x0080)}
"""(name, category) of every encapsulation command code below 0x80, built once."""

_RR_LAYOUT = struct.Struct("<IHHHHHH")  # handle, timeout, count, null type/len, B2 type/len
_UNIT_LAYOUT = struct.Struct(
    "<IHHHHIHHH"
)  # handle, timeout, count, A1 type/len/id, B1 type/len, seq


def _common_layout(pdu: bytes, command: int) -> tuple[bytes, int | None] | None:
    """The CIP bytes (and sequence count) of the two usual CPF layouts, read in place.

    SendRRData: null address item + unconnected data item, CIP at byte 40.
    SendUnitData: connected address item + connected data item, sequence
    count at 44, CIP at 46.  None for any other layout (then the full
    decoder runs).  Saves a CPF decode per message on the hot path.
    """
    size = len(pdu)
    if command == SEND_RR_DATA and size >= 40:
        _, _, count, t0, l0, t1, l1 = _RR_LAYOUT.unpack_from(pdu, 24)
        if count == 2 and t0 == 0 and l0 == 0 and t1 == 0xB2 and 40 + l1 == size:
            return pdu[40:], None
    elif command == SEND_UNIT_DATA and size >= 46:
        _, _, count, t0, l0, _, t1, l1, seq = _UNIT_LAYOUT.unpack_from(pdu, 24)
        if count == 2 and t0 == 0xA1 and l0 == 4 and t1 == 0xB1 and 44 + l1 == size and l1 >= 2:
            return pdu[46:], seq
    return None


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


def _single_attribute(attribute: int | None, data: bytes) -> dict[str, str | int]:
    if attribute is None:
        return {}
    value = codec.decode_identity_attribute(attribute, data)
    if isinstance(value, Anomaly):
        return {}
    if attribute == 4 and isinstance(value, tuple):
        major, minor = value
        return {
            "revision_major": major,
            "revision_minor": minor,
            "firmware": f"{major}.{minor:03d}",
        }
    names = {1: "vendor_id", 2: "device_type", 3: "product_code", 5: "status", 6: "serial"}
    if attribute == 6 and isinstance(value, int):
        return {"serial": f"0x{value:08x}"}
    if attribute == 7 and isinstance(value, str):
        return {"product_name": value.strip(), "model": value.strip()}
    if attribute in names and isinstance(value, int):
        return {names[attribute]: value}
    return {}
