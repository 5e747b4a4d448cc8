"""Benchmark: tags polled per second from 100+ simulated Modbus devices, with latencies.

Starts ``--processes`` child processes hosting ``--devices`` pymodbus servers
between them (one TCP port each, on 127.0.0.1), then runs otm's real poller
(``otm.polling.poll`` with its pymodbus driver) against all of them for
``--seconds`` at each poll interval of ``--intervals``, every device with
``--tags`` tags (a mix of int16, uint16, uint32 and float32 in contiguous
holding registers, so each device is one or two reads a cycle).  For each
interval it prints:

- the offered rate (devices x tags / interval) and the tag samples per
  second the sink actually received, with requests per second;
- the latency of each Modbus request (p50, p95, p99, max) and of each device
  cycle (all of a device's reads, from the driver call to the samples);
- ticks missed because a cycle overran its interval, the worst lateness of a
  cycle's start, and the poller's CPU (% of one core).

Client and servers share the machine, so the figures are for both together.
Figures only, nothing asserted.

Usage: ``python bench/polling.py [--devices 120] [--tags 50] [--processes 4]
[--intervals 1,0.5,0.25,0.1] [--seconds 10] [--in-flight 1]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from modbus_farm import HOST, farm, free_base
from otm.observations.records import Observation, TagSample
from otm.polling.drivers import DriverSet
from otm.polling.drivers.base import Driver, PollResult
from otm.polling.poller import poll
from otm.polling.tags import DeviceSpec, TagDocument, tags_from_document

TYPES = [("int16", 1), ("uint16", 1), ("uint32", 2), ("float32", 2)]


def document(ports: list[int], tags: int, interval: float, in_flight: int) -> TagDocument:
    devices = []
    for d, port in enumerate(ports):
        entries, register = [], 0
        for t in range(tags):
            dtype, width = TYPES[t % len(TYPES)]
            entries.append({"name": f"d{d}.t{t}", "address": f"hr:{register}", "type": dtype})
            register += width
        devices.append({
            "name": f"dev{d}", "protocol": "modbus", "host": HOST, "port": port,
            "interval": interval, "timeout": 2.0, "max_in_flight": in_flight,
            "health_interval": 10.0, "tags": entries,
        })  # fmt: skip
    return tags_from_document({"schema": "otm.tags/1", "devices": devices}, "bench")


class Timed:
    """A real driver, timing each cycle and keeping each request's response time."""

    def __init__(self, inner: Driver, cycles: list[float], rtts: list[float]) -> None:
        self.device = inner.device
        self._inner = inner
        self._cycles = cycles
        self._rtts = rtts

    async def read(self) -> PollResult:
        started = time.perf_counter()
        result = await self._inner.read()
        self._cycles.append(time.perf_counter() - started)
        self._rtts.extend(result.stats.rtts)
        return result

    async def close(self) -> None:
        await self._inner.close()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0


async def run_once(doc: TagDocument, seconds: float, warmup: float) -> dict[str, float]:
    cycles: list[float] = []
    rtts: list[float] = []
    real = DriverSet(doc)
    counted = {"samples": 0}
    start_counting = time.time() + warmup

    def factory(device: DeviceSpec) -> Driver:
        return Timed(real(device), cycles, rtts)

    def sink(batch: list[Observation]) -> None:
        if time.time() >= start_counting:
            counted["samples"] += sum(1 for o in batch if isinstance(o, TagSample))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.call_later(warmup + seconds, stop.set)
    cpu0 = time.process_time()
    summary = await poll(doc, sink, stop, drivers=factory)
    cpu = time.process_time() - cpu0
    skip = len(doc.devices)  # the first cycle of each device opens its connection
    return {
        "samples/s": counted["samples"] / seconds,
        "requests/s": summary.requests / (warmup + seconds),
        "rtt50": pct(rtts[skip:], 0.50), "rtt95": pct(rtts[skip:], 0.95),
        "rtt99": pct(rtts[skip:], 0.99), "rttmax": pct(rtts[skip:], 1.0),
        "cyc50": pct(cycles[skip:], 0.50), "cyc95": pct(cycles[skip:], 0.95),
        "cyc99": pct(cycles[skip:], 0.99), "cycmax": pct(cycles[skip:], 1.0),
        "missed": float(summary.missed), "lag": summary.max_lag * 1000.0,
        "errors": float(summary.errors + summary.timeouts),
        "cpu": 100.0 * cpu / (warmup + seconds),
        "cycles": float(statistics.fmean([1.0]) * len(cycles)),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=120)
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--intervals", default="1,0.5,0.25,0.1")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--in-flight", type=int, default=1)
    args = parser.parse_args()
    base = free_base(args.devices)
    ports = list(range(base, base + args.devices))
    with farm([(HOST, port) for port in ports], args.processes) as children:
        print(
            f"otm poller vs {args.devices} pymodbus devices in {len(children)} processes, "
            f"{args.tags} tags each, {os.cpu_count()} CPUs, {args.seconds:g} s per interval"
        )
        print(f"{'interval':>8} {'offered':>8} {'tags/s':>8} {'req/s':>6} | "
              f"{'request ms p50/p95/p99/max':>27} | {'cycle ms p50/p95/p99/max':>27} | "
              f"{'missed':>6} {'lag ms':>7} {'err':>4} {'cpu%':>5}")  # fmt: skip
        for interval in (float(x) for x in args.intervals.split(",")):
            doc = document(ports, args.tags, interval, args.in_flight)
            r = asyncio.run(run_once(doc, args.seconds, args.warmup))
            offered = args.devices * args.tags / interval
            print(f"{interval:>8g} {offered:>8.0f} {r['samples/s']:>8.0f} "
                  f"{r['requests/s']:>6.0f} | "
                  f"{r['rtt50']:>6.2f} {r['rtt95']:>6.2f} {r['rtt99']:>6.2f} {r['rttmax']:>6.1f} | "
                  f"{r['cyc50']:>6.2f} {r['cyc95']:>6.2f} {r['cyc99']:>6.2f} {r['cycmax']:>6.1f} | "
                  f"{r['missed']:>6.0f} {r['lag']:>7.1f} {r['errors']:>4.0f} {r['cpu']:>5.0f}",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
