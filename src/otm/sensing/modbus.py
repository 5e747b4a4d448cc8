"""Modbus/TCP traffic -> observations.

Per connection (TCP 502): each request counts as an operation keyed by
(unit id, function code[, sub-code]) in a small dict; names and categories
are resolved once, when the flow closes.  A PDU is fully decoded only when
its shape — (direction, function code, length) — is new on the flow: the
steady polling of a SCADA system repeats a handful of shapes, so this
validates every kind of message once per flow and catches malformed ones
without paying a decode per packet.  Responses teach identity:

- every server response: the unit ids the server answers for
  (``modbus_unit_id``);
- Read Device Identification (43/14): vendor_name -> ``vendor``,
  product_code, major_minor_revision -> ``firmware``, vendor_url,
  product_name, model_name -> ``model``, user_application_name -> ``name``;
- Report Server ID (17): ``server_id`` text and ``run_indicator``.

Exception responses count as operations named ``exception_<name>`` in the
``exception`` category on the same link, so an exception storm is visible.
"""

from __future__ import annotations

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import Anomaly
from otm.protocols.modbus import codec
from otm.protocols.modbus.constants import (
    EXCEPTION_NAMES,
    operation_category,
    operation_name,
)
from otm.protocols.modbus.framing import frame_length
from otm.protocols.modbus.messages import ReadDeviceIdentificationResponse, ReportServerIdResponse
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

PROTOCOL = "modbus"
PORT = 502

MAX_SHAPES = 256
"""Distinct message shapes validated per flow; a real poller uses a few dozen."""

DEVICE_ID_FIELDS = {
    "vendor_name": "vendor",
    "product_code": "product_code",
    "major_minor_revision": "firmware",
    "vendor_url": "vendor_url",
    "product_name": "product_name",
    "model_name": "model",
    "user_application_name": "name",
}
"""Read Device Identification object -> otm identity field."""

_SUB_CODED = frozenset({8, 43, 90})
"""Function codes whose operation depends on a sub-code in the request."""


class ModbusSensor:
    """Registers the Modbus/TCP stream handler on port 502."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""

        def factory(key: FlowKey, ts: float, frame: int) -> ModbusStream:
            return ModbusStream(key, tally, labels)

        walker.register_tcp(PORT, PROTOCOL, frame_length, factory)


class ModbusStream:
    """One Modbus/TCP connection."""

    __slots__ = ("key", "labels", "ops", "shapes", "tally", "units", "valid")

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.ops: dict[int, list[float]] = {}  # code -> [count, first, last, frame]
        self.shapes: set[tuple[bool, int, int]] = set()
        self.units: set[int] = set()
        self.valid = False

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One whole Modbus ADU."""
        if len(pdu) < 8:
            self._anomaly("truncated", from_client, frame, ts, f"{len(pdu)}-byte ADU")
            return
        fc = pdu[7]
        shape = (from_client, fc, len(pdu))
        if shape not in self.shapes and not self._validate(pdu, from_client, frame, ts, shape):
            return
        if not self.valid:
            self.valid = True
            self.labels.protocol[self.key] = PROTOCOL
        if from_client:
            code = (pdu[6] << 8) | fc
            if fc in _SUB_CODED:
                sub = codec.peek_sub_code(pdu)
                code |= ((sub if sub is not None else 0xFFFF) + 1) << 16
            entry = self.ops.get(code)
            if entry is None:
                self.ops[code] = [1, ts, ts, frame]
            else:
                entry[0] += 1
                entry[2] = ts
            return
        unit = pdu[6]
        if unit not in self.units:
            self.units.add(unit)
            self._identity({"modbus_unit_id": unit}, frame, ts, "modbus response unit id")
        if fc & 0x80:
            code = (1 << 40) | (unit << 8) | (pdu[8] if len(pdu) > 8 else 0)
            entry = self.ops.get(code)
            if entry is None:
                self.ops[code] = [1, ts, ts, frame]
            else:
                entry[0] += 1
                entry[2] = ts
        elif fc in (17, 43):
            self._identity_response(pdu, frame, ts)

    def _validate(
        self, pdu: bytes, from_client: bool, frame: int, ts: float, shape: tuple[bool, int, int]
    ) -> bool:
        decoded = codec.decode_request(pdu) if from_client else codec.decode_response(pdu)
        if isinstance(decoded, Anomaly):
            self._anomaly(decoded.kind.value, from_client, frame, ts, decoded.detail)
            return False
        if len(self.shapes) < MAX_SHAPES and shape[1] not in (17, 43):
            self.shapes.add(shape)
        return True

    def _identity_response(self, pdu: bytes, frame: int, ts: float) -> None:
        decoded = codec.decode_response(pdu)
        if isinstance(decoded, Anomaly):
            return
        msg = decoded.pdu
        fields: dict[str, str | int] = {}
        if isinstance(msg, ReadDeviceIdentificationResponse):
            for name, text in msg.named_texts().items():
                fields[DEVICE_ID_FIELDS.get(name, f"modbus_{name}")] = text.strip()
            message = "modbus read_device_identification response"
        elif isinstance(msg, ReportServerIdResponse):
            if msg.text:
                fields["server_id"] = msg.text
            if msg.run_indicator is not None:
                fields["run_indicator"] = "on" if msg.run_indicator else "off"
            message = "modbus report_server_id response"
        else:
            return
        self._identity(fields, frame, ts, message)

    def _identity(self, fields: dict[str, str | int], frame: int, ts: float, message: str) -> None:
        k = self.key
        self.tally.identity(k.server_ip, k.server_mac, PROTOCOL, fields, ts, frame, message)

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(PROTOCOL, kind, ip, ts, frame, detail)

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        """Lost bytes: nothing to learn, the walker resynchronises."""

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Bytes that could not be framed (not this protocol, or a PDU cut short)."""
        self._anomaly("unframed_bytes", from_client, frame, ts, f"{len(data)} bytes dropped")

    def on_close(self, ts: float) -> None:
        """Name and hand over the operation counts."""
        for code, entry in self.ops.items():
            unit = (code >> 8) & 0xFF
            if code >> 40:
                name = "exception_" + EXCEPTION_NAMES.get(code & 0xFF, f"0x{code & 0xFF:02x}")
                category = "exception"
            else:
                fc = code & 0xFF
                sub_plus = (code >> 16) & 0x1FFFF
                sub = sub_plus - 1 if sub_plus and sub_plus != 0x10000 else None
                name, category = operation_name(fc, sub), operation_category(fc, sub)
            self.tally.flow_operation(
                self.key, PROTOCOL, Transport.TCP, name, category, entry, (("unit_id", unit),)
            )
        self.ops.clear()
