"""Benchmark: the whole monitoring chain, poller -> historian, with device health and alarms.

Issue 5's target is 10,000 tag samples per second sustained end to end on
SQLite.  This runs otm's real ``Monitor`` (``otm.services.monitor``: the
poller, the in-memory inbox, a flush every ``--flush`` seconds in a worker
thread that writes the samples to the historian, the health reports to the
store and feeds the alarm engine and saves its state) into a fresh database,
against ``--devices`` pymodbus servers shared between ``--processes`` child
processes (``bench/modbus_farm.py``), each device on its own loopback
address (127.1.x.y: health and alarms are per address) with ``--tags`` tags
(int16, uint16, uint32, float32 in contiguous holding registers) polled every
``--interval`` seconds, health reported every 10 s.  The alarm file has a
``device_down`` alarm per device and ``--alarms`` limit alarms (HI and LO)
on int16 tags, with limits the values never reach; flood handling is the
default.  After ``--warmup`` seconds (connections, the first flush that
registers the devices) it measures for ``--seconds`` and prints:

- the offered rate (devices x tags / interval), the samples the poller
  handed the monitor (its inbox, counted) and those the historian stored
  per second, overall and in the slowest tenth of the run (counters read
  every quarter second, and ``status.stored`` at the end of each flush,
  interpolated at the tenths' bounds); the backlog (received, not yet
  stored), the most samples the historian ever held (``status.pending``)
  and dropped;
- each flush's duration and size, the historian write's share of it;
- end-to-end latency of every sample polled in the window: from its poll
  time (``TagSample.time``) to the commit of the write that stored it (the
  bench wraps ``Historian.write``; src is unchanged);
- the poller's missed ticks and worst lag (``status.poll``, whole run), the
  health changes and alarm events reported through ``on_event``;
- CPU (% of one core) of the process, of its event loop thread (the poller)
  and of the device servers, from ``getrusage`` and ``/proc``;
- the database size per sample and, after the run, the samples the
  historian holds against the samples the monitor received: ``lost``.

Client and servers share the machine.  Figures only, nothing asserted.

Usage::

    python bench/monitor.py [--devices 120] [--tags 50] [--interval 0.5]
        [--seconds 60] [--flush 1.0] [--alarms 120] [--backend sqlite|postgresql]
        [--pg URL] [--keep]

PostgreSQL: a database ``otm_bench_<random>`` is created on ``--pg`` (an
admin URL, default the test server) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import os
import resource
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import sqlalchemy as sa

import otm.services.monitor as monitor_service
from historian import database, size_bytes
from modbus_farm import children_cpu, farm, free_port, loopback_hosts
from otm.alarms import AlarmTransition, FloodSummary
from otm.historian import Historian
from otm.model.monitoring import HealthChange
from otm.observations.records import Observation, TagSample
from otm.polling.tags import TagDocument, tags_from_document
from otm.services.monitor import Monitor, MonitorEvent, MonitorOptions, Problem
from otm.store.monitoring import MonitoringStore

TYPES = [("int16", 1), ("uint16", 1), ("uint32", 2), ("float32", 2)]


def tag_document(hosts: list[str], port: int, tags: int, interval: float) -> TagDocument:
    devices = []
    for d, host in enumerate(hosts):
        entries, register = [], 0
        for t in range(tags):
            dtype, width = TYPES[t % len(TYPES)]
            entries.append(
                {"name": f"plc{d:03d}.t{t:03d}", "address": f"hr:{register}", "type": dtype}
            )
            register += width
        devices.append({
            "name": f"plc{d:03d}", "protocol": "modbus", "host": host, "port": port,
            "interval": interval, "timeout": 2.0, "health_interval": 10.0, "tags": entries,
        })  # fmt: skip
    return tags_from_document({"schema": "otm.tags/1", "devices": devices}, "bench")


def alarm_text(hosts: list[str], tags: int, limits: int) -> str:
    """A device_down alarm per device; ``limits`` HI/LO alarms on int16 tags, never reached."""
    alarms: list[dict[str, Any]] = [
        {"name": f"plc{d:03d}-down", "kind": "device_down", "device": host, "priority": "high"}
        for d, host in enumerate(hosts)
    ]
    int16 = list(range(0, tags, len(TYPES)))  # the register values are 0..~600
    for k in range(min(limits, len(hosts) * len(int16))):
        d, t = k % len(hosts), int16[k // len(hosts)]
        alarms.append({
            "name": f"plc{d:03d}.t{t:03d}", "kind": "limit", "device": hosts[d],
            "tag": f"plc{d:03d}.t{t:03d}", "hi": 30000, "lo": -30000, "deadband": 1,
        })  # fmt: skip
    return json.dumps({"schema": "otm.alarms/1", "alarms": alarms})  # YAML reads JSON


@dataclass
class Record:
    """What the wrapped monitor and historian saw, appended from the flush thread."""

    window: tuple[float, float] = (float("inf"), float("inf"))  # wall clock, poll times
    latencies: list[float] = field(default_factory=list)
    writing: float = 0.0  # seconds in Historian.write during the flush under way
    # per flush: (monotonic end, seconds, seconds writing, observations, status.samples,
    # status.stored, status.pending)
    flushes: list[tuple[float, float, float, int, int, int, int]] = field(default_factory=list)
    # every quarter second, from the event loop: (monotonic, samples received, status.stored)
    watched: list[tuple[float, int, int]] = field(default_factory=list)


RECORD = Record()


class TimedHistorian(Historian):
    """The real historian; each successful write notes its samples' latency at commit."""

    def write(self, samples: Iterable[TagSample]) -> int:
        batch = list(samples)
        began = time.perf_counter()
        stored = super().write(batch)
        committed = time.time()
        RECORD.writing += time.perf_counter() - began
        low, high = RECORD.window
        RECORD.latencies.extend(committed - s.time for s in batch if low <= s.time <= high)
        return stored


class Inbox(list[Observation]):
    """The monitor's inbox, counting the tag samples the poller hands it."""

    received = 0

    def extend(self, observations: Iterable[Observation]) -> None:
        batch = list(observations)
        self.received += sum(1 for o in batch if isinstance(o, TagSample))
        super().extend(batch)


class TimedMonitor(Monitor):
    """The real monitor; each flush's end, duration and the status counters then."""

    def __init__(self, url: str, options: MonitorOptions, **kwargs: Any) -> None:
        super().__init__(url, options, **kwargs)
        self.inbox = self._inbox = Inbox()

    def _flush(
        self,
        store: MonitoringStore,
        historian: Historian,
        run_id: int,
        batch: list[Observation],
        final: bool,
    ) -> None:
        began, RECORD.writing = time.monotonic(), 0.0
        super()._flush(store, historian, run_id, batch, final)
        end, s = time.monotonic(), self.status
        RECORD.flushes.append(
            (end, end - began, RECORD.writing, len(batch), s.samples, s.stored, s.pending)
        )


class Events:
    def __init__(self) -> None:
        self.health = self.alarms = self.floods = 0
        self.problems: list[str] = []

    def __call__(self, event: MonitorEvent) -> None:
        if isinstance(event, HealthChange):
            self.health += 1
        elif isinstance(event, AlarmTransition):
            self.alarms += 1
        elif isinstance(event, FloodSummary):
            self.floods += 1
        elif isinstance(event, Problem):
            self.problems.append(f"{event.part}: {event.message}")


def cpu_now(servers: list[int]) -> tuple[float, float, float, float]:
    """(wall, process CPU, this thread's CPU, servers' CPU) in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (
        time.monotonic(),
        usage.ru_utime + usage.ru_stime,
        time.thread_time(),
        children_cpu(servers),
    )


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def at(points: list[tuple[float, int]], when: float) -> float:
    """A cumulative counter at ``when``, linear between the flushes that changed it."""
    times = [t for t, _ in points]
    i = bisect.bisect_right(times, when)
    if i == 0:
        return float(points[0][1])
    if i == len(points):
        return float(points[-1][1])
    (t0, v0), (t1, v1) = points[i - 1], points[i]
    return v0 + (v1 - v0) * (when - t0) / (t1 - t0)


def rates(points: list[tuple[float, int]], start: float, end: float) -> tuple[float, float]:
    """Per second over [start, end], and in the slowest tenth of it."""
    overall = (at(points, end) - at(points, start)) / (end - start)
    bounds = [start + (end - start) * k / 10 for k in range(11)]
    tenths = [(at(points, b) - at(points, a)) / (b - a) for a, b in itertools.pairwise(bounds)]
    return overall, min(tenths)


async def run(
    url: str, options: MonitorOptions, servers: list[int], warmup: float, seconds: float
) -> dict[str, Any]:
    events = Events()
    monitor = TimedMonitor(url, options, on_event=events)
    stop = asyncio.Event()
    task = asyncio.create_task(monitor.run(stop))

    def note() -> None:
        RECORD.watched.append((time.monotonic(), monitor.inbox.received, monitor.status.stored))

    async def watch() -> None:
        while True:
            note()
            await asyncio.sleep(0.25)

    watcher = asyncio.create_task(watch())
    await asyncio.wait({task}, timeout=warmup)  # a monitor that fails says so at once
    RECORD.window = (time.time(), float("inf"))
    first, loads = cpu_now(servers), [os.getloadavg()[0]]
    note()
    await asyncio.wait({task}, timeout=seconds)
    last = cpu_now(servers)
    loads.append(os.getloadavg()[0])
    note()
    RECORD.window = (RECORD.window[0], time.time())
    stop.set()
    watcher.cancel()
    status = await task
    return {"status": status, "events": events, "first": first, "last": last, "loads": loads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=120)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--processes", type=int, default=4, help="device server processes")
    parser.add_argument("--interval", type=float, default=0.5, help="poll interval, seconds")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="before measuring")
    parser.add_argument("--flush", type=float, default=1.0, help="the monitor's flush_interval")
    parser.add_argument("--alarms", type=int, default=None, help="limit alarms (one a device)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    limits = args.devices if args.alarms is None else args.alarms

    hosts = loopback_hosts(args.devices)
    port = free_port(hosts)
    doc = tag_document(hosts, port, args.tags, args.interval)
    options = MonitorOptions(
        doc, "bench", alarm_text(hosts, args.tags, limits), "bench", flush_interval=args.flush
    )
    offered = args.devices * args.tags / args.interval
    with farm([(host, port) for host in hosts], args.processes) as servers:
        print(
            f"otm monitor on {args.backend}: {args.devices} pymodbus devices in {len(servers)} "
            f"processes x {args.tags} tags every {args.interval:g} s = {offered:,.0f} samples/s "
            f"offered; flush every {args.flush:g} s; {args.devices} device_down + {limits} "
            f"limit alarms; {os.cpu_count()} CPUs; {args.warmup:g} s warm-up, "
            f"{args.seconds:g} s measured",
            flush=True,
        )
        with (
            database(args.backend, args.pg, args.keep) as url,
            mock.patch.object(monitor_service, "Historian", TimedHistorian),
        ):
            r = asyncio.run(run(url, options, servers, args.warmup, args.seconds))
            with Historian(url) as hist:
                with hist.engine.connect() as conn:
                    held = conn.execute(sa.text("SELECT count(*) FROM historian_samples"))
                    in_db = int(held.scalar_one())
                size = size_bytes(hist, url, args.backend)
    report(offered, r, in_db, size)


def report(offered: float, r: dict[str, Any], in_db: int, size: int) -> None:
    status, events = r["status"], r["events"]
    (w0, p0, m0, s0), (w1, p1, m1, s1) = r["first"], r["last"]
    flushes = RECORD.flushes
    measured = [f for f in flushes if w0 <= f[0] <= w1]
    received = [(t, n) for t, n, _ in RECORD.watched]
    stored = [(f[0], f[5]) for f in flushes]
    backlog = [n - k for t, n, k in RECORD.watched if w0 <= t <= w1]
    got, got_low = rates(received, w0, w1)
    kept, kept_low = rates(stored, w0, w1)
    print(f"offered:   {offered:>9,.0f} samples/s")
    print(f"received:  {got:>9,.0f} samples/s overall, {got_low:,.0f} in the slowest tenth")
    print(f"stored:    {kept:>9,.0f} samples/s overall, {kept_low:,.0f} in the slowest tenth")
    print(
        f"backlog:   {max(backlog, default=0):,} samples received and not stored at most "
        f"(inbox, flush under way), {backlog[-1] if backlog else 0:,} at the end"
    )
    print(
        f"historian: held at most {max((f[6] for f in flushes), default=0):,} samples "
        f"(status.pending), dropped {status.dropped:,}, rejected {status.rejected:,}"
    )
    durations = [f[1] for f in measured]
    sizes = [f[3] for f in measured]
    writes = sum(f[2] for f in measured)
    print(
        f"flushes:   {len(measured)} in the window, {pct(sizes, 0.5):,.0f} observations each "
        f"(median); took median {pct(durations, 0.5) * 1000:,.0f} ms, "
        f"max {pct(durations, 1.0) * 1000:,.0f} ms; historian write "
        f"{100 * writes / max(sum(durations), 1e-9):.0f}% of flush time"
    )
    lat = RECORD.latencies
    print(
        f"latency:   poll -> commit over {len(lat):,} samples: p50 {pct(lat, 0.5):.2f} s, "
        f"p95 {pct(lat, 0.95):.2f} s, p99 {pct(lat, 0.99):.2f} s, max {pct(lat, 1.0):.2f} s"
    )
    poll = status.poll
    if poll is not None:
        print(
            f"poller:    {poll.missed:,} missed ticks, max lag {poll.max_lag * 1000:,.0f} ms "
            f"(whole run), {poll.errors + poll.timeouts:,} errors/timeouts"
        )
    print(
        f"events:    {events.health} health changes, {events.alarms} alarm transitions, "
        f"{events.floods} flood summaries, {len(events.problems)} problems"
    )
    for problem in events.problems[:5]:
        print(f"           {problem}")
    wall = w1 - w0
    print(
        f"cpu:       process {100 * (p1 - p0) / wall:.0f}% (event loop thread "
        f"{100 * (m1 - m0) / wall:.0f}%, flush and other threads "
        f"{100 * ((p1 - p0) - (m1 - m0)) / wall:.0f}%), device servers "
        f"{100 * (s1 - s0) / wall:.0f}%, of one core"
    )
    print(
        f"machine:   load average {r['loads'][0]:.1f} at the start, {r['loads'][1]:.1f} at the end"
    )
    print(f"size:      {size:,} bytes, {size / max(in_db, 1):.1f} bytes a sample")
    print(
        f"check:     monitor received {status.samples:,}, stored {status.stored:,}, "
        f"historian holds {in_db:,}"
    )
    print(f"lost:      {status.samples - in_db:,}")


if __name__ == "__main__":
    main()
