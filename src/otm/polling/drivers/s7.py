"""S7comm driver over python-snap7's asyncio client, with byte-range batching.

Tags of one area (a data block, the merkers, the inputs, the outputs) are
joined into few ``read_area`` requests (``plan.plan_spans`` over bytes,
holes up to ``max_gap`` bytes).  A span is at most ``MAX_SPAN`` bytes: the
data of one Read Var answer in the smallest PDU S7 CPUs negotiate (240 bytes
less 18 of headers), so every span is one request on every CPU.  Bits are
read as their byte.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, cast

from snap7.async_client import AsyncClient
from snap7.error import S7ConnectionError, S7Error, S7ProtocolError, S7TimeoutError
from snap7.type import Area

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
from otm.polling.drivers.plan import Item, Span, plan_spans
from otm.polling.drivers.values import decode_s7, finish
from otm.polling.tags import DeviceSpec, S7Ref, TagSpec, parse_s7

MAX_SPAN = 222
"""Bytes of one Read Var answer in a 240-byte PDU (S7-300's): 240 - 12 - 2 - 4."""

AREAS = {"DB": Area.DB, "M": Area.MK, "I": Area.PE, "Q": Area.PA}

MESSAGE = "s7comm read_var"


class S7Link(Protocol):
    """One S7 connection: what the driver needs of a client library."""

    async def read_area(self, area: str, db: int, start: int, size: int) -> bytes:
        """``size`` bytes of ``area`` (DB/M/I/Q) from ``start``; ``DeviceError`` if refused."""
        ...

    async def close(self) -> None:
        """Close the connection."""
        ...


S7Connect = Callable[[DeviceSpec], Awaitable[S7Link]]


class _Snap7Link:
    """``S7Link`` over ``snap7.async_client.AsyncClient``."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def read_area(self, area: str, db: int, start: int, size: int) -> bytes:
        try:
            return bytes(await self._client.read_area(AREAS[area], db, start, size))
        except S7TimeoutError as exc:
            raise TimeoutError(str(exc)) from None
        except S7ConnectionError as exc:
            raise LinkDownError(str(exc)) from None
        except S7ProtocolError as exc:
            if "operation failed" in str(exc):
                raise DeviceError(str(exc)) from None
            raise LinkDownError(str(exc)) from None  # out of step with the stream
        except S7Error as exc:
            raise DeviceError(str(exc)) from None

    async def close(self) -> None:
        await self._client.disconnect()


async def snap7_connect(device: DeviceSpec) -> S7Link:
    """Connect to ``device`` with snap7 (COTP to rack/slot, then setup communication)."""
    client = AsyncClient()
    try:
        await client.connect(device.host, device.rack, device.slot, device.target_port)
    except S7TimeoutError as exc:
        raise TimeoutError(str(exc)) from None
    except S7Error as exc:
        raise LinkDownError(str(exc)) from None
    except asyncio.CancelledError:
        await client.disconnect()
        raise
    return _Snap7Link(client)


@dataclass(frozen=True, slots=True)
class _Tag:
    spec: TagSpec
    ref: S7Ref
    dtype: str


class S7Driver:
    """Reads a device's S7 tags in batched Read Var requests."""

    def __init__(self, device: DeviceSpec, connect: S7Connect = snap7_connect) -> None:
        self.device = device
        self._tags: list[_Tag] = []
        for spec in device.tags:
            ref = parse_s7(spec)
            self._tags.append(_Tag(spec, ref, ref.dtype))
        items = [Item((t.ref.area, t.ref.db), t.ref.start, t.ref.size, i)
                 for i, t in enumerate(self._tags)]  # fmt: skip
        self.plan: list[Span] = plan_spans(items, MAX_SPAN, device.max_gap)
        self._pool: LinkPool[S7Link] = LinkPool(
            lambda: connect(device), _close, device.max_in_flight
        )

    async def read(self) -> PollResult:
        cycle = Cycle(self.device.timeout)
        readings: list[Reading | None] = [None] * len(self._tags)
        await asyncio.gather(*(self._read_span(cycle, span, readings) for span in self.plan))
        done = [r if r is not None else bad(self._tags[i].spec, MESSAGE, "not read")
                for i, r in enumerate(readings)]  # fmt: skip
        return PollResult(done, cycle.stats)

    async def _read_span(self, cycle: Cycle, span: Span, readings: list[Reading | None]) -> None:
        area, db = cast(tuple[str, int], span.key)
        try:
            async with self._pool.link(cycle) as link:
                data = await cycle.request(lambda: link.read_area(area, db, span.start, span.size))
        except RequestError as failed:
            for item in span.items:
                readings[item.index] = bad(self._tags[item.index].spec, MESSAGE, failed)
            return
        for item in span.items:
            tag = self._tags[item.index]
            chunk = data[item.start - span.start : item.end - span.start]
            if len(chunk) < item.size:
                readings[item.index] = bad(tag.spec, MESSAGE, "short answer")
                continue
            value, quality = finish(tag.spec, decode_s7(chunk, tag.dtype, tag.ref.bit))
            readings[item.index] = Reading(tag.spec, value, quality, MESSAGE)

    async def close(self) -> None:
        await self._pool.close()


async def _close(link: S7Link) -> None:
    await link.close()
