"""What the monitor keeps beside the inventory: device health, alarm journal, actions, runs.

Plain records the store hands back; the alarm engine's own types stay in
``otm.alarms`` (this layer does not know them), so journal entries carry
the event as the JSON-ready dict ``otm.alarms.events.event_to_dict`` made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from otm.observations.records import Evidence

HEALTH_STATES = ("up", "degraded", "down")
"""A polled device's states, best first."""

ALARM_ACTIONS = ("acknowledge", "shelve", "unshelve")
"""What an operator may do to an alarm from outside the engine's process."""


@dataclass(frozen=True)
class HealthStatus:
    """A polled device's latest health report, and since when it is in its state."""

    asset_ip: str
    protocol: str
    state: str
    since: float
    time: float
    requests: int
    errors: int
    timeouts: int
    rtt_ms: float | None
    last_good: float | None
    evidence: Evidence

    @property
    def error_rate(self) -> float:
        """Errors and timeouts per request over the report's interval (0 with no request)."""
        if self.requests == 0:
            return 0.0
        return (self.errors + self.timeouts) / self.requests


@dataclass(frozen=True)
class HealthChange:
    """A device entering a health state (``previous`` None at its first report)."""

    asset_ip: str
    time: float
    state: str
    previous: str | None
    rtt_ms: float | None
    errors: int
    timeouts: int


@dataclass(frozen=True)
class JournalEntry:
    """One row of the alarm journal: a transition or a flood summary, newest id last."""

    id: int
    time: float
    type: str
    alarm: str | None
    occurrence: str | None
    before: str | None
    after: str | None
    priority: str | None
    user: str | None
    body: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class AlarmActionRequest:
    """An operator's acknowledge, shelve or unshelve, and what came of it.

    ``status`` is ``pending`` until the process running the alarm engine
    takes it, then ``done`` or ``failed`` with ``result`` saying why.
    """

    id: int
    requested_at: float
    action: str
    alarm: str
    user: str
    comment: str
    until: float | None
    status: str
    result: str
    done_at: float | None


@dataclass(frozen=True)
class MonitorRun:
    """A process that owns the alarm engine: an ``otm monitor``, or the command line
    for the moment it takes operator actions when no monitor runs."""

    id: int
    started_at: float
    heartbeat: float
    stopped_at: float | None
    host: str
    pid: int
    tags: str
    summary: dict[str, Any] = field(repr=False)

    def alive(self, now: float, stale: float) -> bool:
        """Still running: not stopped, and a heartbeat within ``stale`` seconds."""
        return self.stopped_at is None and now - self.heartbeat <= stale
