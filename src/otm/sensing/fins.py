"""Omron FINS traffic (FINS/UDP and FINS/TCP on port 9600) -> observations.

Every frame is read with the codec's ``peek`` (ICF, command code, end code
at fixed offsets).  A frame is fully decoded only when its shape (command or
response, command code, length) is new on the flow, and a Controller Data
Read response always, since it teaches identity (about 1 us a frame of a
known shape on CPython 3.11, 5 us for a full decode).  Commands count as
operations keyed by command code (MESSAGE READ refined by its parameter into
``message_read``/``message_clear``/``fal_fals_read``); responses with an
abnormal end code count as ``error_<end code name>`` in the ``exception``
category on the same link, as Modbus exceptions do.  On TCP the node address
exchange counts as ``node_address_data_send`` (session) and a frame send
error notification as ``tcp_error_<name>``.

Roles follow ICF bit 6: the sender of a command is the client, of a
response the server.  The walker orients a UDP conversation by port (both
ends often use 9600), so when its first frame travels against that guess (a
response from the walker's client side), the sensor marks the flow reversed.
FINS lets either end command the other (PLC-to-PLC SEND/RECV, a PLC
commanding its host over the same FINS/TCP connection); commands and
responses that later travel against the flow's orientation form a second
conversation with the roles swapped: its operations land on the swapped
link and, when the flow ends, the sensor reports that conversation as its
own ``Communication`` (packets: its frames; bytes: its FINS/UDP or FINS/TCP
payload bytes, as the walker counts the flow's frames once, on the main link),
answered only if a response travelled in it: that its server sent commands
of its own in the main conversation proves nothing.

Identity, from frames the device sent:

- Controller Data Read (0x0501) responses: controller model -> ``model``,
  controller version -> ``firmware``, and when present
  ``fins_program_area_size``, ``fins_iom_size``, ``fins_dm_words``,
  ``fins_timer_counter_size``, ``fins_expansion_dm_size``,
  ``fins_steps_transitions``, ``fins_memory_card``, ``fins_memory_card_size``,
  ``fins_pc_status``;
- every valid frame: the sender's FINS address ``network.node`` (SNA.SA1)
  as ``fins_node``.
"""

from __future__ import annotations

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Communication, Transport
from otm.protocols.common import SESSION, Anomaly
from otm.protocols.fins import codec
from otm.protocols.fins.constants import (
    CONTROLLER_DATA_READ,
    ICF_RESPONSE,
    MESSAGE_READ,
    PORT,
    TCP_HEADER_LENGTH,
    TcpCommand,
    command_category,
    command_name,
    end_code_name,
    is_normal,
    tcp_error_name,
)
from otm.protocols.fins.framing import frame_length
from otm.protocols.fins.messages import ControllerData
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

PROTOCOL = "omron-fins"

MAX_SHAPES = 256
"""Distinct frame shapes validated per flow; an HMI polls a few dozen."""

MAX_NODES = 65536
"""(sender, FINS node) pairs remembered as already reported, per capture."""

EXCEPTION = "exception"
"""Category of abnormal end codes (as the Modbus sensor counts exceptions)."""

_ERROR = 1 << 32
"""Key flag of an abnormal end code (the low 16 bits hold it)."""
_TCP_OP = 1 << 33
"""Key flag of a FINS/TCP-level operation (the low bits hold command and error)."""
_SUB = 1 << 16
"""MESSAGE READ keys carry ``(parameter >> 14) + 1`` above the command code."""


def controller_data_fields(data: ControllerData) -> dict[str, str | int]:
    """otm identity fields of a Controller Data Read response."""
    fields: dict[str, str | int] = {}
    if data.model:
        fields["model"] = data.model
    if data.version:
        fields["firmware"] = data.version
    area = data.area
    if area is not None:
        fields["fins_program_area_size"] = area.program_area_size
        fields["fins_iom_size"] = area.iom_size
        fields["fins_dm_words"] = area.dm_words
        fields["fins_timer_counter_size"] = area.timer_counter_size
        fields["fins_expansion_dm_size"] = area.expansion_dm_size
        fields["fins_steps_transitions"] = area.steps_transitions
        fields["fins_memory_card"] = area.memory_card_name
        fields["fins_memory_card_size"] = area.memory_card_size
    if data.units is not None:
        fields["fins_pc_status"] = data.units.pc_status
    return fields


class FinsSensor:
    """Registers the FINS/UDP datagram handler and the FINS/TCP stream handler on 9600."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""
        nodes: set[tuple[str, str]] = set()

        def udp(key: FlowKey, ts: float, frame: int) -> FinsFlow:
            return FinsFlow(key, tally, labels, nodes, Transport.UDP)

        def tcp(key: FlowKey, ts: float, frame: int) -> FinsFlow:
            return FinsFlow(key, tally, labels, nodes, Transport.TCP)

        walker.register_udp(PORT, PROTOCOL, udp)
        walker.register_tcp(PORT, PROTOCOL, frame_length, tcp)


class FinsFlow:
    """One FINS/UDP conversation or FINS/TCP connection."""

    __slots__ = (
        "flipped",
        "flow",
        "key",
        "labels",
        "nodes",
        "ops",
        "oriented",
        "reverse",
        "rops",
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
        nodes: set[tuple[str, str]],
        transport: Transport,
    ) -> None:
        self.flow = key  # the walker's key, as it reports the flow
        self.key = key  # oriented client (manager / commander) -> server
        self.tally = tally
        self.labels = labels
        self.nodes = nodes
        self.transport = transport
        self.ops: dict[int, list[float]] = {}  # key -> [count, first, last, frame]
        self.rops: dict[int, list[float]] = {}  # the same, commands sent by the server side
        # [frames, bytes, first, last, first frame, 1 once a response travelled in it]
        self.reverse: list[float] = []
        self.shapes: set[tuple[int, int, int]] = set()
        self.valid = False
        self.oriented = transport is Transport.TCP  # TCP roles come from the handshake
        self.flipped = False

    # -- transport entry points ------------------------------------------------------

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One FINS/UDP datagram: one FINS frame (an empty datagram, a port
        probe, is nothing to count)."""
        if payload:
            self._frame(payload, 0, len(payload), from_client, frame, ts)

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One FINS/TCP message, as the framer delimited it."""
        if len(pdu) < TCP_HEADER_LENGTH:
            self._anomaly("truncated", from_client, frame, ts, f"{len(pdu)}-byte FINS/TCP message")
            return
        command = int.from_bytes(pdu[8:12], "big")
        if command == TcpCommand.FRAME_SEND:
            self._frame(pdu, TCP_HEADER_LENGTH, len(pdu), from_client, frame, ts)
            return
        decoded = codec.decode_tcp(pdu)
        if isinstance(decoded, Anomaly):
            self._anomaly(decoded.kind.value, from_client, frame, ts, decoded.detail)
            return
        self._confirm()
        if command == TcpCommand.NODE_ADDRESS_DATA_SEND_CLIENT and from_client:
            self._count(self.ops, _TCP_OP | command << 8, frame, ts)
        elif command == TcpCommand.FRAME_SEND_ERROR_NOTIFICATION or decoded.error_code:
            self._count(self.ops, _TCP_OP | command << 8 | decoded.error_code & 0xFF, frame, ts)

    # -- FINS frames ---------------------------------------------------------------------

    def _frame(
        self, buf: bytes, start: int, end: int, from_client: bool, frame: int, ts: float
    ) -> None:
        head = codec.peek(buf, start)
        if head is None:
            self._invalid(buf[start:end], from_client, frame, ts)
            return
        icf, code, end_code = head
        response = bool(icf & ICF_RESPONSE)
        if not self.oriented:
            self.oriented = True
            if response == from_client:
                # A response from the walker's client side: that side is the server.
                self.labels.reversed.add(self.flow)
                self.key = _swap(self.key)
                self.flipped = True
        if self.flipped:
            from_client = not from_client
        shape = (icf & ICF_RESPONSE, code, end - start)
        if (code == CONTROLLER_DATA_READ and response) or shape not in self.shapes:
            decoded = codec.decode_frame(buf[start:end])
            if isinstance(decoded, Anomaly):
                self._anomaly(decoded.kind.value, from_client, frame, ts, decoded.detail)
                return
            if len(self.shapes) < MAX_SHAPES:
                self.shapes.add(shape)
            if code == CONTROLLER_DATA_READ and response and is_normal(end_code):
                fields = controller_data_fields(codec.decode_controller_data(decoded.data))
                self._identity(fields, from_client, frame, ts, "fins controller_data_read response")
        self._confirm()
        k = self.key
        ip = k.client_ip if from_client else k.server_ip
        node = f"{buf[start + 6]}.{buf[start + 7]}"
        if (ip, node) not in self.nodes and len(self.nodes) < MAX_NODES:
            self.nodes.add((ip, node))
            self._identity({"fins_node": node}, from_client, frame, ts, "fins frame source address")
        against = response == from_client
        if against:
            self._reverse(len(buf), frame, ts, response)
        ops = self.rops if against else self.ops
        if not response:
            if code == MESSAGE_READ and end - start >= 14:
                code |= ((buf[start + 12] >> 6) + 1) * _SUB
            self._count(ops, code, frame, ts)
        elif end_code >= 0 and not is_normal(end_code):
            self._count(ops, _ERROR | end_code, frame, ts)

    def _confirm(self) -> None:
        if not self.valid:
            self.valid = True
            self.labels.protocol[self.flow] = PROTOCOL

    def _count(self, ops: dict[int, list[float]], key: int, frame: int, ts: float) -> None:
        entry = ops.get(key)
        if entry is None:
            ops[key] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    def _reverse(self, size: int, frame: int, ts: float, response: bool) -> None:
        r = self.reverse
        if not r:
            self.reverse = [1, size, ts, ts, frame, response]
            return
        r[0] += 1
        r[1] += size
        r[3] = ts
        if response:
            r[5] = 1

    def _identity(
        self, fields: dict[str, str | int], from_client: bool, frame: int, ts: float, message: str
    ) -> None:
        k = self.key
        ip, mac = (k.client_ip, k.client_mac) if from_client else (k.server_ip, k.server_mac)
        self.tally.identity(ip, mac, PROTOCOL, fields, ts, frame, message)

    def _invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        decoded = codec.decode_frame(data)
        if isinstance(decoded, Anomaly):
            self._anomaly(decoded.kind.value, from_client, frame, ts, decoded.detail)

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(PROTOCOL, kind, ip, ts, frame, detail)

    # -- stream events ---------------------------------------------------------------------

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        """Lost bytes: nothing to learn, the walker resynchronises."""

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Bytes that could not be framed (not FINS/TCP, or a message cut short)."""
        self._anomaly("unframed_bytes", from_client, frame, ts, f"{len(data)} bytes dropped")

    def on_close(self, ts: float) -> None:
        """Name and hand over the operation counts, and the reversed conversation."""
        k = self.key
        swapped = _swap(k)
        for ops, key in ((self.ops, k), (self.rops, swapped)):
            for code, entry in ops.items():
                name, category = _operation(code)
                self.tally.flow_operation(key, PROTOCOL, self.transport, name, category, entry)
            ops.clear()
        if self.reverse and self.valid:
            frames, size, first, last, first_frame, answered = self.reverse
            self.tally.communication(
                Communication(
                    first,
                    last,
                    swapped.client_ip,
                    swapped.server_ip,
                    swapped.client_mac,
                    swapped.server_mac,
                    PROTOCOL,
                    self.transport,
                    swapped.server_port,
                    int(frames),
                    int(size),
                    self.tally.evidence(int(first_frame), "first fins frame against the flow"),
                    bool(answered),
                )
            )
            self.reverse = []

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts and the reversed traffic so far, as deltas."""
        self.on_close(ts)


def _operation(key: int) -> tuple[str, str]:
    if key & _TCP_OP:
        command, error = (key >> 8) & 0xFF, key & 0xFF
        if command == TcpCommand.NODE_ADDRESS_DATA_SEND_CLIENT and not error:
            return "node_address_data_send", SESSION
        return f"tcp_error_{tcp_error_name(error)}", EXCEPTION
    if key & _ERROR:
        return f"error_{end_code_name(key & 0xFFFF)}", EXCEPTION
    sub = key >> 16
    code = key & 0xFFFF
    parameter = (sub - 1) << 14 if sub else None
    return command_name(code, parameter), command_category(code, parameter)


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
