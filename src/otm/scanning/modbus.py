"""Modbus/TCP identity probe: Read Device Identification and Report Server ID, per unit id.

On TCP 502, for each unit id of the sweep (0, 1 and 255 by default; every
unit 1-247 too with ``unit_sweep=True``, for gateways with serial devices
behind them), the probe asks (Modbus Application Protocol V1.1b3):

- function 43 / MEI 14 Read Device Identification, *basic* stream (read
  device id code 1) from object 0, following the object stream while the
  answer says "more follows" (next object id), then *regular* (2) and
  *extended* (3) when the device's conformity level offers them (6.21);
- function 17 Report Server ID (6.13), which nmap's ``modbus-discover`` also
  reads.

Both are ``identify`` in otm's Modbus codec; nothing else can be built.  The
first unit id that answers describes the device itself; another unit whose
basic identity differs is a device behind a gateway and becomes the component
``unit N``; units that answer the same only add ``modbus_unit_id`` values.
Field names are those of the passive sensor, so passive and active facts merge:
``vendor``, ``product_code``, ``firmware`` (MajorMinorRevision), ``vendor_url``,
``product_name``, ``model``, ``name`` (UserApplicationName), ``modbus_<object>``
for reserved and private objects, ``server_id``, ``run_indicator``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from otm.observations.records import Identity, Observation
from otm.protocols.common import IDENTIFY, Anomaly
from otm.protocols.modbus import (
    decode_request,
    decode_response,
    encode_adu,
    frame_length,
    request_operation,
)
from otm.protocols.modbus.messages import (
    Adu,
    ExceptionResponse,
    NoDataRequest,
    ReadDeviceIdentificationRequest,
    ReadDeviceIdentificationResponse,
    ReportServerIdResponse,
)
from otm.scanning.limits import Limits
from otm.scanning.probe import (
    PlannedRequest,
    Target,
    TransportKind,
    clean_fields,
    evidence,
    planned,
)
from otm.scanning.safety import Request, classifier, read_only, request
from otm.scanning.transport import Connection, ScanError, Transport

PROTOCOL = "modbus"
PORT = 502

DEFAULT_UNITS = (0, 1, 255)
"""Unit ids a plain Modbus/TCP device answers on: 0 and 255 by convention, 1 by habit."""

SWEEP_UNITS = (0, *range(1, 248), 255)
"""Every unicast serial address (1-247, spec 2.1 of the serial line guide) plus 0 and 255."""

MAX_CONTINUATIONS = 16
"""Requests following one object stream: an answer carries at least one of at
most 256 objects, and real devices need 1-3; 16 stops a device that loops."""

DEVICE_ID_FIELDS = {
    "vendor_name": "vendor",
    "product_code": "product_code",
    "major_minor_revision": "firmware",
    "vendor_url": "vendor_url",
    "product_name": "product_name",
    "model_name": "model",
    "user_application_name": "name",
}
"""Read Device Identification object -> otm identity field (as ``otm.sensing.modbus``)."""

RDI_MESSAGE = "modbus read_device_identification response"
SID_MESSAGE = "modbus report_server_id response"

CONFORMITY = {1: "basic", 2: "regular", 3: "extended"}
"""Conformity level (low 7 bits) -> name; bit 7 says individual access is supported too."""


# -- the catalog ------------------------------------------------------------------------


@read_only(
    PROTOCOL,
    "read_device_identification",
    IDENTIFY,
    examples=(
        {"transaction_id": 1, "unit_id": 0, "read_code": 1, "object_id": 0},
        {"transaction_id": 2, "unit_id": 255, "read_code": 3, "object_id": 0x80},
    ),
)
def build_read_device_identification(
    *, transaction_id: int, unit_id: int, read_code: int, object_id: int
) -> bytes:
    """Function 43 / MEI 14: ``read_code`` 1 basic, 2 regular, 3 extended, 4 one object."""
    if read_code not in (1, 2, 3, 4):
        raise ValueError(f"read device id code {read_code} (1-4)")
    pdu = ReadDeviceIdentificationRequest(read_code, object_id)
    return encode_adu(Adu(transaction_id, unit_id, pdu))


@read_only(PROTOCOL, "report_server_id", IDENTIFY, examples=({"transaction_id": 1, "unit_id": 1},))
def build_report_server_id(*, transaction_id: int, unit_id: int) -> bytes:
    """Function 17, which carries no data."""
    return encode_adu(Adu(transaction_id, unit_id, NoDataRequest(17)))


@classifier(PROTOCOL)
def classify(payload: bytes) -> tuple[str, str] | None:
    """``(operation, category)`` of one whole request ADU, as otm's Modbus codec reads it."""
    if frame_length(payload, 0) != len(payload):
        return None
    if isinstance(decode_request(payload), Anomaly):
        return None
    return request_operation(payload)


# -- the probe --------------------------------------------------------------------------------


@dataclass
class _Unit:
    """What one unit id answered."""

    unit_id: int
    objects: dict[str, str] = field(default_factory=dict)
    conformity: int | None = None
    server_id: dict[str, str | int] = field(default_factory=dict)

    @property
    def basic(self) -> tuple[str, ...]:
        return tuple(self.objects.get(k, "") for k in ("vendor_name", "product_code"))

    def fields(self) -> dict[str, str | int]:
        """Identity fields of the Read Device Identification objects."""
        out: dict[str, str | int] = {}
        for name, text in self.objects.items():
            out[DEVICE_ID_FIELDS.get(name, f"modbus_{name}")] = text.strip()
        if self.conformity is not None and self.objects:
            level = CONFORMITY.get(self.conformity & 0x7F)
            if level:
                out["modbus_conformity_level"] = level
        return clean_fields(out)


class ModbusProbe:
    """Read Device Identification and Report Server ID on TCP 502 or the port given (see above)."""

    protocol = PROTOCOL
    port = PORT
    transport: TransportKind = "tcp"
    broadcast = False

    def __init__(self, units: tuple[int, ...] = DEFAULT_UNITS, port: int = PORT) -> None:
        for unit in units:
            if not 0 <= unit <= 255:
                raise ValueError(f"unit id {unit} (0-255)")
        self.units = units
        self.port = port

    def plan(self, target: Target) -> list[PlannedRequest]:
        if target.kind != "host":
            return []
        out: list[PlannedRequest] = []
        for n, unit in enumerate(self.units, start=1):
            rdi = request(
                PROTOCOL,
                "read_device_identification",
                transaction_id=n,
                unit_id=unit,
                read_code=1,
                object_id=0,
            )
            out += planned(PROTOCOL, target, self.port, "tcp", [rdi], f"unit {unit}, basic objects")
            later = [
                request(
                    PROTOCOL,
                    "read_device_identification",
                    transaction_id=n,
                    unit_id=unit,
                    read_code=code,
                    object_id=0,
                )
                for code in (2, 3)
            ]
            note = (
                f"unit {unit}, regular then extended objects, when the conformity level "
                "offers them; each stream continues from the next object id while more follows"
            )
            out += planned(PROTOCOL, target, self.port, "tcp", later, note)
            sid = request(PROTOCOL, "report_server_id", transaction_id=n, unit_id=unit)
            out += planned(PROTOCOL, target, self.port, "tcp", [sid], f"unit {unit}")
        return out

    async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]:
        if target.kind != "host":
            return []
        units: list[_Unit] = []
        tids = itertools.count(1)
        conn: Connection | None = None
        try:
            for unit_id in self.units:
                if conn is None:
                    conn = await io.connect(target.address, self.port, limits.timeout)
                unit = _Unit(unit_id)
                try:
                    await self._identify(conn, unit, units, tids, limits)
                except ScanError:
                    # A silent or confused unit: start the next one on a fresh connection
                    # so a late answer cannot be taken for the next unit's.
                    await conn.close()
                    conn = None
                if unit.objects or unit.server_id:
                    units.append(unit)
        except ScanError:
            pass
        finally:
            if conn is not None:
                await conn.close()
        return self._observations(target, units, limits)

    async def _identify(
        self,
        conn: Connection,
        unit: _Unit,
        known: list[_Unit],
        tids: Iterator[int],
        limits: Limits,
    ) -> None:
        top = await self._stream(conn, unit, 1, tids, limits)
        same = any(k.basic == unit.basic for k in known) and bool(unit.objects)
        if not same and top is not None:
            level = top & 0x7F
            for code in (2, 3):
                if level >= code:
                    await self._stream(conn, unit, code, tids, limits)
        if not same:
            await self._server_id(conn, unit, tids, limits)

    async def _exchange(
        self, conn: Connection, req: Request, unit_id: int, tid: int, limits: Limits
    ) -> Adu | None:
        answer = await conn.exchange(req, frame_length, limits.timeout)
        decoded = decode_response(answer)
        if isinstance(decoded, Anomaly):
            return None
        if decoded.transaction_id != tid or decoded.unit_id != unit_id:
            raise _DesyncError(f"answer for transaction {decoded.transaction_id}, not {tid}")
        return decoded

    async def _stream(
        self, conn: Connection, unit: _Unit, code: int, tids: Iterator[int], limits: Limits
    ) -> int | None:
        """Read one object stream; the conformity level of the first answer, or None."""
        object_id = 0
        seen: set[int] = set()
        conformity: int | None = None
        for _ in range(MAX_CONTINUATIONS):
            tid = next(tids) & 0xFFFF
            req = request(
                PROTOCOL,
                "read_device_identification",
                transaction_id=tid,
                unit_id=unit.unit_id,
                read_code=code,
                object_id=object_id,
            )
            adu = await self._exchange(conn, req, unit.unit_id, tid, limits)
            if adu is None or not isinstance(adu.pdu, ReadDeviceIdentificationResponse):
                return conformity  # an exception (illegal function ...) or garbage
            pdu = adu.pdu
            if conformity is None:
                conformity = pdu.conformity_level
                unit.conformity = conformity
            for obj in pdu.objects:
                unit.objects.setdefault(obj.name, obj.text)
            seen.add(object_id)
            if pdu.more_follows != 0xFF or pdu.next_object_id in seen:
                return conformity
            object_id = pdu.next_object_id
        return conformity

    async def _server_id(
        self, conn: Connection, unit: _Unit, tids: Iterator[int], limits: Limits
    ) -> None:
        tid = next(tids) & 0xFFFF
        req = request(PROTOCOL, "report_server_id", transaction_id=tid, unit_id=unit.unit_id)
        adu = await self._exchange(conn, req, unit.unit_id, tid, limits)
        if adu is None or isinstance(adu.pdu, ExceptionResponse):
            return
        pdu = adu.pdu
        if isinstance(pdu, ReportServerIdResponse):
            if pdu.text:
                unit.server_id["server_id"] = pdu.text
            if pdu.run_indicator is not None:
                unit.server_id["run_indicator"] = "on" if pdu.run_indicator else "off"

    def _observations(
        self, target: Target, units: list[_Unit], limits: Limits
    ) -> list[Observation]:
        if not units:
            return []
        now = limits.now()
        ip = target.address
        first = units[0]
        out: list[Observation] = []

        def add(fields: dict[str, str | int], message: str, component: str | None = None) -> None:
            if fields:
                ev = evidence(target, message)
                out.append(Identity(now, ip, None, PROTOCOL, fields, ev, component))

        for unit in units:
            add({"modbus_unit_id": unit.unit_id}, "modbus response unit id")
            if unit is first:
                add(unit.fields(), RDI_MESSAGE)
                add(unit.server_id, SID_MESSAGE)
            elif unit.objects and unit.basic != first.basic:
                add(unit.fields(), RDI_MESSAGE, f"unit {unit.unit_id}")
                add(unit.server_id, SID_MESSAGE, f"unit {unit.unit_id}")
        return out


class _DesyncError(ScanError):
    """An answer that belongs to another request: the connection is no longer trusted."""
