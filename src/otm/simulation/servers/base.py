"""What every device server does, and the byte layouts the memory-mapped stacks share.

A server wraps one library's device stack (pymodbus, python-snap7, cpppo,
bacpypes3, asyncua) around a ``DemoDevice``: ``start`` binds and serves,
``publish`` puts the current process values (by point tag) into the stack,
``close`` lets go of every socket and thread.  ``serve.run`` drives it.

Modbus registers and S7 memory carry untyped bytes; ``raw_value`` and
``encode`` turn a process value into them the way the tag document reads
them back (big-endian, Modbus's own order and the S7's; scale applied).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from otm.simulation.process import Value
from otm.simulation.spec import DemoDevice, Point


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """Where a server listens and which plant clock it follows.

    ``host`` is the device's own address (what it reports, e.g. in OPC UA
    endpoint URLs); ``bind`` the address its sockets bind (``0.0.0.0`` for
    EtherNet/IP in a namespace, which must hear broadcast ListIdentity);
    ``prefix`` the subnet's prefix length (BACnet/IP computes its broadcast
    address from it); ``epoch`` the wall-clock time of plant time 0.
    """

    host: str
    port: int
    bind: str
    prefix: int = 32
    epoch: float = 0.0
    seed: int = 0


class DeviceServer(Protocol):
    """One device stack serving one ``DemoDevice``."""

    quality: bool
    """True when the stack can flag a value as bad (OPC UA status, BACnet fault)."""

    async def start(self) -> None:
        """Bind and serve; raise if the stack cannot (port taken, address missing)."""
        ...

    async def publish(self, values: Mapping[str, Value], bad: frozenset[str]) -> None:
        """Set each point (by tag) to its value; ``bad`` tags carry a bad quality."""
        ...

    async def close(self) -> None:
        """Stop serving; release sockets and threads."""
        ...


class ServerFactory(Protocol):
    """A server module's class: built from the device and where it listens."""

    def __call__(self, device: DemoDevice, options: ServeOptions) -> DeviceServer: ...


_FORMATS = {
    "int8": ">b",
    "uint8": ">B",
    "int16": ">h",
    "uint16": ">H",
    "int32": ">i",
    "uint32": ">I",
    "int64": ">q",
    "uint64": ">Q",
    "float32": ">f",
    "float64": ">d",
}
_LIMITS = {
    name: (
        (-(1 << (8 * struct.calcsize(fmt) - 1)), (1 << (8 * struct.calcsize(fmt) - 1)) - 1)
        if name.startswith("int")
        else (0, (1 << (8 * struct.calcsize(fmt))) - 1)
    )
    for name, fmt in _FORMATS.items()
    if not name.startswith("float")
}


def raw_value(point: Point, value: Value) -> Value:
    """The value as the wire holds it: divided by the point's scale, integers rounded."""
    if isinstance(value, bool | str) or point.scale == 1.0:
        raw: Value = value
    else:
        raw = value / point.scale
    if point.type in _LIMITS and isinstance(raw, float):
        raw = round(raw)
    return raw


def encode(dtype: str, value: Value) -> bytes:
    """Big-endian bytes of ``value`` as ``dtype``; integers saturate at the type's range.

    Saturating (rather than raising) keeps a forced out-of-range value
    (``set TK1.TEMP 9999``) publishable, the way a PLC clamps a conversion.
    """
    if dtype not in _FORMATS:
        raise ValueError(f"no byte layout for type {dtype!r}")
    if isinstance(value, str):
        raise ValueError(f"a {dtype} cannot hold text {value!r}")
    if dtype.startswith("float"):
        return struct.pack(_FORMATS[dtype], float(value))
    low, high = _LIMITS[dtype]
    return struct.pack(_FORMATS[dtype], max(low, min(high, round(value))))


def registers(data: bytes) -> list[int]:
    """Bytes as 16-bit Modbus registers, high byte first (a trailing odd byte padded)."""
    if len(data) % 2:
        data += b"\x00"
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
