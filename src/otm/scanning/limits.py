"""How gently the scanner asks: one request in flight per device, paced, with timeouts.

PLCs of the 1990s still run plants: some answer one connection at a time,
some fall over when hammered.  So every request a scan sends first takes the
device's *slot* (``Limits.slot``):

- one request in flight per device (a lock held from send to answer or
  timeout);
- at most ``device_rate`` requests a second to one device (default 2);
- at most ``rate`` requests a second in all (default 5), whatever the number
  of devices scanned in parallel;
- every wait for an answer is bounded by ``timeout`` (default 2 s), and a
  request that timed out is sent again at most ``retries`` times (default 1).

A TCP connection attempt counts as a request: the SYN reaches the device.
Time comes from an injected ``Clock`` so tests run in virtual time
(``VirtualClock``) and observation times are the scan's, not the test's.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

MAX_RETRIES = 3
"""A retry budget above 3 turns a dead device into a small flood."""


class Clock(Protocol):
    """Where the scanner reads time and waits."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (pacing)."""
        ...

    def time(self) -> float:
        """Seconds since the Unix epoch, UTC (observation times)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The machine's clocks and asyncio's sleep."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


class VirtualClock:
    """Virtual time for tests: a sleep returns at once and moves time forward.

    Sleepers wake in order of their wake-up time: a sleeping task yields to
    the event loop until every other runnable task has had its turn, then time
    jumps to the earliest wake-up pending.  Only correct when the tasks wait
    on nothing but this clock and each other (fake transports), which is what
    tests give it.  ``start`` is the epoch time ``time()`` reports at 0.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = 0.0
        self.start = start
        self._wakeups: list[tuple[float, int]] = []
        self._counter = 0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.start + self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        self._counter += 1
        mine = (self.now + seconds, self._counter)
        heapq.heappush(self._wakeups, mine)
        try:
            while True:
                # Let every other runnable task run first (a few passes of the loop).
                for _ in range(8):
                    await asyncio.sleep(0)
                if self._wakeups[0] == mine:
                    heapq.heappop(self._wakeups)
                    self.now = max(self.now, mine[0])
                    return
        except BaseException:
            if mine in self._wakeups:
                self._wakeups.remove(mine)
                heapq.heapify(self._wakeups)
            raise


@dataclass
class Limits:
    """Pacing, timeouts and retries for one scan (see the module docstring).

    ``rate`` and ``device_rate`` are requests per second; ``timeout`` is
    seconds to wait for a connection or an answer; ``retries`` how many times
    a request that got no answer is sent again.
    """

    rate: float = 5.0
    device_rate: float = 2.0
    timeout: float = 2.0
    retries: int = 1
    clock: Clock = field(default_factory=SystemClock)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict, init=False, repr=False)
    _next_global: float = field(default=0.0, init=False, repr=False)
    _next_device: dict[str, float] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.rate > 0 or not self.device_rate > 0:
            raise ValueError("rates must be positive")
        if not self.timeout > 0:
            raise ValueError("the timeout must be positive")
        if not 0 <= self.retries <= MAX_RETRIES:
            raise ValueError(f"retries must be 0 to {MAX_RETRIES}")

    def now(self) -> float:
        """Epoch seconds: the time observations carry."""
        return self.clock.time()

    @asynccontextmanager
    async def slot(self, device: str) -> AsyncIterator[None]:
        """Hold ``device``'s only request slot, once the rates allow a new request.

        ``device`` is an IP address, a broadcast address or an interface name.
        The slot is held for the whole exchange: the next request to the same
        device waits until this one is answered or timed out.
        """
        lock = self._locks.get(device)
        if lock is None:
            lock = self._locks[device] = asyncio.Lock()
        async with lock:
            clock = self.clock
            wait = self._next_device.get(device, 0.0) - clock.monotonic()
            if wait > 0:
                await clock.sleep(wait)
            # Reserve the next global slot without yielding in between.
            now = clock.monotonic()
            start = max(now, self._next_global)
            self._next_global = start + 1.0 / self.rate
            if start > now:
                await clock.sleep(start - now)
            self._next_device[device] = clock.monotonic() + 1.0 / self.device_rate
            yield
