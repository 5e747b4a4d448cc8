"""The poller: every device of a tag document polled concurrently, on its own interval.

``poll(config, sink, stop)`` runs one asyncio task per device until ``stop``
is set.  Each cycle reads all the device's tags through its driver (batched,
at most ``max_in_flight`` requests at once), hands the samples that pass
deadband and report-by-exception (``reporting``) and, when due, a
``DeviceHealth`` (``health``) to ``sink`` in one list, then sleeps until the
next tick.

Scheduling:

- device *i* of *n* starts ``interval * i / n`` after the others, so a
  hundred devices on the same interval do not all fire on the same tick
  (which raises every device's latency);
- ticks keep their phase: a cycle that overruns its interval skips the ticks
  it missed (counted in ``PollSummary.missed``) rather than polling back to
  back;
- a failed cycle (no answer at all) backs off exponentially:
  ``interval * 2**(k-1)`` after the k-th failure in a row, at most
  ``backoff_max`` seconds, so a dead device is not hammered and a plant
  with many dead devices does not spend its time waiting on timeouts;
- health is reported every ``health_interval`` seconds and at once when the
  state changes; when ``stop`` is set, a cycle in flight completes, its
  observations and the counts not yet reported are delivered, then the
  drivers are closed.  Nothing a device answered is dropped.

``sink`` is called from the event loop; it should be quick (hand off to a
queue or a buffer).  An exception in ``sink`` stops the poller and is raised
from ``poll``.  Times in observations come from ``clock`` (default
``time.time``: a poll is observed when it is made).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from otm.observations.records import Evidence, Observation
from otm.polling.drivers import DriverFactory, DriverSet
from otm.polling.drivers.base import Driver
from otm.polling.health import CycleCounts, HealthTracker, Verdict
from otm.polling.reporting import Reporter
from otm.polling.tags import DeviceSpec, TagDocument

Sink = Callable[[list[Observation]], None]
"""Where observations go: called once per device cycle with that cycle's observations."""


@dataclass
class PollSummary:
    """What a ``poll`` run did, for the command line and the benchmark."""

    cycles: int = 0
    samples: int = 0
    health_reports: int = 0
    requests: int = 0
    errors: int = 0
    timeouts: int = 0
    missed: int = 0
    max_lag: float = 0.0  # seconds a cycle started after its tick, at worst


def backoff(device: DeviceSpec, failures: int) -> float:
    """Seconds to wait after the ``failures``-th failed cycle in a row."""
    return float(min(device.backoff_max, device.interval * 2 ** max(0, failures - 1)))


async def poll(
    config: TagDocument,
    sink: Sink,
    stop: asyncio.Event,
    *,
    drivers: DriverFactory | None = None,
    clock: Callable[[], float] = time.time,
) -> PollSummary:
    """Poll every device of ``config`` until ``stop`` is set; see the module docstring."""
    factory = drivers if drivers is not None else DriverSet(config)
    built: list[tuple[DeviceSpec, Driver]] = []
    summary = PollSummary()
    try:
        for device in config.devices:
            built.append((device, factory(device)))
        count = len(built)
        async with asyncio.TaskGroup() as group:
            for i, (device, driver) in enumerate(built):
                offset = device.interval * i / count
                group.create_task(_run(device, driver, sink, stop, clock, summary, offset))
    except BaseExceptionGroup as group_error:
        first = group_error.exceptions[0]
        raise first from None
    finally:
        for _device, driver in built:
            try:
                await driver.close()
            except Exception:  # a driver that cannot close cleanly is gone anyway
                continue
    return summary


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when stopping."""
    if stop.is_set():
        return True
    if seconds <= 0:
        return False
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def _run(
    device: DeviceSpec,
    driver: Driver,
    sink: Sink,
    stop: asyncio.Event,
    clock: Callable[[], float],
    summary: PollSummary,
    offset: float,
) -> None:
    loop = asyncio.get_running_loop()
    tracker = HealthTracker(device.health, device.slow_seconds)
    reporter = Reporter(device)
    evidence = Evidence("poll", device.name, None, f"{device.protocol} poll")
    due = loop.time() + offset
    failures = 0
    while not await _sleep_or_stop(stop, due - loop.time()):
        started = loop.time()
        summary.max_lag = max(summary.max_lag, started - due)
        result = await driver.read()
        now = clock()
        stats = result.stats
        counts = CycleCounts(
            stats.requests, stats.answered, stats.errors, stats.timeouts, stats.rtts, stats.ok
        )
        observations: list[Observation] = []
        observations.extend(reporter.samples(result.readings, now))
        summary.samples += len(observations)
        changed = tracker.observe(counts, now)
        if changed or tracker.due(now, device.health_interval):
            observations.append(tracker.report(now, device.host, evidence, device.protocol))
            summary.health_reports += 1
        summary.cycles += 1
        summary.requests += stats.requests
        summary.errors += stats.errors
        summary.timeouts += stats.timeouts
        if observations:
            sink(observations)
        if tracker.last_verdict is Verdict.FAILED:
            failures += 1
            due = loop.time() + backoff(device, failures)
            continue
        failures = 0
        due += device.interval
        behind = loop.time() - due
        if behind >= 0:
            missed = int(behind // device.interval) + 1
            summary.missed += missed
            due += missed * device.interval
    if tracker.pending:
        sink([tracker.report(clock(), device.host, evidence, device.protocol)])
        summary.health_reports += 1
