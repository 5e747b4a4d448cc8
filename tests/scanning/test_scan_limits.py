"""Pacing in virtual time: one request in flight per device, per-device and global rates."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from otm.scanning.limits import Limits, SystemClock, VirtualClock


def _starts(limits: Limits, devices: list[str], hold: float = 0.0) -> list[tuple[str, float]]:
    clock = limits.clock
    assert isinstance(clock, VirtualClock)
    out: list[tuple[str, float]] = []

    async def one(device: str) -> None:
        async with limits.slot(device):
            out.append((device, clock.monotonic()))
            if hold:
                await clock.sleep(hold)

    async def main() -> None:
        await asyncio.gather(*(one(d) for d in devices))

    asyncio.run(main())
    return out


def test_one_device_gets_at_most_device_rate_requests_a_second() -> None:
    limits = Limits(rate=100, device_rate=2, clock=VirtualClock())
    times = [t for _, t in _starts(limits, ["a"] * 5)]
    assert times == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])


def test_the_global_rate_spaces_requests_to_many_devices() -> None:
    limits = Limits(rate=5, device_rate=100, clock=VirtualClock())
    times = sorted(t for _, t in _starts(limits, [f"d{n}" for n in range(10)]))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(0.2)
    assert times[-1] == pytest.approx(1.8)


def test_one_request_in_flight_per_device() -> None:
    limits = Limits(rate=100, device_rate=100, clock=VirtualClock())
    starts = [t for _, t in _starts(limits, ["a", "a", "a"], hold=1.0)]
    # each waits until the previous exchange (1 s) ended
    assert starts == pytest.approx([0.0, 1.0, 2.0])


def test_devices_do_not_wait_for_each_other_beyond_the_global_rate() -> None:
    limits = Limits(rate=10, device_rate=1, clock=VirtualClock())
    starts = dict(_starts(limits, ["a", "b"], hold=5.0))
    assert starts["b"] == pytest.approx(0.1)


@pytest.mark.parametrize(
    "kwargs",
    [{"rate": 0}, {"device_rate": -1}, {"timeout": 0}, {"retries": -1}, {"retries": 4}],
)
def test_nonsense_limits_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Limits(**kwargs)  # type: ignore[arg-type]


def test_defaults_are_conservative() -> None:
    limits = Limits()
    assert (limits.rate, limits.device_rate, limits.timeout, limits.retries) == (5.0, 2.0, 2.0, 1)
    assert isinstance(limits.clock, SystemClock)


def test_virtual_clock_reports_epoch_time_and_cancels_cleanly() -> None:
    clock = VirtualClock(start=1000.0)

    async def main() -> None:
        task = asyncio.create_task(clock.sleep(5))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await clock.sleep(1)

    asyncio.run(main())
    assert clock.time() == pytest.approx(1001.0)
