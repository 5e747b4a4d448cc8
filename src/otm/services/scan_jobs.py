"""Use case: scans started from the console, one at a time, inside the networks the
console's operator allows.

``otm scan`` trusts whoever types it with its ``--allow``.  A console is
reached by many people, so it adds a second fence: ``otm serve
--scan-allow CIDR`` names the networks any console scan may touch (none:
the console starts no scan), and every network a request allows must lie
inside one of them.  The scan itself is ``services.scan.scan_network``:
read-only requests by construction, rate-limited, stored as a ``scan``
source.  It runs in a background thread; ``ScanJobs`` keeps what the
console shows (state, counts, errors) for the life of the process.
"""

from __future__ import annotations

import ipaddress
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from otm.scanning.safety import OutOfScope
from otm.services.scan import ScanOptions, dry_run, found_rows, scan_network
from otm.store.combined import Store

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_JOBS = 100
"""Finished jobs remembered (oldest forgotten first)."""


class ScanRefusedError(Exception):
    """A scan the console will not start; the message says why."""


@dataclass
class ScanJob:
    """One console scan and how it went."""

    id: str
    user: str
    options: ScanOptions
    created: float
    state: str = "running"  # running, done, failed
    finished: float | None = None
    devices: int = 0
    requests: int = 0
    source: str | None = None
    errors: list[str] = field(default_factory=list)
    found: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "id": self.id,
            "user": self.user,
            "allow": self.options.allow,
            "targets": self.options.targets,
            "protocols": self.options.protocol_names(),
            "rate": self.options.rate,
            "created": self.created,
            "state": self.state,
            "finished": self.finished,
            "devices": self.devices,
            "requests": self.requests,
            "source": self.source,
            "errors": self.errors,
            "found": self.found,
        }


def parse_networks(texts: Sequence[str]) -> list[Network]:
    """Networks from CIDR text; ``ScanRefusedError`` names the first that is not one."""
    out = []
    for text in texts:
        try:
            out.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise ScanRefusedError(f"{text!r} is not a network (CIDR)") from None
    return out


def inside(wanted: Sequence[Network], allowed: Sequence[Network]) -> list[Network]:
    """The networks of ``wanted`` that lie in none of ``allowed``."""
    return [
        net
        for net in wanted
        if not any(
            net.version == fence.version and net.subnet_of(fence)  # type: ignore[arg-type]
            for fence in allowed
        )
    ]


class ScanJobs:
    """The console's scans (module docstring); thread-safe."""

    def __init__(
        self,
        store: Store,
        allowed: Sequence[str],
        run: Callable[[ScanOptions, Store], object] | None = None,
    ) -> None:
        self.store = store
        self.allowed = parse_networks(allowed)
        self._run = run
        self._jobs: dict[str, ScanJob] = {}
        self._lock = threading.Lock()

    def _check(self, options: ScanOptions) -> None:
        if not self.allowed:
            raise ScanRefusedError(
                "this console starts no scan: its operator allowed no network "
                "(otm serve --scan-allow CIDR)"
            )
        if not options.allow:
            raise ScanRefusedError("name the networks to scan (allow)")
        outside = inside(parse_networks(options.allow), self.allowed)
        if outside:
            fences = ", ".join(str(n) for n in self.allowed)
            raise ScanRefusedError(
                f"{', '.join(str(n) for n in outside)} is outside what this console may scan "
                f"({fences})"
            )
        try:
            options.scope()
            options.probes()
            options.limits()
        except (ValueError, OutOfScope) as exc:
            raise ScanRefusedError(str(exc)) from None

    def plan(self, options: ScanOptions) -> list[str]:
        """What the scan would send first, sending nothing."""
        self._check(options)
        lines: list[str] = []
        try:
            dry_run(options, lines.append)
        except (ValueError, OutOfScope) as exc:
            raise ScanRefusedError(str(exc)) from None
        return lines

    def start(self, options: ScanOptions, user: str) -> ScanJob:
        """Start a scan in the background; refused while another runs."""
        self._check(options)
        with self._lock:
            if any(j.state == "running" for j in self._jobs.values()):
                raise ScanRefusedError("a scan is running: one at a time")
            job = ScanJob(uuid.uuid4().hex[:12], user, options, time.time())
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                oldest = min(self._jobs.values(), key=lambda j: j.created)
                del self._jobs[oldest.id]
        thread = threading.Thread(target=self._work, args=(job,), name=f"scan-{job.id}")
        thread.daemon = True
        thread.start()
        return job

    def _work(self, job: ScanJob) -> None:
        try:
            if self._run is not None:
                self._run(job.options, self.store)
            else:
                outcome = scan_network(job.options, self.store)
                stats = outcome.result.stats
                job.requests = stats.traffic.requests
                rows = found_rows(outcome.result, outcome.inventory)
                job.devices = len(rows)
                job.found = [
                    {"ip": r.ip, "mac": r.mac, "protocols": list(r.protocols), "fields": r.fields}
                    for r in rows
                ]
                job.source = outcome.key
                job.errors = list(outcome.result.errors)
            job.state = "done"
        except Exception as exc:  # a scan thread must report its failure, never die silently
            job.state = "failed"
            job.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            job.finished = time.time()

    def jobs(self) -> list[ScanJob]:
        """Every remembered scan, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: -j.created)

    def job(self, job_id: str) -> ScanJob | None:
        """One scan by id."""
        with self._lock:
            return self._jobs.get(job_id)
