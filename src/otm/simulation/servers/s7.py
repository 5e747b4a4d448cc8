"""S7comm device: python-snap7's server answering identification SZLs as an S7-300 CPU does.

snap7's stock SZL answers are minimal and not laid out as a real CPU's
(nmap's ``s7-info`` and Wireshark reject them), so ``IdentityServer``
answers the two identification lists with the layouts of a CPU 315-2 PN/DP:

- SZL 0x0011 (module identification): ``LENTHDR u16 = 28 | N_DR u16 |``
  records ``index u16 | MLFB 20 chars | BGTyp u16 | Ausbg u16 | Ausbe u16``;
  index 1 the module, 6 the basic hardware, 7 the basic firmware, whose
  Ausbg/Ausbe carry ``'V'`` and the version bytes (V3.2.8 is 0x5603 0x0208).
- SZL 0x001C (component identification): ``LENTHDR = 34 | N_DR |`` records
  ``index u16 | 32 bytes of text``: 1 station (automation system) name,
  2 module name, 3 plant designation, 4 copyright, 5 serial number, 7 module
  type name.

Identity keys: ``order_code`` (MLFB), ``firmware`` (``3.2.8``),
``station_name``, ``module_name``, ``plant_id``, ``copyright``, ``serial``,
``module_type``.  Points use S7 absolute addresses (``DB1.DBD0``,
``DB1.DBX8.0``, ``MW20``, ``M22.0``, ``IB0``, ``QW2``); each area is just as
long as its points need.  Values are big-endian, as S7 memory is; updates
take snap7's own area lock, so a client never reads half a REAL.
"""

from __future__ import annotations

import asyncio
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from snap7.server import Server
from snap7.type import SrvArea

from otm.simulation.process import Value
from otm.simulation.servers.base import ServeOptions, encode, raw_value
from otm.simulation.spec import DemoDevice, Point

IDENTITY_DEFAULTS = {
    "order_code": "6ES7 315-2EH14-0AB0",
    "firmware": "3.2.8",
    "station_name": "S7-300 station",
    "module_name": "CPU 315-2 PN/DP",
    "plant_id": "",
    "copyright": "Original Siemens Equipment",
    "serial": "S C-X0X000000000",
    "module_type": "CPU 315-2 PN/DP",
}
"""Identity keys and the values a key left out takes."""

_COMPONENTS = {1: "station_name", 2: "module_name", 3: "plant_id", 4: "copyright", 5: "serial",
               7: "module_type"}  # fmt: skip
"""SZL 0x001C record index -> identity key."""

_ADDRESS = re.compile(
    r"^(?:DB(?P<db>\d{1,5})\.DB(?P<dbw>[XBWD])|(?P<area>[MIEQA])(?P<w>[BWD]?))"
    r"(?P<byte>\d{1,5})(?:\.(?P<bit>[0-7]))?$"
)
_AREAS = {"M": SrvArea.MK, "I": SrvArea.PE, "E": SrvArea.PE, "Q": SrvArea.PA, "A": SrvArea.PA}
_DEFAULT_TYPE = {"B": "uint8", "W": "int16"}
_WIDTH = {"B": 1, "W": 2, "D": 4}
_SIZES = {"int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4, "uint32": 4, "float32": 4,
          "int64": 8, "uint64": 8, "float64": 8}  # fmt: skip


def firmware_words(version: str) -> tuple[int, int]:
    """``3.2.8`` -> (Ausbg, Ausbe) = (0x5603, 0x0208), as SZL 0x0011 index 7 carries it."""
    parts = [int(p) for p in version.split(".")]
    if len(parts) != 3 or not all(0 <= p <= 255 for p in parts):
        raise ValueError(f"S7 firmware {version!r}: three numbers 0-255 (3.2.8)")
    return 0x5600 | parts[0], parts[1] << 8 | parts[2]


def szl_module(identity: Mapping[str, str]) -> bytes:
    """SZL 0x0011 (module identification) as an S7-300 CPU answers it."""
    mlfb = identity["order_code"].encode("ascii").ljust(20)[:20]
    ausbg, ausbe = firmware_words(identity["firmware"])
    records = [
        struct.pack(">H20sHHH", 0x0001, mlfb, 0x00C0, 0x0000, 0x0005),
        struct.pack(">H20sHHH", 0x0006, mlfb, 0x00C0, 0x0000, 0x0005),
        struct.pack(">H20sHHH", 0x0007, b" " * 20, 0x00C0, ausbg, ausbe),
    ]
    return struct.pack(">HH", 28, len(records)) + b"".join(records)


def szl_components(identity: Mapping[str, str]) -> bytes:
    """SZL 0x001C (component identification) as an S7-300 CPU answers it."""
    records = [
        struct.pack(">H", index) + identity[key].encode("latin-1")[:32].ljust(32, b"\x00")
        for index, key in _COMPONENTS.items()
    ]
    return struct.pack(">HH", 34, len(records)) + b"".join(records)


class IdentityServer(Server):
    """snap7's server answering SZL 0x0011 and 0x001C like an S7-300 CPU."""

    def __init__(self, identity: Mapping[str, str]) -> None:
        super().__init__(log=False)
        self._szl = {0x0011: szl_module(identity), 0x001C: szl_components(identity)}

    def _get_szl_data(self, szl_id: int, szl_index: int) -> bytes | None:
        if szl_id in self._szl:
            return self._szl[szl_id]
        answer: bytes | None = super()._get_szl_data(szl_id, szl_index)
        return answer


@dataclass(frozen=True, slots=True)
class _Slot:
    point: Point
    area: SrvArea
    index: int  # DB number, 0 outside DBs
    start: int
    dtype: str
    bit: int | None


def slot(point: Point) -> _Slot:
    """Where a point lives in S7 memory (``ValueError`` for what the demo cannot serve)."""
    match = _ADDRESS.match(point.address.strip().upper().replace(" ", ""))
    if match is None:
        raise ValueError(f"{point.tag}: {point.address!r} is not an S7 address (DB1.DBD0, MW2)")
    start = int(match.group("byte"))
    bit = match.group("bit")
    if match.group("db") is not None:
        area, index, width = SrvArea.DB, int(match.group("db")), match.group("dbw")
    else:
        area, index = _AREAS[match.group("area")], 0
        width = match.group("w") or "X"
    if width == "X":
        if bit is None:
            raise ValueError(f"{point.tag}: a bit address needs .BIT")
        return _Slot(point, area, index, start, "bool", int(bit))
    dtype = point.type or _DEFAULT_TYPE.get(width)
    if dtype is None or dtype not in _SIZES:
        raise ValueError(f"{point.tag}: {point.address} needs a numeric type")
    if width != "B" and _SIZES[dtype] != _WIDTH[width]:
        raise ValueError(f"{point.tag}: {dtype} does not fit a {width} address")
    return _Slot(point, area, index, start, dtype, None)


class S7Server:
    """snap7's server for one device (see the module docstring)."""

    quality = False

    def __init__(self, device: DemoDevice, options: ServeOptions) -> None:
        self.device = device
        self.options = options
        self.identity = {**IDENTITY_DEFAULTS, **device.identity}
        unknown = sorted(set(device.identity) - set(IDENTITY_DEFAULTS))
        if unknown:
            raise ValueError(f"unknown S7 identity keys: {', '.join(unknown)}")
        self.slots = [slot(p) for p in device.points]
        sizes: dict[tuple[SrvArea, int], int] = {}
        for s in self.slots:
            end = s.start + (1 if s.bit is not None else _SIZES[s.dtype])
            sizes[(s.area, s.index)] = max(sizes.get((s.area, s.index), 2), end)
        self.areas = {key: bytearray(size) for key, size in sizes.items()}
        self._server: IdentityServer | None = None

    async def start(self) -> None:
        server = IdentityServer(self.identity)
        for (area, index), memory in self.areas.items():
            server.register_area(area, index, memory)
        await asyncio.to_thread(server.start_to, self.options.bind, self.options.port)
        self._server = server

    async def publish(self, values: Mapping[str, Value], bad: frozenset[str]) -> None:
        server = self._server
        if server is None:
            return
        staged = {key: bytearray(memory) for key, memory in self.areas.items()}
        for s in self.slots:
            memory = staged[(s.area, s.index)]
            value = values[s.point.tag]
            if s.bit is not None:
                mask = 1 << s.bit
                memory[s.start] = memory[s.start] | mask if value else memory[s.start] & ~mask
            else:
                data = encode(s.dtype, raw_value(s.point, value))
                memory[s.start : s.start + len(data)] = data
        for (area, index), memory in self.areas.items():
            server.lock_area(area, index)
            try:
                memory[:] = staged[(area, index)]
            finally:
                server.unlock_area(area, index)

    async def close(self) -> None:
        if self._server is not None:
            await asyncio.to_thread(self._server.stop)
            self._server = None
