"""What every driver shares: the driver interface, one poll cycle's bookkeeping, link pools.

A driver reads all tags of one device once per call (``Driver.read``) and
never raises for trouble at the device: every request goes through
``Cycle.request``, which times it, counts it (requests, answers, errors,
timeouts, response times: what ``DeviceHealth`` reports) and turns what went
wrong into ``RequestError`` with one of four kinds:

- ``error``: the device answered with an error (Modbus exception, S7 or
  OPC UA error status, BACnet error/reject/abort); it is reachable;
- ``timeout``: no answer in time;
- ``down``: no connection (refused, reset, closed) or a library failure;
- ``skipped``: not sent, because a timeout or a lost connection earlier in
  the same cycle ended it: a device that did not answer one request will
  rarely answer the next, and waiting out every timeout would stall the
  cycle for requests x timeout.

Libraries differ in what they raise, so each driver's *link* (the thin
adapter over the client library, injectable for tests) maps its library's
exceptions onto ``DeviceError``, ``LinkDownError`` and ``TimeoutError``.

``LinkPool`` enforces the device's ``max_in_flight``: at most that many
requests are outstanding at once, each on its own connection for protocols
whose servers answer one request a connection at a time (Modbus/TCP, S7,
EtherNet/IP), or all on one shared link for protocols that multiplex
(OPC UA sessions, BACnet over one UDP socket).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from otm.polling.tags import DeviceSpec, Quality, TagSpec

Value = float | int | bool | str
"""A tag's value as the observations carry it."""

T = TypeVar("T")
L = TypeVar("L")

FailureKind = Literal["error", "timeout", "down", "skipped"]


class DeviceError(Exception):
    """The device answered, with an error; ``code`` is the protocol's error code if any."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class LinkDownError(Exception):
    """No usable connection to the device (refused, reset, closed, never opened)."""


class RequestError(Exception):
    """A request of a cycle that brought no value; ``kind`` says how it failed."""

    def __init__(self, kind: FailureKind, detail: str, code: int | None = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind: FailureKind = kind
        self.detail = detail
        self.code = code


@dataclass(frozen=True, slots=True)
class Reading:
    """One tag's outcome in one cycle: its value (scaled) and quality, or why none.

    ``message`` names the protocol operation that read it, for the evidence
    (``modbus read_holding_registers``).
    """

    tag: TagSpec
    value: Value | None
    quality: Quality
    message: str
    error: str = ""


@dataclass(slots=True)
class CycleStats:
    """Counts of one cycle: what ``DeviceHealth`` adds up over its interval.

    ``requests`` counts connection attempts too (a refused connection is a
    request that failed); ``answered`` and ``ok`` count only requests for data
    that got an answer (``ok``: one that was not an error), so a device that
    accepts connections but never answers reads as failed, not as answering.
    """

    requests: int = 0
    answered: int = 0
    ok: int = 0
    errors: int = 0
    timeouts: int = 0
    rtts: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PollResult:
    """Everything one ``Driver.read`` learnt: a reading per tag, in tag order, and the counts."""

    readings: list[Reading]
    stats: CycleStats


class Driver(Protocol):
    """Reads every tag of one device; one instance per device, reused cycle after cycle."""

    device: DeviceSpec

    async def read(self) -> PollResult:
        """Read all tags once; never raises for trouble at the device."""
        ...

    async def close(self) -> None:
        """Close connections; the driver may be read again afterwards (it reconnects)."""
        ...


async def bounded(awaitable: Awaitable[T], timeout: float) -> T:
    """``awaitable``'s result within ``timeout`` seconds, else ``TimeoutError``.

    Unlike ``asyncio.wait_for`` this does not wait for the cancelled call to
    wind down: a client library that absorbs or delays cancellation (some
    keep a request alive until their own retry timers end) cannot stretch a
    cycle past its timeout.  The abandoned call finishes in the background and
    its outcome is dropped; the link it used is closed by ``LinkPool``.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        done, _pending = await asyncio.wait({task}, timeout=timeout)
    except BaseException:
        task.cancel()
        task.add_done_callback(_drop_outcome)
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_drop_outcome)
        raise TimeoutError
    if task.cancelled():  # cancelled inside the library, not by us: the link is gone
        raise LinkDownError("the client library cancelled the request")
    return task.result()


def _drop_outcome(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


class Cycle:
    """One poll cycle of one device: times and counts its requests, ends it at the first loss."""

    def __init__(self, timeout: float, clock: Callable[[], float] = time.perf_counter) -> None:
        self.timeout = timeout
        self.stats = CycleStats()
        self.ended: str = ""  # why the rest of the cycle is skipped; empty while it runs
        self._clock = clock

    async def request(self, call: Callable[[], Awaitable[T]], *, connect: bool = False) -> T:
        """Run one request (``connect``: opening a link); its result, or ``RequestError``."""
        if self.ended:
            raise RequestError("skipped", self.ended)
        stats = self.stats
        stats.requests += 1
        started = self._clock()
        try:
            result = await bounded(call(), self.timeout)
        except DeviceError as exc:
            stats.errors += 1
            if not connect:
                stats.answered += 1
                stats.rtts.append(self._clock() - started)
            raise RequestError("error", str(exc) or type(exc).__name__, exc.code) from None
        except TimeoutError:
            stats.timeouts += 1
            self.ended = f"no answer within {self.timeout:g} s"
            raise RequestError("timeout", self.ended) from None
        except (LinkDownError, OSError, EOFError) as exc:
            stats.errors += 1
            self.ended = f"connection lost: {exc or type(exc).__name__}"
            raise RequestError("down", self.ended) from None
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a client library's own failure must not stop the poller
            stats.errors += 1
            self.ended = f"{type(exc).__name__}: {exc}"
            raise RequestError("down", self.ended) from None
        if not connect:
            stats.answered += 1
            stats.ok += 1
            stats.rtts.append(self._clock() - started)
        return result


class LinkPool(Generic[L]):
    """At most ``size`` requests in flight to one device, over lazily opened links.

    ``shared=False``: up to ``size`` links, one request each at a time.
    ``shared=True``: one link used by up to ``size`` concurrent requests.
    A link whose request timed out or lost its connection is closed and
    opened again by the next request that needs it (answers to a request
    that timed out may still arrive and must not be taken for the next one).
    """

    def __init__(
        self,
        connect: Callable[[], Awaitable[L]],
        close: Callable[[L], Awaitable[None]],
        size: int,
        *,
        shared: bool = False,
    ) -> None:
        self._connect = connect
        self._close = close
        self._size = size
        self._shared = shared
        self._idle: list[L | None] = [None] * (1 if shared else size)
        self._shared_lock = asyncio.Lock()
        self._slots = asyncio.Semaphore(size)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.in_flight = 0
        self.peak_in_flight = 0

    def _bind(self) -> None:
        """Start afresh on a new event loop: asyncio locks and open links belong to one loop."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._idle = [None] * (1 if self._shared else self._size)
            self._shared_lock = asyncio.Lock()
            self._slots = asyncio.Semaphore(self._size)

    @asynccontextmanager
    async def link(self, cycle: Cycle) -> AsyncIterator[L]:
        """A connected link for one request; the connect itself is a request of ``cycle``."""
        self._bind()
        async with self._slots:
            link: L
            if self._shared:
                async with self._shared_lock:
                    shared = self._idle[0]
                    if shared is None:
                        shared = await cycle.request(self._connect, connect=True)
                        self._idle[0] = shared
                    link = shared
            else:
                held = self._idle.pop()
                if held is None:
                    try:
                        held = await cycle.request(self._connect, connect=True)
                    except BaseException:
                        self._idle.append(None)
                        raise
                link = held
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            keep = True
            try:
                yield link
            except RequestError as failed:
                keep = failed.kind not in ("timeout", "down")
                raise
            except BaseException:
                keep = False
                raise
            finally:
                self.in_flight -= 1
                await self._release(link, keep)

    async def _release(self, link: L, keep: bool) -> None:
        if self._shared:
            if not keep and self._idle[0] is link:
                self._idle[0] = None
                await self._quiet_close(link)
            return
        if keep:
            self._idle.append(link)
        else:
            self._idle.append(None)
            await self._quiet_close(link)

    async def _quiet_close(self, link: L) -> None:
        try:
            await bounded(self._close(link), 5.0)
        except Exception:  # closing a broken link may fail in any way; it is gone either way
            return

    async def close(self) -> None:
        """Close every idle link (call when no request is running)."""
        if self._loop is not asyncio.get_running_loop():
            return  # links of another loop cannot be closed from this one
        for i, link in enumerate(self._idle):
            if link is not None:
                self._idle[i] = None
                await self._quiet_close(link)


def bad(tag: TagSpec, message: str, failure: RequestError | str) -> Reading:
    """The reading of a tag that could not be read."""
    error = failure if isinstance(failure, str) else str(failure)
    return Reading(tag, None, Quality.BAD, message, error)
