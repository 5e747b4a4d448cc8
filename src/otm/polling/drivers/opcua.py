"""OPC UA driver over asyncua's client: one session, values read in one Read per batch.

A Read service call takes many node ids at once (OPC UA Part 4, 5.10.2), so
a device's tags are read in batches of ``MAX_NODES_PER_READ`` (a common
server limit, ``MaxNodesPerRead``), up to ``max_in_flight`` batches at once
over the one session.  Each value comes with the server's status code,
whose two top bits are its severity (Part 4, 7.39): good, uncertain, bad:
the sample's quality.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from asyncua.client.client import Client
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.uaerrors import UaError, UaStatusCodeError
from asyncua.ua.uatypes import NodeId

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
from otm.polling.drivers.values import coerce, finish
from otm.polling.tags import DeviceSpec, Quality, parse_node_id

MAX_NODES_PER_READ = 500
"""Node ids per Read request; servers commonly refuse more than a few thousand."""

MESSAGE = "opcua read"

SEVERITY = {0: Quality.GOOD, 1: Quality.UNCERTAIN, 2: Quality.BAD, 3: Quality.BAD}
"""StatusCode bits 30-31 -> quality (Part 4, 7.39: 00 good, 01 uncertain, 1x bad)."""

_LOST_SESSION = frozenset(
    {
        "BadSessionIdInvalid",
        "BadSessionClosed",
        "BadSessionNotActivated",
        "BadSecureChannelIdInvalid",
        "BadSecureChannelClosed",
        "BadConnectionClosed",
        "BadServerNotConnected",
        "BadCommunicationError",
    }
)
"""Status codes of a whole Read that mean the session is gone, not the request refused."""


class OpcuaLink(Protocol):
    """One OPC UA session: what the driver needs of a client library."""

    async def read(self, node_ids: Sequence[str]) -> list[tuple[object, int]]:
        """(value, status code) per node id, in order."""
        ...

    async def close(self) -> None:
        """Close the session and the channel."""
        ...


OpcuaConnect = Callable[[DeviceSpec], Awaitable[OpcuaLink]]


class _AsyncuaLink:
    """``OpcuaLink`` over ``asyncua.Client`` (anonymous, security policy None)."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._ids: dict[str, NodeId] = {}

    async def read(self, node_ids: Sequence[str]) -> list[tuple[object, int]]:
        ids = []
        for text in node_ids:
            node = self._ids.get(text)
            if node is None:
                node = self._ids[text] = NodeId.from_string(text)
            ids.append(node)
        try:
            values = await self._client.uaclient.read_attributes(ids, AttributeIds.Value)
        except UaStatusCodeError as exc:
            name = type(exc).__name__
            if name in _LOST_SESSION:
                raise LinkDownError(name) from None
            raise DeviceError(name, exc.code) from None
        except (ConnectionError, UaError) as exc:
            raise LinkDownError(str(exc) or type(exc).__name__) from None
        out: list[tuple[object, int]] = []
        for dv in values:
            variant = dv.Value
            status = dv.StatusCode.value if dv.StatusCode is not None else 0
            out.append((variant.Value if variant is not None else None, status))
        return out

    async def close(self) -> None:
        await self._client.disconnect()


async def asyncua_connect(device: DeviceSpec) -> OpcuaLink:
    """Open a session on ``device``'s endpoint with asyncua."""
    client = Client(device.opcua_url, timeout=device.timeout)
    try:
        await client.connect()
    except (ConnectionError, UaError) as exc:
        await _disconnect_quietly(client)
        raise LinkDownError(str(exc) or type(exc).__name__) from None
    except BaseException:
        await _disconnect_quietly(client)
        raise
    return _AsyncuaLink(client)


async def _disconnect_quietly(client: Client) -> None:
    try:
        client.disconnect_socket()
    except Exception:  # a half-open client may fail to close; it is dropped either way
        return


class OpcuaDriver:
    """Reads a device's OPC UA nodes, with the server's status as quality."""

    def __init__(self, device: DeviceSpec, connect: OpcuaConnect = asyncua_connect) -> None:
        self.device = device
        self._nodes = [parse_node_id(tag.address).node_id for tag in device.tags]
        self._pool: LinkPool[OpcuaLink] = LinkPool(
            lambda: connect(device), _close, device.max_in_flight, shared=True
        )

    async def read(self) -> PollResult:
        cycle = Cycle(self.device.timeout)
        readings: list[Reading | None] = [None] * len(self._nodes)
        batches = range(0, len(self._nodes), MAX_NODES_PER_READ)
        await asyncio.gather(*(self._read_batch(cycle, b, readings) for b in batches))
        done = [r if r is not None else bad(self.device.tags[i], MESSAGE, "not read")
                for i, r in enumerate(readings)]  # fmt: skip
        return PollResult(done, cycle.stats)

    async def _read_batch(self, cycle: Cycle, first: int, readings: list[Reading | None]) -> None:
        nodes = self._nodes[first : first + MAX_NODES_PER_READ]
        try:
            async with self._pool.link(cycle) as link:
                answers = await cycle.request(lambda: link.read(nodes))
        except RequestError as failed:
            for i in range(first, first + len(nodes)):
                readings[i] = bad(self.device.tags[i], MESSAGE, failed)
            return
        for i, (raw, status) in enumerate(answers, start=first):
            tag = self.device.tags[i]
            value = coerce(raw)
            severity = SEVERITY[(status >> 30) & 3]
            if value is None or severity is Quality.BAD:
                readings[i] = bad(tag, MESSAGE, f"status 0x{status:08X}")
                continue
            value, quality = finish(tag, value)
            if severity is Quality.UNCERTAIN and quality is Quality.GOOD:
                quality = Quality.UNCERTAIN
            readings[i] = Reading(tag, value, quality, MESSAGE)

    async def close(self) -> None:
        await self._pool.close()


async def _close(link: OpcuaLink) -> None:
    await link.close()
