"""Modbus/TCP device: pymodbus's server with a device identity (FC43/14) and the points' tables.

Identity keys (Modbus Application Protocol 1.1b3, 6.21, object ids in
brackets): ``vendor`` (0x00 VendorName), ``product_code`` (0x01),
``revision`` (0x02 MajorMinorRevision), ``vendor_url`` (0x03),
``product_name`` (0x04), ``model_name`` (0x05), ``application_name`` (0x06
UserApplicationName).  pymodbus keeps the identity in a process-wide control
block, hence one process per Modbus device (the launcher's model anyway).

Points use otm's tag addresses: ``hr:N``/``ir:N`` registers (0-based, or a
Modicon reference such as ``hr:40001``), ``co:N`` coils, ``di:N`` discrete
inputs.  Registers hold the point's type big-endian, high word first (the
tag document's default ``word_order: big``).  The four tables are separate
blocks (pymodbus's ``SimDevice`` with a tuple), each just large enough for
its points, so an address no point uses answers Illegal Data Address as a
real controller's unmapped memory does.  Every unit id is answered (a
``SimDevice`` with id 0), as pymodbus's simulator does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pymodbus.pdu.device import ModbusDeviceIdentification
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from otm.simulation.process import Value
from otm.simulation.servers.base import ServeOptions, encode, raw_value, registers
from otm.simulation.spec import DemoDevice, Point

IDENTITY_KEYS = {
    "vendor": "VendorName",
    "product_code": "ProductCode",
    "revision": "MajorMinorRevision",
    "vendor_url": "VendorUrl",
    "product_name": "ProductName",
    "model_name": "ModelName",
    "application_name": "UserApplicationName",
}
"""Our identity keys -> pymodbus's names of the device identification objects."""

_ADDRESS = re.compile(r"^(hr|ir|co|di):(\d{1,6})$")
_MODICON_DIGIT = {"co": "0", "di": "1", "ir": "3", "hr": "4"}
_WRITE_CODE = {"co": 5, "di": 2, "hr": 6, "ir": 4}
"""Function code whose table pymodbus's datastore maps each of ours to."""
_TYPE_SIZE = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2,
              "int64": 4, "uint64": 4, "float64": 4}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Slot:
    point: Point
    table: str
    address: int
    dtype: str
    count: int


def slot(point: Point) -> _Slot:
    """Where a point lives: table, 0-based address, type, registers (or bits) it takes."""
    match = _ADDRESS.match(point.address.strip().lower())
    if match is None:
        raise ValueError(f"{point.tag}: {point.address!r} is not hr:N, ir:N, co:N or di:N")
    table, digits = match.group(1), match.group(2)
    address = int(digits)
    if len(digits) in (5, 6) and digits[0] == _MODICON_DIGIT[table]:
        address = int(digits[1:]) - 1
    if table in ("co", "di"):
        if point.type not in (None, "bool"):
            raise ValueError(f"{point.tag}: coils and discrete inputs are bool")
        return _Slot(point, table, address, "bool", 1)
    dtype = point.type or "uint16"
    if dtype not in _TYPE_SIZE:
        raise ValueError(f"{point.tag}: the demo serves registers as {', '.join(_TYPE_SIZE)}")
    return _Slot(point, table, address, dtype, _TYPE_SIZE[dtype])


def identity(fields: Mapping[str, str]) -> ModbusDeviceIdentification:
    """pymodbus's identification objects from our identity keys (unknown keys are errors)."""
    unknown = sorted(set(fields) - set(IDENTITY_KEYS))
    if unknown:
        raise ValueError(f"unknown Modbus identity keys: {', '.join(unknown)}")
    names = {IDENTITY_KEYS[key]: value for key, value in fields.items()}
    return ModbusDeviceIdentification(info_name=names)  # type: ignore[no-untyped-call]


class ModbusServer:
    """pymodbus's TCP server for one device (see the module docstring)."""

    quality = False

    def __init__(self, device: DemoDevice, options: ServeOptions) -> None:
        self.device = device
        self.options = options
        self.slots = [slot(p) for p in device.points]
        self._identity = identity(device.identity)
        self._server: ModbusTcpServer | None = None

    def _blocks(self) -> tuple[list[SimData], list[SimData], list[SimData], list[SimData]]:
        size = dict.fromkeys(("co", "di", "hr", "ir"), 1)
        for s in self.slots:
            size[s.table] = max(size[s.table], s.address + s.count)
        bits = {t: [SimData(0, count=size[t], values=False, datatype=DataType.BITS)]
                for t in ("co", "di")}  # fmt: skip
        regs = {t: [SimData(0, count=size[t], values=0, datatype=DataType.REGISTERS)]
                for t in ("hr", "ir")}  # fmt: skip
        return bits["co"], bits["di"], regs["hr"], regs["ir"]

    async def start(self) -> None:
        device = SimDevice(id=0, simdata=self._blocks(), identity=self._identity)
        self._server = ModbusTcpServer(
            device, identity=self._identity, address=(self.options.bind, self.options.port)
        )
        await self._server.serve_forever(background=True)

    async def publish(self, values: Mapping[str, Value], bad: frozenset[str]) -> None:
        server = self._server
        if server is None:
            return
        for s in self.slots:
            value = values[s.point.tag]
            written: list[int] | list[bool]
            if s.dtype == "bool":
                written = [bool(value)]
            else:
                written = registers(encode(s.dtype, raw_value(s.point, value)))
            await server.context.async_setValues(0, _WRITE_CODE[s.table], s.address, written)

    async def close(self) -> None:
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None
