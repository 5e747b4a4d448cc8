"""Device health: a state per device (up / degraded / down) from how its polls went.

Each poll cycle is judged on its own counts (``judge``):

- **failed**: no request got an answer (connection refused or lost, every
  request timed out);
- **troubled**: answers came, but more than ``max_error_rate`` of the
  cycle's requests failed (error answers or timeouts), or the median
  response time was above the slow threshold (``slow_ms``; default half the
  timeout);
- **good**: otherwise.

The state follows the cycles (``HealthTracker.observe``):

- ``down_after`` failed cycles in a row (default 3) -> **down**; a failed
  cycle before that -> **degraded** (a down device stays down);
- a troubled cycle -> **degraded** (also from down: it answers again);
- a good cycle keeps **up** up and makes a device that has no state yet
  **up**; a degraded or down device needs ``up_after`` good cycles in a row
  (default 2) to be **up** again, and is degraded in between.

So a device that stops answering goes up -> degraded -> down, and one that
comes back goes down -> degraded -> up: no jump from down to up on a single
lucky answer.  The tracker also adds up the counts of its reporting window
for ``DeviceHealth`` (requests, errors, timeouts, median response time, the
time of the last good cycle).  Pure: times come from the caller.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from otm.observations.records import DeviceHealth, Evidence
from otm.polling.tags import HealthRules


class State(StrEnum):
    """A device's health state, as ``DeviceHealth.state`` carries it."""

    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"


class Verdict(StrEnum):
    """How one poll cycle went."""

    GOOD = "good"
    TROUBLED = "troubled"
    FAILED = "failed"
    IDLE = "idle"  # no request was made: says nothing about the device


@dataclass(frozen=True, slots=True)
class CycleCounts:
    """The counts of one cycle (what ``drivers.base.CycleStats`` holds)."""

    requests: int
    answered: int
    errors: int
    timeouts: int
    rtts: Sequence[float] = ()
    ok: int = 0


def judge(counts: CycleCounts, rules: HealthRules, slow_seconds: float) -> Verdict:
    """The verdict on one cycle; see the module docstring."""
    if counts.requests == 0:
        return Verdict.IDLE
    if counts.answered == 0:
        return Verdict.FAILED
    failures = counts.errors + counts.timeouts
    if failures / counts.requests > rules.max_error_rate:
        return Verdict.TROUBLED
    if counts.rtts and statistics.median(counts.rtts) > slow_seconds:
        return Verdict.TROUBLED
    return Verdict.GOOD


def next_state(
    state: State | None, verdict: Verdict, failed_run: int, good_run: int, rules: HealthRules
) -> State | None:
    """The state after a cycle; ``failed_run``/``good_run`` already count this cycle."""
    if verdict is Verdict.IDLE:
        return state
    if verdict is Verdict.FAILED:
        if failed_run >= rules.down_after or state is State.DOWN:
            return State.DOWN
        return State.DEGRADED
    if verdict is Verdict.TROUBLED:
        return State.DEGRADED
    if state in (None, State.UP) or good_run >= rules.up_after:
        return State.UP
    return State.DEGRADED


@dataclass
class HealthTracker:
    """One device's health state and the counts of its current reporting window."""

    rules: HealthRules
    slow_seconds: float
    state: State | None = None
    failed_run: int = 0
    good_run: int = 0
    last_good: float | None = None
    last_verdict: Verdict = Verdict.IDLE
    window_start: float | None = None
    requests: int = 0
    errors: int = 0
    timeouts: int = 0
    rtts: list[float] = field(default_factory=list)

    def observe(self, counts: CycleCounts, time: float) -> bool:
        """Take one cycle ending at ``time``; True when the state changed."""
        if self.window_start is None:
            self.window_start = time
        self.requests += counts.requests
        self.errors += counts.errors
        self.timeouts += counts.timeouts
        self.rtts.extend(counts.rtts)
        verdict = judge(counts, self.rules, self.slow_seconds)
        self.last_verdict = verdict
        if verdict is Verdict.FAILED:
            self.failed_run += 1
            self.good_run = 0
        elif verdict is Verdict.TROUBLED:
            self.failed_run = self.good_run = 0
        elif verdict is Verdict.GOOD:
            self.failed_run = 0
            self.good_run += 1
        if counts.ok:  # at least one request answered without an error
            self.last_good = time
        before = self.state
        self.state = next_state(before, verdict, self.failed_run, self.good_run, self.rules)
        return self.state is not before

    def due(self, time: float, interval: float) -> bool:
        """Has the reporting window run ``interval`` seconds (or never been reported)?"""
        return self.window_start is not None and time - self.window_start >= interval

    @property
    def pending(self) -> bool:
        """Are there counts not yet reported?"""
        return self.requests > 0

    def report(self, time: float, asset_ip: str, evidence: Evidence, protocol: str) -> DeviceHealth:
        """The ``DeviceHealth`` of the window ending at ``time``; starts a new window."""
        rtt_ms = round(statistics.median(self.rtts) * 1000.0, 3) if self.rtts else None
        health = DeviceHealth(
            time=time,
            asset_ip=asset_ip,
            state=str(self.state or State.DEGRADED),
            requests=self.requests,
            errors=self.errors,
            timeouts=self.timeouts,
            rtt_ms=rtt_ms,
            last_good=self.last_good,
            evidence=evidence,
            protocol=protocol,
        )
        self.window_start = time
        self.requests = self.errors = self.timeouts = 0
        self.rtts = []
        return health
