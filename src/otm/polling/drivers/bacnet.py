"""BACnet/IP driver over bacpypes3: ReadPropertyMultiple, ReadProperty where refused.

BACnet/IP is UDP, so there is no connection per device: one bacpypes3
application (one socket, ``BacnetHub``) serves every BACnet device of a
poll run.  A device's properties are read with ReadPropertyMultiple
(ASHRAE 135 clause 15.7), ``MAX_OBJECTS_PER_REQUEST`` objects a request so
that the answer fits a 1476-byte APDU without segmentation; a device that
rejects the service (small controllers need not support it) is read with
ReadProperty (15.5), one property a request, from then on.

With ``status_flags`` (default), each present-value is read with its
object's Status_Flags (12.x: in-alarm, fault, overridden, out-of-service):
a fault makes the sample bad, out-of-service uncertain (the value is then
not the process's but whatever was written to it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bacpypes3.apdu import ErrorRejectAbortNack  # type: ignore[import-untyped]
from bacpypes3.app import Application  # type: ignore[import-untyped]
from bacpypes3.argparse import SimpleArgumentParser  # type: ignore[import-untyped]
from bacpypes3.pdu import Address  # type: ignore[import-untyped]
from bacpypes3.primitivedata import (  # type: ignore[import-untyped]
    BitString,
    Boolean,
    CharacterString,
    Enumerated,
    ObjectIdentifier,
    Real,
)

from otm.polling.drivers.base import (
    Cycle,
    DeviceError,
    LinkPool,
    PollResult,
    Reading,
    RequestError,
    Value,
    bad,
)
from otm.polling.drivers.values import finish
from otm.polling.tags import BacnetRef, DeviceSpec, Quality, parse_bacnet

MAX_OBJECTS_PER_REQUEST = 16
"""Objects per ReadPropertyMultiple: 16 x (present-value + status-flags) answers in ~400 bytes."""

CLIENT_INSTANCE = 4194302
"""The poller's own BACnet device instance (the highest valid one, rarely taken)."""

FLAGGED = frozenset(
    {
        "analog-input",
        "analog-output",
        "analog-value",
        "binary-input",
        "binary-output",
        "binary-value",
        "multi-state-input",
        "multi-state-output",
        "multi-state-value",
        "accumulator",
        "pulse-converter",
        "loop",
        "integer-value",
        "positive-integer-value",
        "large-analog-value",
        "characterstring-value",
    }
)
"""Object types with a Status_Flags property."""

_REFUSED_SERVICE = ("unrecognized-service", "unrecognizedservice", "service-request-denied")


@dataclass(frozen=True, slots=True)
class PropertyError:
    """A property the device could not read (its error class and code)."""

    text: str


BacnetValue = Value | list[int] | PropertyError | None


class BacnetLink(Protocol):
    """Access to one BACnet device: what the driver needs of a client library."""

    async def read_multiple(
        self, specs: Sequence[tuple[str, Sequence[str]]]
    ) -> list[tuple[str, str, BacnetValue]]:
        """(object, property, value) for each property asked, in order; objects as 'type,n'."""
        ...

    async def read_property(self, obj: str, prop: str) -> BacnetValue:
        """One property's value; ``DeviceError`` when the device answers with an error."""
        ...

    async def close(self) -> None:
        """Let go of the device (the socket is the hub's)."""
        ...


BacnetConnect = Callable[[DeviceSpec], Awaitable[BacnetLink]]


def plain(value: object) -> BacnetValue:
    """A bacpypes3 value as a plain one: bools, ints, floats, strings, flag lists."""
    if value is None:
        return None
    if hasattr(value, "errorCode"):
        return PropertyError(f"{getattr(value, 'errorClass', '')}: {value.errorCode}")
    if isinstance(value, Boolean):
        return bool(value)
    if isinstance(value, Enumerated):
        if type(value).__name__ == "BinaryPV":
            return int(value) == 1  # active
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, BitString):
        return [int(bit) for bit in value]
    if isinstance(value, CharacterString):
        return str(value)
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


class BacnetHub:
    """The one bacpypes3 application of a poll run, opened by the first device, closed by the last.

    ``local_address`` is bacpypes3's address syntax (``10.0.0.9/24``,
    ``127.0.0.1/32:47809``); None lets bacpypes3 pick the host's address on
    port 47808.  bacpypes3 delivers a request to any 127.x address on its own
    port to itself, so on loopback the poller and the devices need different
    ports.
    """

    def __init__(self, local_address: str | None = None) -> None:
        self.local_address = local_address
        self._app: Any = None
        self._users = 0

    def retain(self) -> Any:
        """The application, created on first use."""
        if self._app is None:
            argv = ["--instance", str(CLIENT_INSTANCE), "--name", "otm-poller"]
            if self.local_address:
                argv += ["--address", self.local_address]
            args = SimpleArgumentParser().parse_args(argv)
            self._app = Application.from_args(args)
        self._users += 1
        return self._app

    def release(self) -> None:
        """One user fewer; the last one closes the application."""
        self._users = max(0, self._users - 1)
        if self._users == 0 and self._app is not None:
            self._app.close()
            self._app = None


class _BacpypesLink:
    """``BacnetLink`` over a bacpypes3 application shared through the hub."""

    def __init__(self, app: Any, address: str) -> None:
        self._app = app
        self._address = Address(address)

    async def read_multiple(
        self, specs: Sequence[tuple[str, Sequence[str]]]
    ) -> list[tuple[str, str, BacnetValue]]:
        parameters: list[Any] = []
        for obj, props in specs:
            parameters += [ObjectIdentifier(obj), list(props)]
        try:
            answer = await self._app.read_property_multiple(self._address, parameters)
        except ErrorRejectAbortNack as exc:
            raise DeviceError(_describe(exc)) from None
        if isinstance(answer, ErrorRejectAbortNack):
            raise DeviceError(_describe(answer))
        if answer is None:
            raise DeviceError("not a ReadPropertyMultiple answer")
        out = []
        for objid, prop, _index, value in answer:
            out.append((f"{objid[0]},{objid[1]}", str(prop), plain(value)))
        return out

    async def read_property(self, obj: str, prop: str) -> BacnetValue:
        try:
            answer = await self._app.read_property(self._address, ObjectIdentifier(obj), prop)
        except ErrorRejectAbortNack as exc:
            raise DeviceError(_describe(exc)) from None
        if isinstance(answer, ErrorRejectAbortNack):
            raise DeviceError(_describe(answer))
        return plain(answer)

    async def close(self) -> None:
        return None


def _describe(exc: object) -> str:
    for name in ("errorCode", "apduAbortRejectReason"):
        code = getattr(exc, name, None)
        if code is not None:
            return f"{type(exc).__name__}: {code}"
    return str(exc) or type(exc).__name__


def bacnet_address(device: DeviceSpec) -> str:
    """The device's BACnet/IP address in bacpypes3 syntax (``host`` or ``host:port``)."""
    return device.host if device.target_port == 47808 else f"{device.host}:{device.target_port}"


@dataclass(frozen=True, slots=True)
class _Tag:
    index: int
    ref: BacnetRef

    @property
    def obj(self) -> str:
        return f"{self.ref.object_type},{self.ref.instance}"


class BacnetDriver:
    """Reads a device's BACnet properties, with status flags as quality."""

    def __init__(
        self, device: DeviceSpec, hub: BacnetHub, connect: BacnetConnect | None = None
    ) -> None:
        self.device = device
        self._hub = hub
        self._retained = False
        self._app: Any = None
        self._connect = connect
        self._tags = [_Tag(i, parse_bacnet(t.address)) for i, t in enumerate(device.tags)]
        self.use_rpm = True
        self._pool: LinkPool[BacnetLink] = LinkPool(
            self._open, _close, device.max_in_flight, shared=True
        )

    async def _open(self) -> BacnetLink:
        if self._connect is not None:
            return await self._connect(self.device)
        if not self._retained:
            self._app = self._hub.retain()
            self._retained = True
        return _BacpypesLink(self._app, bacnet_address(self.device))

    def _wants_flags(self, tag: _Tag) -> bool:
        return (
            self.device.status_flags
            and tag.ref.property == "present-value"
            and tag.ref.object_type in FLAGGED
        )

    async def read(self) -> PollResult:
        cycle = Cycle(self.device.timeout)
        readings: list[Reading | None] = [None] * len(self._tags)
        if self.use_rpm:
            await self._read_rpm(cycle, readings)
        if not self.use_rpm:
            await asyncio.gather(
                *(
                    self._read_one(cycle, t, readings)
                    for t in self._tags
                    if readings[t.index] is None
                )
            )
        done = [r if r is not None else bad(self.device.tags[i], "bacnet", "not read")
                for i, r in enumerate(readings)]  # fmt: skip
        return PollResult(done, cycle.stats)

    async def _read_rpm(self, cycle: Cycle, readings: list[Reading | None]) -> None:
        objects: dict[str, list[_Tag]] = {}
        for tag in self._tags:
            objects.setdefault(tag.obj, []).append(tag)
        names = list(objects)
        batches = [names[i : i + MAX_OBJECTS_PER_REQUEST]
                   for i in range(0, len(names), MAX_OBJECTS_PER_REQUEST)]  # fmt: skip
        await asyncio.gather(*(self._rpm_batch(cycle, [(n, objects[n]) for n in b], readings)
                               for b in batches))  # fmt: skip

    async def _rpm_batch(
        self, cycle: Cycle, batch: list[tuple[str, list[_Tag]]], readings: list[Reading | None]
    ) -> None:
        message = "bacnet read_property_multiple"
        specs: list[tuple[str, list[str]]] = []
        for obj, tags in batch:
            props = list(dict.fromkeys(t.ref.property for t in tags))
            if any(self._wants_flags(t) for t in tags):
                props.append("status-flags")
            specs.append((obj, props))
        try:
            async with self._pool.link(cycle) as link:
                answer = await cycle.request(lambda: link.read_multiple(specs))
        except RequestError as failed:
            if failed.kind == "error" and any(s in failed.detail.lower() for s in _REFUSED_SERVICE):
                self.use_rpm = False  # read property by property from now on
                return
            for _obj, tags in batch:
                for tag in tags:
                    readings[tag.index] = bad(self.device.tags[tag.index], message, failed)
            return
        values = {(obj, prop): value for obj, prop, value in answer}
        for obj, tags in batch:
            flags = values.get((obj, "status-flags"))
            for tag in tags:
                value = values.get((obj, tag.ref.property), PropertyError("not in the answer"))
                readings[tag.index] = self._reading(
                    tag, value, flags if self._wants_flags(tag) else None, message
                )

    async def _read_one(self, cycle: Cycle, tag: _Tag, readings: list[Reading | None]) -> None:
        message = "bacnet read_property"
        try:
            async with self._pool.link(cycle) as link:
                value = await cycle.request(lambda: link.read_property(tag.obj, tag.ref.property))
        except RequestError as failed:
            readings[tag.index] = bad(self.device.tags[tag.index], message, failed)
            return
        readings[tag.index] = self._reading(tag, value, None, message)

    def _reading(self, tag: _Tag, value: BacnetValue, flags: BacnetValue, message: str) -> Reading:
        spec = self.device.tags[tag.index]
        if isinstance(value, PropertyError):
            return bad(spec, message, value.text)
        if value is None or isinstance(value, list):
            return bad(spec, message, "not a scalar value")
        scaled, quality = finish(spec, value)
        if isinstance(flags, list) and len(flags) >= 4:
            if flags[1]:
                return Reading(spec, scaled, Quality.BAD, message, "fault flag set")
            if flags[3] and quality is Quality.GOOD:
                quality = Quality.UNCERTAIN
        return Reading(spec, scaled, quality, message)

    async def close(self) -> None:
        await self._pool.close()
        if self._retained:
            self._retained = False
            self._app = None
            self._hub.release()


async def _close(link: BacnetLink) -> None:
    await link.close()
