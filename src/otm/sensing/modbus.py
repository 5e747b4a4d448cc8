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

Values written (``ValueWritten``, address ``u<unit>:co:<n>`` or
``u<unit>:hr:<n>``, ``n`` the 0-based PDU address), read from the request's
bytes in place and kept per flow in a dict keyed by (table, unit, address)
like the operation counts:

- 5 write single coil: 0 or 1 (0x0000 / 0xFF00; any other value is
  illegal, counted in ``values_skipped`` as ``bad_coil_value``);
- 6 write single register: the register, unsigned 16-bit;
- 15 write multiple coils: each coil, 0 or 1, at its own address;
- 16 write multiple registers: each register at its own address;
- 22 mask write register: the result is ``(current AND and_mask) OR
  (or_mask AND NOT and_mask)``, which depends on the register's current
  value, unseen on the wire; only an AND mask of 0 sets the whole register
  (to the OR mask), so only then is a value recorded; other masks are
  counted as ``mask_write_partial`` (the write is still an ``Operation``);
- 23 read/write multiple registers: the registers of the write part.

A flow keeps at most ``MAX_WRITE_ADDRESSES`` addresses; writes to more are
counted as ``too_many_addresses``.  A write request whose quantity and byte
count disagree with its length (its shape was validated on an earlier ADU of
the same length) records nothing and counts as ``inconsistent_write``.

Modbus RTU over TCP: some gateways carry serial RTU frames (address, PDU,
CRC) on port 502 instead of MBAP ADUs.  The port's framer
(``otm.protocols.modbus.rtu.frame_length_tcp``) cuts CRC-valid RTU frames
when the bytes are not one plain MBAP ADU; a flow whose frames are RTU is
labelled ``modbus-rtu`` and counted with the same operation names, the RTU
address standing for the unit id.  A flow's PDUs are tried as RTU frames
(CRC) until it carries one valid Modbus/TCP ADU, and all along once it
carried RTU: the classic RTU request ``01 03 00 00 00 02`` + CRC is also a
well-formed MBAP ADU (length 2, "function" 11), so the first PDUs must be
checked both ways.  On an established Modbus/TCP flow nothing changes but
two attribute reads per ADU (``on_pdu`` measured 260-370 ns an ADU with
and without them, within the noise).  RTU frames are decoded whole (CRC
and PDU) every time: RTU gateways carry little traffic.
"""

from __future__ import annotations

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import Anomaly
from otm.protocols.modbus import codec, rtu
from otm.protocols.modbus.constants import (
    EXCEPTION_NAMES,
    operation_category,
    operation_name,
)
from otm.protocols.modbus.messages import (
    Diagnostics,
    EncapsulatedInterfaceTransport,
    ExceptionResponse,
    Pdu,
    ReadDeviceIdentificationRequest,
    ReadDeviceIdentificationResponse,
    ReportServerIdResponse,
    UmasRequest,
)
from otm.sensing.aggregate import Tally, note_value
from otm.sensing.labels import FlowLabels

PROTOCOL = "modbus"
RTU_PROTOCOL = "modbus-rtu"
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

_EXCEPTION_BIT = 1 << 40
_RTU_BIT = 1 << 41
"""Operation key bits: an exception response; an RTU frame (``modbus-rtu``)."""

MAX_WRITE_ADDRESSES = 4096
"""Addresses whose written values a flow keeps; an HMI writes a few hundred
setpoints over a connection, a sweep of writes more (counted, not kept)."""

_WRITE_CODES = frozenset({5, 6, 15, 16, 22, 23})
"""Function codes whose requests carry values written."""

_REGISTER = 1 << 32
"""Value key bit: a holding register (coil without it); the unit is bits 16-23,
the address bits 0-15, and ``_RTU_BIT`` marks an RTU frame."""


class ModbusSensor:
    """Registers the Modbus/TCP stream handler on port 502."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""

        def factory(key: FlowKey, ts: float, frame: int) -> ModbusStream:
            return ModbusStream(key, tally, labels)

        walker.register_tcp(PORT, PROTOCOL, rtu.frame_length_tcp, factory)


class ModbusStream:
    """One Modbus/TCP connection."""

    __slots__ = (
        "key",
        "labels",
        "ops",
        "rtu",
        "rtu_units",
        "shapes",
        "tally",
        "units",
        "valid",
        "values",
    )

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.ops: dict[int, list[float]] = {}  # code -> [count, first, last, frame]
        self.shapes: set[tuple[bool, int, int]] = set()
        self.units: set[int] = set()
        self.valid = False
        self.rtu = False  # the flow carried RTU frames
        self.rtu_units: set[int] = set()
        # value key -> [count, first, last, frame, minimum, maximum, last value, function code]
        self.values: dict[int, list[float]] = {}

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One whole Modbus ADU (or, from an RTU gateway, one or more RTU frames)."""
        if (self.rtu or not self.valid) and self._try_rtu(pdu, from_client, frame, ts):
            return
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
            if fc in _WRITE_CODES:
                self._writes(pdu, 7, len(pdu), pdu[6] << 16, frame, ts)
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
        self._identity_pdu(decoded.pdu, frame, ts, PROTOCOL)

    def _identity_pdu(self, msg: Pdu, frame: int, ts: float, protocol: str) -> None:
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
        self._identity(fields, frame, ts, message, protocol)

    def _identity(
        self,
        fields: dict[str, str | int],
        frame: int,
        ts: float,
        message: str,
        protocol: str = PROTOCOL,
    ) -> None:
        k = self.key
        self.tally.identity(k.server_ip, k.server_mac, protocol, fields, ts, frame, message)

    # -- Modbus RTU over TCP -------------------------------------------------------------

    def _try_rtu(self, data: bytes, from_client: bool, frame: int, ts: float) -> bool:
        """Handle ``data`` as RTU frames if it is a run of CRC-valid ones."""
        frames = rtu.split_frames(data)
        if frames is None:
            return False
        for one in frames:
            self._rtu_frame(one, from_client, frame, ts)
        return True

    def _rtu_frame(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        decoded = rtu.decode_rtu_request(data) if from_client else rtu.decode_rtu_response(data)
        if isinstance(decoded, Anomaly):
            ip = self.key.client_ip if from_client else self.key.server_ip
            self.tally.anomaly(RTU_PROTOCOL, decoded.kind.value, ip, ts, frame, decoded.detail)
            return
        if not self.rtu:
            self.rtu = True
            self.labels.protocol[self.key] = RTU_PROTOCOL
        unit, msg = decoded.address, decoded.pdu
        if from_client:
            code = _RTU_BIT | (unit << 8) | msg.function_code
            if msg.function_code in _SUB_CODED:
                sub = _sub_code(msg)
                code |= ((sub if sub is not None else 0xFFFF) + 1) << 16
            self._count(code, frame, ts)
            if msg.function_code in _WRITE_CODES:
                self._writes(data, 1, len(data) - 2, _RTU_BIT | (unit << 16), frame, ts)
            return
        if unit not in self.rtu_units:
            self.rtu_units.add(unit)
            self._identity(
                {"modbus_unit_id": unit}, frame, ts, "modbus-rtu response address", RTU_PROTOCOL
            )
        if isinstance(msg, ExceptionResponse):
            self._count(_RTU_BIT | _EXCEPTION_BIT | (unit << 8) | msg.exception_code, frame, ts)
        else:
            self._identity_pdu(msg, frame, ts, RTU_PROTOCOL)

    def _count(self, code: int, frame: int, ts: float) -> None:
        entry = self.ops.get(code)
        if entry is None:
            self.ops[code] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    # -- values written -------------------------------------------------------------

    def _writes(self, buf: bytes, at: int, end: int, unit: int, frame: int, ts: float) -> None:
        """The values of the write request whose PDU is ``buf[at:end]`` (function
        code first; ``unit``: the unit and RTU bits of the value keys)."""
        fc = buf[at]
        size = end - at
        if fc in (5, 6):
            if size != 5:
                self._skip(unit, "inconsistent_write")
                return
            address = (buf[at + 1] << 8) | buf[at + 2]
            value = (buf[at + 3] << 8) | buf[at + 4]
            if fc == 6:
                self._value(_REGISTER | unit | address, value, fc, frame, ts)
            elif value in (0, 0xFF00):
                self._value(unit | address, 1 if value else 0, fc, frame, ts)
            else:
                self._skip(unit, "bad_coil_value")
            return
        if fc == 22:
            if size != 7:
                self._skip(unit, "inconsistent_write")
                return
            if buf[at + 3] or buf[at + 4]:
                self._skip(unit, "mask_write_partial")
                return
            address = (buf[at + 1] << 8) | buf[at + 2]
            value = (buf[at + 5] << 8) | buf[at + 6]
            self._value(_REGISTER | unit | address, value, fc, frame, ts)
            return
        if fc == 23:
            head, count_at = at + 4, at + 9  # the write part follows the read part
        else:
            head, count_at = at, at + 5
        if size < count_at - at + 1:
            self._skip(unit, "inconsistent_write")
            return
        start = (buf[head + 1] << 8) | buf[head + 2]
        quantity = (buf[head + 3] << 8) | buf[head + 4]
        count = buf[count_at]
        data = count_at + 1
        needed = (quantity + 7) >> 3 if fc == 15 else 2 * quantity
        if count != needed or end - data != count or start + quantity > 0x10000:
            self._skip(unit, "inconsistent_write")
            return
        if fc == 15:
            for i in range(quantity):
                bit = (buf[data + (i >> 3)] >> (i & 7)) & 1
                self._value(unit | (start + i), bit, fc, frame, ts)
        else:
            for i in range(quantity):
                at_i = data + 2 * i
                value = (buf[at_i] << 8) | buf[at_i + 1]
                self._value(_REGISTER | unit | (start + i), value, fc, frame, ts)

    def _value(self, code: int, value: int, fc: int, frame: int, ts: float) -> None:
        if not note_value(self.values, code, value, frame, ts, MAX_WRITE_ADDRESSES, fc):
            self._skip(code, "too_many_addresses")

    def _skip(self, code: int, reason: str) -> None:
        self.tally.value_skipped(RTU_PROTOCOL if code & _RTU_BIT else PROTOCOL, reason)

    def _hand_over_values(self) -> None:
        for code, entry in self.values.items():
            protocol = RTU_PROTOCOL if code & _RTU_BIT else PROTOCOL
            table = "hr" if code & _REGISTER else "co"
            address = f"u{(code >> 16) & 0xFF}:{table}:{code & 0xFFFF}"
            message = f"{protocol} {operation_name(int(entry[7]), None)} request"
            bits = 16 if code & _REGISTER else 1
            self.tally.flow_value(
                self.key, protocol, Transport.TCP, address, bits, entry[:7], message
            )
        self.values.clear()

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
            protocol = RTU_PROTOCOL if code & _RTU_BIT else PROTOCOL
            if code & _EXCEPTION_BIT:
                name = "exception_" + EXCEPTION_NAMES.get(code & 0xFF, f"0x{code & 0xFF:02x}")
                category = "exception"
            else:
                fc = code & 0xFF
                sub_plus = (code >> 16) & 0x1FFFF
                sub = sub_plus - 1 if sub_plus and sub_plus != 0x10000 else None
                name, category = operation_name(fc, sub), operation_category(fc, sub)
            self.tally.flow_operation(
                self.key, protocol, Transport.TCP, name, category, entry, (("unit_id", unit),)
            )
        self.ops.clear()
        if self.values:
            self._hand_over_values()

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts so far (the connection goes on)."""
        self.on_close(ts)


def _sub_code(msg: Pdu) -> int | None:
    """The code refining a decoded request's operation (as ``codec.peek_sub_code``
    reads it from an ADU): diagnostic sub-function, MEI type, UMAS function."""
    if isinstance(msg, Diagnostics):
        return msg.sub_function
    if isinstance(msg, ReadDeviceIdentificationRequest):
        return 0x0E
    if isinstance(msg, EncapsulatedInterfaceTransport):
        return msg.mei_type
    if isinstance(msg, UmasRequest):
        return msg.umas_function
    return None
