"""One scan: every target, every probe asked for, inside the scope, paced by the limits.

``scan(scope, targets, probes, io, limits)``:

- checks every target against the scope *before anything is sent*
  (``OutOfScope`` names the first that is not); no target means every host of
  the allowed networks (``Scope.hosts``);
- runs, for each host, the probes asked for one after the other (a host is
  only ever contacted on the ports of those probes; a refused connection is
  quick), hosts concurrently up to ``concurrency``; one ``GuardedTransport``
  per probe enforces scope, catalog, port, per-device slot and retries;
- hands each allowed broadcast domain's broadcast address to the probes that
  can discover by broadcast, and each named interface to layer-2 probes;
- adds an ``AssetSeen`` for every address a probe identified (with the MAC
  from the neighbour table when the host is on-link), so the inventory has
  an asset to hang the facts on.

A probe that raises anything but a ``ScanError`` is a bug: the scan goes on,
and the error is reported in ``ScanResult.errors``.  ``plan`` gives what a
scan would send, for ``--dry-run``, without sending anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from otm.observations.records import AssetSeen, Evidence, Identity, Observation
from otm.scanning.limits import Limits
from otm.scanning.probe import SOURCE, PlannedRequest, Probe, Target
from otm.scanning.safety import OutOfScope, Scope, UnsafeRequest, verify
from otm.scanning.transport import GuardedTransport, ScanError, TrafficStats, Transport

DEFAULT_CONCURRENCY = 32
"""Hosts probed at once; the global rate, not this, bounds the traffic."""


@dataclass
class ScanStats:
    """What one scan did."""

    hosts: int = 0
    broadcasts: int = 0
    interfaces: int = 0
    probe_runs: int = 0
    responders: int = 0
    traffic: TrafficStats = field(default_factory=TrafficStats)
    started: float = 0.0
    finished: float = 0.0


@dataclass
class ScanResult:
    """The observations a scan made (source ``scan``), its statistics and probe bugs."""

    observations: list[Observation]
    stats: ScanStats
    errors: list[str] = field(default_factory=list)


def targets_in_scope(scope: Scope, targets: Iterable[str]) -> list[str]:
    """The targets as given (duplicates removed), or every host of the scope when none.

    Raises ``OutOfScope`` for the first target outside the scope.
    """
    chosen = list(dict.fromkeys(t.strip() for t in targets if t.strip()))
    if not chosen:
        return list(scope.hosts())
    for target in chosen:
        scope.check(target)
    return chosen


def _jobs(
    scope: Scope, hosts: Sequence[str], probes: Sequence[Probe], ref: str
) -> tuple[list[tuple[Target, list[Probe]]], list[tuple[Target, list[Probe]]]]:
    """(per-host jobs, broadcast and interface jobs) in a stable order."""
    ip_probes = [p for p in probes if p.transport in ("tcp", "udp")]
    host_jobs = [(Target(h, "host", ref), ip_probes) for h in hosts] if ip_probes else []
    other: list[tuple[Target, list[Probe]]] = []
    broadcasters = [p for p in ip_probes if p.broadcast]
    if broadcasters:
        for address in scope.broadcast_addresses():
            other.append((Target(address, "broadcast", ref), broadcasters))
    layer2 = [p for p in probes if p.transport == "ethernet"]
    if layer2:
        for interface in scope.interfaces:
            other.append((Target(interface, "interface", ref), layer2))
    return host_jobs, other


def plan(
    scope: Scope, targets: Iterable[str], probes: Sequence[Probe], ref: str = SOURCE
) -> list[PlannedRequest]:
    """Every request a scan would send first, checked against scope and catalog, sent nowhere."""
    hosts = targets_in_scope(scope, targets)
    host_jobs, other = _jobs(scope, hosts, probes, ref)
    out: list[PlannedRequest] = []
    for target, chosen in (*host_jobs, *other):
        for probe in chosen:
            for item in probe.plan(target):
                if item.transport == "ethernet":
                    scope.check_interface(item.target)
                else:
                    scope.check(item.target)
                    if item.port != probe.port:
                        raise UnsafeRequest(f"{probe.protocol} plans port {item.port}")
                verify(item.request.protocol, item.request.payload)
                out.append(item)
    return out


async def scan(
    scope: Scope,
    targets: Iterable[str],
    probes: Sequence[Probe],
    io: Transport,
    limits: Limits,
    *,
    ref: str = SOURCE,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> ScanResult:
    """Run the probes against the targets (see the module docstring)."""
    hosts = targets_in_scope(scope, targets)
    host_jobs, other = _jobs(scope, hosts, probes, ref)
    stats = ScanStats(hosts=len(hosts) if host_jobs else 0, started=limits.now())
    stats.broadcasts = sum(1 for t, _ in other if t.kind == "broadcast")
    stats.interfaces = sum(1 for t, _ in other if t.kind == "interface")
    errors: list[str] = []

    async def job(target: Target, chosen: list[Probe]) -> list[Observation]:
        found: list[Observation] = []
        for probe in chosen:
            guard = GuardedTransport(
                io, scope, limits, probe.protocol, frozenset({probe.port}), stats.traffic
            )
            stats.probe_runs += 1
            try:
                found += await probe.run(target, guard, limits)
            except ScanError:
                continue
            except (OutOfScope, UnsafeRequest) as exc:
                errors.append(f"{probe.protocol} {target.address}: refused: {exc}")
            except Exception as exc:  # a probe bug must not end the scan
                errors.append(f"{probe.protocol} {target.address}: {type(exc).__name__}: {exc}")
        return found

    # Broadcast and layer-2 discovery first: they are few and tell who is there.
    results = [await job(t, chosen) for t, chosen in other]
    per_host: list[list[Observation]] = [[] for _ in host_jobs]
    queue = iter(enumerate(host_jobs))

    async def worker() -> None:
        # Workers pull hosts one at a time: a /16 is never 65,534 tasks at once.
        for index, (target, chosen) in queue:
            per_host[index] = await job(target, chosen)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(host_jobs))))))
    observations = [obs for found in (*results, *per_host) for obs in found]
    observations += _assets_seen(observations, io, ref, limits)
    stats.responders = len({o.ip for o in observations if isinstance(o, AssetSeen) and o.ip})
    stats.finished = limits.now()
    return ScanResult(observations, stats, errors)


def _assets_seen(
    observations: list[Observation], io: Transport, ref: str, limits: Limits
) -> list[Observation]:
    """An ``AssetSeen`` for each identified IP that no probe reported as seen."""
    seen = {o.ip for o in observations if isinstance(o, AssetSeen)}
    first: dict[str, float] = {}
    for obs in observations:
        if isinstance(obs, Identity) and obs.ip and obs.ip not in seen:
            first[obs.ip] = min(first.get(obs.ip, obs.time), obs.time)
    out: list[Observation] = []
    for ip in sorted(first, key=_ip_key):
        mac = io.neighbour(ip)
        ev = Evidence(SOURCE, ref, None, "answered a scan")
        out.append(AssetSeen(first[ip], mac, ip, ev))
    return out


def _ip_key(ip: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in ip.split("."))
    except ValueError:
        return (1 << 16,)
