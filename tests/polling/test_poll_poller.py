"""The poller over fake drivers: intervals, staggering, backoff, stop, sink failures, scale."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from poll_support import Collector

from otm.polling import parse_tags, poll
from otm.polling.drivers.base import CycleStats, PollResult, Reading
from otm.polling.poller import backoff
from otm.polling.tags import DeviceSpec, Quality, TagDocument


class FakeDriver:
    """Answers after ``delay`` with a counter value, or fails while ``failing``."""

    def __init__(self, device: DeviceSpec, delay: float = 0.0) -> None:
        self.device = device
        self.delay = delay
        self.failing = False
        self.reads: list[float] = []
        self.closed = False
        self.in_flight = 0
        self.peak = 0

    async def read(self) -> PollResult:
        self.reads.append(time.monotonic())
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if self.failing:
            stats = CycleStats(requests=1, errors=1)
            return PollResult([Reading(t, None, Quality.BAD, "fake read", "refused")
                               for t in self.device.tags], stats)  # fmt: skip
        stats = CycleStats(requests=1, answered=1, ok=1, rtts=[self.delay])
        n = len(self.reads)
        return PollResult(
            [Reading(t, n, Quality.GOOD, "fake read") for t in self.device.tags], stats
        )

    async def close(self) -> None:
        self.closed = True


def _config(devices: int, interval: float, **extra: object) -> TagDocument:
    options = "".join(f"    {k}: {v}\n" for k, v in extra.items())
    text = "schema: otm.tags/1\ndevices:\n"
    for d in range(devices):
        text += (f"  - name: d{d}\n    protocol: modbus\n    host: 10.0.{d // 250}.{d % 250 + 1}\n"
                 f"    interval: {interval}\n{options}    tags:\n"
                 f"      - {{name: d{d}.a, address: 'hr:0'}}\n"
                 f"      - {{name: d{d}.b, address: 'hr:1'}}\n")  # fmt: skip
    return parse_tags(text)


def _run(config: TagDocument, seconds: float, drivers: dict[str, FakeDriver], sink: Collector,
         stop_after: float | None = None) -> object:  # fmt: skip
    def factory(device: DeviceSpec) -> FakeDriver:
        return drivers.setdefault(device.name, FakeDriver(device))

    async def scenario() -> object:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(stop_after or seconds, stop.set)
        return await poll(config, sink, stop, drivers=factory)

    return asyncio.run(scenario())


def test_poll_each_device_on_its_own_interval() -> None:
    config = parse_tags("""
schema: otm.tags/1
devices:
  - {name: fast, protocol: modbus, host: 10.0.0.1, interval: 0.02,
     tags: [{name: f, address: "hr:0"}]}
  - {name: slow, protocol: modbus, host: 10.0.0.2, interval: 0.1,
     tags: [{name: s, address: "hr:0"}]}
""")
    drivers: dict[str, FakeDriver] = {}
    got = Collector()
    summary = _run(config, 0.5, drivers, got)
    fast, slow = len(drivers["fast"].reads), len(drivers["slow"].reads)
    assert 10 <= fast <= 26 and 3 <= slow <= 6 and fast > 2 * slow, (fast, slow)
    assert len(got.samples("f")) == fast and len(got.samples("s")) == slow
    assert all(d.closed for d in drivers.values())
    assert summary.cycles == fast + slow  # type: ignore[attr-defined]


def test_poll_devices_are_staggered_over_the_interval() -> None:
    drivers: dict[str, FakeDriver] = {}
    _run(_config(4, 0.2), 0.19, drivers, Collector())
    firsts = sorted(d.reads[0] for d in drivers.values())
    gaps = [b - a for a, b in itertools.pairwise(firsts)]
    assert all(0.02 < g < 0.1 for g in gaps), gaps


def test_poll_failures_back_off_exponentially_up_to_the_cap() -> None:
    device = _config(1, 0.02, backoff_max=0.16).devices[0]
    assert [backoff(device, k) for k in range(1, 7)] == [0.02, 0.04, 0.08, 0.16, 0.16, 0.16]
    drivers = {"d0": FakeDriver(device)}
    drivers["d0"].failing = True
    got = Collector()
    _run(_config(1, 0.02, backoff_max=0.16), 0.75, drivers, got)
    reads = drivers["d0"].reads
    gaps = [b - a for a, b in itertools.pairwise(reads)]
    expected = [0.02, 0.04, 0.08] + [0.16] * (len(gaps) - 3)
    assert len(gaps) >= 5
    assert all(e - 0.005 <= g <= e + 0.06 for g, e in zip(gaps, expected, strict=True)), gaps
    assert got.states() == ["degraded", "down"]
    assert {s.quality for s in got.samples()} == {"bad"}


def test_poll_stop_lets_the_cycle_in_flight_finish_and_reports_the_rest() -> None:
    config = _config(1, 0.05, health_interval=60)
    device = config.devices[0]
    drivers = {"d0": FakeDriver(device, delay=0.2)}
    got = Collector()
    _run(config, 0.1, drivers, got)
    assert len(drivers["d0"].reads) == 1
    assert [s.value for s in got.samples()] == [1, 1]  # the read in flight was delivered
    health = got.health()
    assert len(health) == 1 and health[0].requests == 1  # first state, then nothing pending
    assert drivers["d0"].closed


def test_poll_final_health_carries_counts_not_yet_reported() -> None:
    got = Collector()
    _run(_config(1, 0.02, health_interval=60), 0.3, {}, got)
    health = got.health()
    assert len(health) == 2  # the first (a state change) and the final one
    assert health[1].requests > 5 and health[1].state == "up"


def test_poll_a_failing_sink_stops_the_poller_and_closes_drivers() -> None:
    drivers: dict[str, FakeDriver] = {}

    def sink(batch: object) -> None:
        raise OSError("disk full")

    def factory(device: DeviceSpec) -> FakeDriver:
        return drivers.setdefault(device.name, FakeDriver(device))

    async def scenario() -> None:
        await poll(_config(3, 0.02), sink, asyncio.Event(), drivers=factory)

    with pytest.raises(OSError, match="disk full"):
        asyncio.run(scenario())
    assert len(drivers) == 3 and all(d.closed for d in drivers.values())


def test_poll_many_devices_concurrently() -> None:
    config = _config(200, 0.1)
    drivers: dict[str, FakeDriver] = {}

    def factory(device: DeviceSpec) -> FakeDriver:
        return drivers.setdefault(device.name, FakeDriver(device, delay=0.05))

    got = Collector()

    async def scenario() -> object:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.0, stop.set)
        return await poll(config, got, stop, drivers=factory)

    summary = asyncio.run(scenario())
    counts = [len(d.reads) for d in drivers.values()]
    assert min(counts) >= 6, min(counts)  # 50 ms reads overlap: 200 devices keep their 100 ms
    assert all(d.peak == 1 for d in drivers.values())  # one cycle at a time per device
    assert summary.samples == len(got.samples()) == 2 * sum(counts)  # type: ignore[attr-defined]


def test_poll_report_by_exception_reduces_samples() -> None:
    config = _config(1, 0.02, report_by_exception="true")

    class Steady(FakeDriver):
        async def read(self) -> PollResult:
            result = await super().read()
            return PollResult([Reading(r.tag, 5, r.quality, r.message) for r in result.readings],
                              result.stats)  # fmt: skip

    drivers: dict[str, FakeDriver] = {"d0": Steady(config.devices[0])}
    got = Collector()
    _run(config, 0.3, drivers, got)
    assert len(drivers["d0"].reads) > 5 and len(got.samples()) == 2
