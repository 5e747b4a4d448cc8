"""EtherNet/IP driver over pycomm3's LogixDriver: Logix tags read by name.

pycomm3 packs the tags of one ``read`` call into Multiple Service Packets of
Read Tag services over a CIP connection (Forward Open), splitting by reply
size, so a device's tags are one call a cycle.  It needs each tag's data
type to decode the answers: a Logix controller publishes its tag list
(uploaded on connect when a tag of the device has no ``type``); a device
that does not (cpppo's simulator, some gateways) can still be read when the
tag file gives every tag's type, for controller-scoped atomic tags and
array elements.  That path fills pycomm3 1.2.16's tag table (``_tags``)
with definitions built from the file; pycomm3 is pinned for this reason.

pycomm3 is blocking, so each connection runs its calls on a thread of its
own; a call that outlives the timeout finishes there while the link is
closed behind it.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from pycomm3 import CommError, LogixDriver, PycommError
from pycomm3.cip import data_types as cip

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
from otm.polling.tags import DeviceSpec, TagSpec, parse_logix

MESSAGE = "enip read_tag"

CIP_TYPES: dict[str, Any] = {
    "bool": cip.BOOL,
    "int8": cip.SINT,
    "int16": cip.INT,
    "int32": cip.DINT,
    "int64": cip.LINT,
    "uint8": cip.USINT,
    "uint16": cip.UINT,
    "uint32": cip.UDINT,
    "uint64": cip.ULINT,
    "float32": cip.REAL,
    "float64": cip.LREAL,
}
"""otm data types -> CIP elementary types (CIP Vol. 1, C-2.1)."""

_ELEMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")

R = TypeVar("R")


def declared_types(tags: Sequence[TagSpec]) -> dict[str, dict[str, Any]] | None:
    """pycomm3 tag definitions built from the file, or None when the controller's list is needed.

    Only controller-scoped atomic tags and elements of one-dimensional arrays
    (``Speed``, ``Speeds[3]``) can be declared; anything else (members,
    program tags, strings) needs the controller's own definitions.
    """
    table: dict[str, dict[str, Any]] = {}
    for tag in tags:
        match = _ELEMENT.match(tag.address.strip())
        if tag.type is None or tag.type not in CIP_TYPES or match is None:
            return None
        name, index = match.group(1), match.group(2)
        kind = CIP_TYPES[tag.type]
        length = int(index) + 1 if index is not None else 0
        known = table.get(name)
        if known is not None:
            if known["type_class"] is not kind:
                return None
            length = max(length, known["dimensions"][0])
        table[name] = {
            "tag_name": name,
            "instance_id": None,
            "tag_type": "atomic",
            "data_type": kind.__name__,
            "data_type_name": kind.__name__,
            "type_class": kind,
            "external_access": "Read/Write",
            "dim": 1 if length else 0,
            "dimensions": [length, 0, 0],
            "alias": False,
        }
    return table


class LogixLink(Protocol):
    """One EtherNet/IP connection: what the driver needs of a client library."""

    async def read(self, paths: Sequence[str]) -> list[tuple[object, str]]:
        """(value, error text or '') per tag path, in order."""
        ...

    async def close(self) -> None:
        """Close the CIP connection and the session."""
        ...


LogixConnect = Callable[[DeviceSpec], Awaitable[LogixLink]]


class _Pycomm3Link:
    """``LogixLink`` over a ``pycomm3.LogixDriver`` running on its own thread."""

    def __init__(self, driver: Any, executor: ThreadPoolExecutor) -> None:
        self._driver = driver
        self._executor = executor
        self._lock = threading.Lock()

    async def _call(self, fn: Callable[[], R]) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def read(self, paths: Sequence[str]) -> list[tuple[object, str]]:
        return await self._call(lambda: self._read(paths))

    def _read(self, paths: Sequence[str]) -> list[tuple[object, str]]:
        with self._lock:
            try:
                result = self._driver.read(*paths)
            except TimeoutError as exc:
                raise TimeoutError(str(exc)) from None
            except CommError as exc:
                raise LinkDownError(str(exc)) from None
            except PycommError as exc:
                raise DeviceError(str(exc)) from None
        tags = result if isinstance(result, list) else [result]
        out = [(t.value, str(t.error or "")) for t in tags]
        if out and all(error for _v, error in out):
            if any("failed to receive" in e.lower() or "connection" in e.lower() for _, e in out):
                raise LinkDownError(out[0][1])
            raise DeviceError(out[0][1])
        return out

    async def close(self) -> None:
        def shut() -> None:
            with self._lock:
                self._driver.close()

        try:
            await self._call(shut)
        finally:
            self._executor.shutdown(wait=False)


async def pycomm3_connect(device: DeviceSpec) -> LogixLink:
    """Open a session and a CIP connection to ``device`` with pycomm3."""
    declared = declared_types(device.tags)
    path = f"{device.host}:{device.target_port}" + (f"/{device.route}" if device.route else "")
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"enip-{device.name}")

    def open_() -> Any:
        driver: Any = LogixDriver(path, init_tags=declared is None, init_program_tags=False)
        driver.socket_timeout = device.timeout
        try:
            if not driver.open():
                raise LinkDownError("session not registered")
        except TimeoutError as exc:
            driver.close()
            raise TimeoutError(str(exc)) from None
        except PycommError as exc:
            driver.close()
            raise LinkDownError(str(exc.__cause__ or exc)) from None
        if declared is not None:
            driver._tags = declared  # see the module docstring
        return driver

    try:
        driver = await asyncio.get_running_loop().run_in_executor(executor, open_)
    except BaseException:
        executor.shutdown(wait=False)
        raise
    return _Pycomm3Link(driver, executor)


class EnipDriver:
    """Reads a device's Logix tags, all in one pycomm3 call a cycle."""

    def __init__(self, device: DeviceSpec, connect: LogixConnect = pycomm3_connect) -> None:
        self.device = device
        self._paths = [parse_logix(tag.address).path for tag in device.tags]
        self._pool: LinkPool[LogixLink] = LinkPool(lambda: connect(device), _close, 1)

    async def read(self) -> PollResult:
        cycle = Cycle(self.device.timeout)
        tags = self.device.tags
        try:
            async with self._pool.link(cycle) as link:
                answers = await cycle.request(lambda: link.read(self._paths))
        except RequestError as failed:
            return PollResult([bad(t, MESSAGE, failed) for t in tags], cycle.stats)
        readings = []
        for tag, (raw, error) in zip(tags, answers, strict=False):
            value = coerce(raw)
            if error or value is None:
                readings.append(bad(tag, MESSAGE, error or "no value"))
                continue
            value, quality = finish(tag, value)
            readings.append(Reading(tag, value, quality, MESSAGE))
        readings += [bad(t, MESSAGE, "not in the answer") for t in tags[len(answers) :]]
        return PollResult(readings, cycle.stats)

    async def close(self) -> None:
        await self._pool.close()


async def _close(link: LogixLink) -> None:
    await link.close()
