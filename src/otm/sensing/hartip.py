"""HART-IP traffic (TCP and UDP 5094) -> observations.

The host (the side that opened the connection, or that sent to port 5094 over
UDP) is the client; the HART-IP server (a device, a multiplexer or an I/O
system) is the server.  Per flow, in a small dict keyed by integers:

- every request counts as an operation: session initiate/close and keep
  alive (``session``), read audit log (``diagnostic``), and for token-passing
  and direct PDUs each HART command by its name (``read_unique_identifier``,
  ``write_long_tag``, ``perform_device_reset`` ... ``command_<n>``) and
  category;
- error and NAK messages from the server count in the ``exception`` category
  (``error_session_initiate``, ``nak_token_passing_pdu`` ...).

A message is fully decoded only when its shape — (direction, message type,
message id, HART command, length) — is new on the flow, and always when it is
a reply that teaches identity:

- command 0 (also 11 and 21): ``vendor_id`` (manufacturer id), ``device_type``
  (expanded device type), ``firmware`` (software revision), ``hardware``
  (hardware revision), ``serial`` (device id, decimal), ``hart_device_revision``,
  ``hart_universal_revision``, ``hart_long_address``;
- command 20: ``name`` (the long tag);
- command 13: ``hart_tag`` and ``hart_descriptor``.

Only replies without a communication error or error response code teach
identity, and they describe the server's IP address (a multiplexer's
sub-devices are not split into components, see the codec README).
"""

from __future__ import annotations

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import Anomaly
from otm.protocols.hartip import codec, replies
from otm.protocols.hartip.constants import (
    IDENTITY_COMMANDS,
    LONG_TAG_COMMANDS,
    MESSAGE_CATEGORIES,
    PORT,
    TAG_COMMANDS,
    MessageId,
    MessageType,
    command_category,
    command_name,
    message_name,
)
from otm.protocols.hartip.framing import frame_length
from otm.protocols.hartip.messages import DirectPdu, HartIpMessage, HartPdu
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

PROTOCOL = "hart-ip"

MAX_SHAPES = 256
"""Distinct message shapes validated per flow; a host polls a few dozen."""

EXCEPTION = "exception"
"""Category of error answers, as the Modbus sensor names exception responses."""

_TEACHING = IDENTITY_COMMANDS | LONG_TAG_COMMANDS | TAG_COMMANDS
"""Commands whose successful reply teaches identity."""

_KIND_MESSAGE = 0
_KIND_COMMAND = 1
_KIND_ERROR = 2
_TOKEN = MessageId.TOKEN_PASSING_PDU
_DIRECT = MessageId.DIRECT_PDU


class HartIpSensor:
    """Registers HART-IP on TCP and UDP port 5094."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""

        def tcp(key: FlowKey, ts: float, frame: int) -> HartIpStream:
            return HartIpStream(key, tally, labels, Transport.TCP)

        def udp(key: FlowKey, ts: float, frame: int) -> HartIpStream:
            return HartIpStream(key, tally, labels, Transport.UDP)

        walker.register_tcp(PORT, PROTOCOL, frame_length, tcp)
        walker.register_udp(PORT, PROTOCOL, udp)


def _ok(response_code: int | None) -> bool:
    """A reply whose data is the command's reply: no communication error (bit 7)
    and not one of the error codes that come without data (checked by length)."""
    return response_code is not None and not response_code & 0x80


class HartIpStream:
    """One HART-IP TCP connection or UDP conversation."""

    __slots__ = ("key", "labels", "ops", "shapes", "tally", "transport", "valid")

    def __init__(
        self, key: FlowKey, tally: Tally, labels: FlowLabels, transport: Transport
    ) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.transport = transport
        self.ops: dict[int, list[float]] = {}  # kind << 24 | code -> [count, first, last, frame]
        self.shapes: set[tuple[bool, int, int, int, int]] = set()
        self.valid = False

    # -- input ------------------------------------------------------------------------------

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One whole HART-IP message from the TCP stream."""
        self._message(pdu, from_client, frame, ts)

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One UDP payload: one message, rarely several."""
        for message in codec.split_datagram(payload):
            self._message(message, from_client, frame, ts)

    def _message(self, msg: bytes, from_client: bool, frame: int, ts: float) -> None:
        size = len(msg)
        if size < 8:
            self._anomaly("truncated", from_client, frame, ts, f"{size}-octet message")
            return
        message_type, message_id = msg[1], msg[2]
        command = -1
        if message_id == _TOKEN and size > 8:
            peeked = codec.peek_command(msg[8:])
            command = -1 if peeked is None else peeked
        shape = (from_client, message_type, message_id, command, size)
        teaches = (
            not from_client
            and message_type == MessageType.RESPONSE
            and (message_id == _DIRECT or command in _TEACHING)
        )
        decoded: HartIpMessage | None = None
        if teaches or shape not in self.shapes or (from_client and message_id == _DIRECT):
            result = codec.decode_message(msg)
            if isinstance(result, Anomaly):
                self._anomaly(result.kind.value, from_client, frame, ts, result.detail)
                return
            decoded = result
            if len(self.shapes) < MAX_SHAPES:
                self.shapes.add(shape)
        if not self.valid:
            self.valid = True
            self.labels.protocol[self.key] = PROTOCOL
        if from_client and message_type == MessageType.REQUEST:
            self._request(message_id, command, decoded, frame, ts)
        elif not from_client and message_type in (MessageType.ERROR, MessageType.NAK):
            self._count((_KIND_ERROR << 24) | (message_type << 8) | message_id, frame, ts)
        elif teaches and decoded is not None:
            self._identity(decoded, frame, ts)

    def _request(
        self, message_id: int, command: int, decoded: HartIpMessage | None, frame: int, ts: float
    ) -> None:
        if message_id == _TOKEN and command >= 0:
            self._count((_KIND_COMMAND << 24) | command, frame, ts)
        elif message_id == _DIRECT and decoded is not None and isinstance(decoded.body, DirectPdu):
            for c in decoded.body.commands:
                self._count((_KIND_COMMAND << 24) | c.command, frame, ts)
        else:
            self._count((_KIND_MESSAGE << 24) | message_id, frame, ts)

    def _count(self, key: int, frame: int, ts: float) -> None:
        entry = self.ops.get(key)
        if entry is None:
            self.ops[key] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    # -- identity ----------------------------------------------------------------------------

    def _identity(self, message: HartIpMessage, frame: int, ts: float) -> None:
        body = message.body
        if isinstance(body, HartPdu):
            if body.is_reply and _ok(body.response_code):
                self._reply(body.command_number, body.command_data, frame, ts)
        elif isinstance(body, DirectPdu):
            for c in body.commands:
                if _ok(c.response_code):
                    self._reply(c.command, c.data, frame, ts)

    def _reply(self, command: int, data: bytes, frame: int, ts: float) -> None:
        fields: dict[str, str | int] = {}
        if command in IDENTITY_COMMANDS:
            ident = replies.decode_unique_identifier(data)
            if isinstance(ident, Anomaly):
                return
            fields = {
                "vendor_id": ident.manufacturer_id,
                "device_type": ident.device_type,
                "firmware": str(ident.software_revision),
                "hardware": str(ident.hardware_revision),
                "serial": str(ident.device_id),
                "hart_device_revision": ident.device_revision,
                "hart_universal_revision": ident.universal_revision,
                "hart_long_address": ident.long_address,
            }
        elif command in LONG_TAG_COMMANDS:
            tag = replies.decode_long_tag(data)
            if isinstance(tag, Anomaly):
                return
            fields = {"name": tag.strip()}
        elif command in TAG_COMMANDS:
            record = replies.decode_tag_descriptor_date(data)
            if isinstance(record, Anomaly):
                return
            fields = {"hart_tag": record.tag.strip(), "hart_descriptor": record.descriptor.strip()}
        if fields:
            k = self.key
            self.tally.identity(
                k.server_ip,
                k.server_mac,
                PROTOCOL,
                fields,
                ts,
                frame,
                f"hart-ip {command_name(command)} reply",
            )

    # -- events ------------------------------------------------------------------------------

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(PROTOCOL, kind, ip, ts, frame, detail)

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        """Lost bytes: nothing to learn, the walker resynchronises."""

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Bytes that could not be framed (not this protocol, or a message cut short)."""
        self._anomaly("unframed_bytes", from_client, frame, ts, f"{len(data)} octets dropped")

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts so far (the flow goes on)."""
        self.on_close(ts)

    def on_close(self, ts: float) -> None:
        """Name and hand over the operation counts."""
        for key, entry in self.ops.items():
            kind, code = key >> 24, key & 0xFFFFFF
            if kind == _KIND_COMMAND:
                name, category = command_name(code), command_category(code)
            elif kind == _KIND_ERROR:
                prefix = "nak" if code >> 8 == MessageType.NAK else "error"
                name, category = f"{prefix}_{message_name(code & 0xFF)}", EXCEPTION
            else:
                name, category = message_name(code), MESSAGE_CATEGORIES.get(code, "other")
            self.tally.flow_operation(self.key, PROTOCOL, self.transport, name, category, entry)
        self.ops.clear()
