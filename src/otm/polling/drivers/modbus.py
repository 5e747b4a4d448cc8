"""Modbus/TCP driver over pymodbus's asyncio client, with register batching.

Tags of one table are joined into few reads (``plan.plan_spans``: at most
``max_registers`` registers or ``max_bits`` bits a read, holes up to
``max_gap`` read and thrown away).  A joined read the device refuses with
exception 2 or 3 (illegal data address / value: often a hole that is not
mapped) is split into one read per tag, this cycle and the ones after.

pymodbus's client serialises the requests of one connection, and many
Modbus servers (pymodbus's own among them) answer one request a connection at
a time, so ``max_in_flight`` requests mean that many connections
(``LinkPool``).  pymodbus's own retries and reconnects are switched off: the
poller owns timeouts, retries (the next cycle) and backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusIOException

from otm.polling.drivers.base import (
    Cycle,
    DeviceError,
    LinkDownError,
    LinkPool,
    PollResult,
    Reading,
    RequestError,
    bad,
)
from otm.polling.drivers.plan import Item, Span, plan_spans, split_span
from otm.polling.drivers.values import decode_registers, finish
from otm.polling.tags import DeviceSpec, ModbusRef, TagSpec, parse_modbus

OPERATIONS = {
    "hr": "read_holding_registers",
    "ir": "read_input_registers",
    "co": "read_coils",
    "di": "read_discrete_inputs",
}
"""Modbus function names (snake_case, as otm's codec names them) per table."""

EXCEPTIONS = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}
"""Modbus exception codes (MODBUS Application Protocol v1.1b3, section 7)."""

SPLIT_ON = frozenset({2, 3})
"""Exception codes after which a joined read is retried tag by tag."""


class ModbusLink(Protocol):
    """One connection able to read a table: what the driver needs of a client library."""

    async def read(self, table: str, address: int, count: int, unit: int) -> Sequence[int]:
        """Registers (hr/ir) or bits as 0/1 (co/di); ``DeviceError`` for an exception reply."""
        ...

    async def close(self) -> None:
        """Close the connection."""
        ...


ModbusConnect = Callable[[DeviceSpec], Awaitable[ModbusLink]]


class _PymodbusLink:
    """``ModbusLink`` over ``pymodbus.client.AsyncModbusTcpClient``."""

    def __init__(self, client: AsyncModbusTcpClient) -> None:
        self._client = client
        self._calls = {
            "hr": client.read_holding_registers,
            "ir": client.read_input_registers,
            "co": client.read_coils,
            "di": client.read_discrete_inputs,
        }

    async def read(self, table: str, address: int, count: int, unit: int) -> Sequence[int]:
        try:
            reply = await self._calls[table](address, count=count, device_id=unit)
        except ConnectionException as exc:
            raise LinkDownError(str(exc)) from None
        except ModbusIOException as exc:
            if "No response" in str(exc):
                raise TimeoutError(str(exc)) from None
            raise LinkDownError(str(exc)) from None
        if reply.isError():
            code = int(getattr(reply, "exception_code", 0))
            raise DeviceError(f"exception {code} ({EXCEPTIONS.get(code, 'unknown')})", code)
        if table in ("co", "di"):
            return [int(b) for b in reply.bits[:count]]
        return list(reply.registers[:count])

    async def close(self) -> None:
        self._client.close()


async def pymodbus_connect(device: DeviceSpec) -> ModbusLink:
    """Open one Modbus/TCP connection to ``device`` with pymodbus."""
    client = AsyncModbusTcpClient(
        device.host,
        port=device.target_port,
        timeout=device.timeout + 1.0,  # the poller's own timeout fires first
        retries=0,
        reconnect_delay=0,
        name=device.name,
    )
    try:
        connected = await client.connect()
    except asyncio.CancelledError:
        client.close()
        raise
    if not connected:
        client.close()
        raise LinkDownError(f"cannot connect to {device.host}:{device.target_port}")
    return _PymodbusLink(client)


@dataclass(frozen=True, slots=True)
class _Tag:
    spec: TagSpec
    ref: ModbusRef
    dtype: str


class ModbusDriver:
    """Reads a device's Modbus tags in batched requests, at most ``max_in_flight`` at once."""

    def __init__(self, device: DeviceSpec, connect: ModbusConnect = pymodbus_connect) -> None:
        self.device = device
        self._tags = []
        for spec in device.tags:
            ref = parse_modbus(spec)
            self._tags.append(_Tag(spec, ref, ref.dtype))
        self.plan = self._plan()
        self._pool: LinkPool[ModbusLink] = LinkPool(
            lambda: connect(device), _close, device.max_in_flight
        )

    def _plan(self) -> list[Span]:
        spans: list[Span] = []
        for table in ("co", "di", "hr", "ir"):
            items = [
                Item(table, t.ref.address, t.ref.count, i)
                for i, t in enumerate(self._tags)
                if t.ref.table == table
            ]
            limit = self.device.max_bits if table in ("co", "di") else self.device.max_registers
            spans += plan_spans(items, limit, self.device.max_gap)
        return spans

    @property
    def peak_in_flight(self) -> int:
        """The most requests this driver ever had outstanding at once."""
        return self._pool.peak_in_flight

    async def read(self) -> PollResult:
        cycle = Cycle(self.device.timeout)
        readings: list[Reading | None] = [None] * len(self._tags)
        plan = list(self.plan)
        await asyncio.gather(*(self._read_span(cycle, span, readings) for span in plan))
        done = [r if r is not None else bad(self._tags[i].spec, "", "not read")
                for i, r in enumerate(readings)]  # fmt: skip
        return PollResult(done, cycle.stats)

    async def _read_span(self, cycle: Cycle, span: Span, readings: list[Reading | None]) -> None:
        table = str(span.key)
        message = f"modbus {OPERATIONS[table]}"
        try:
            async with self._pool.link(cycle) as link:
                data = await cycle.request(
                    lambda: link.read(table, span.start, span.size, self.device.unit_id)
                )
        except RequestError as failed:
            if failed.kind == "error" and failed.code in SPLIT_ON and len(span.items) > 1:
                parts = split_span(span)
                if len(parts) > 1:
                    self.plan = [p for s in self.plan for p in (parts if s == span else [s])]
                    await asyncio.gather(*(self._read_span(cycle, p, readings) for p in parts))
                    return
            for item in span.items:
                readings[item.index] = bad(self._tags[item.index].spec, message, failed)
            return
        for item in span.items:
            tag = self._tags[item.index]
            offset = item.start - span.start
            chunk = data[offset : offset + item.size]
            if len(chunk) < item.size:
                readings[item.index] = bad(tag.spec, message, "short answer")
                continue
            if table in ("co", "di"):
                raw: bool | int | float | str = bool(chunk[0])
            else:
                raw = decode_registers(chunk, tag.spec, tag.dtype, tag.ref.bit)
            value, quality = finish(tag.spec, raw)
            readings[item.index] = Reading(tag.spec, value, quality, message)

    async def close(self) -> None:
        await self._pool.close()


async def _close(link: ModbusLink) -> None:
    await link.close()
