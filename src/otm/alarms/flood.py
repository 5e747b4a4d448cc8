"""Flood handling: past N alarms in M seconds, one summary instead of rows.

The filter sits between the state machine and the event stream.  It counts
*annunciations* (entries into UNACKNOWLEDGED) in a sliding window of
``window`` seconds, ``(t - window, t]``.  The annunciation that makes the
count exceed ``max_alarms`` starts a flood: a ``FloodSummary`` (``ended``
None) goes out, and from then on every automatic transition (raise, return to
normal, suppression) is counted into the flood instead of being sent.
Operator actions (acknowledge, shelve, unshelve) are always sent: each is one
deliberate act, and the operator must see it took effect.

The flood ends when the count in the window falls below ``clear_below`` (the
hysteresis keeps one long flood from reading as many short ones); the moment
is exact - the expiry of an annunciation, ``its time + window`` - and the
final summary goes out then, with the same flood number and its counts.

Memory is one float per annunciation in the last window (outside a flood
at most ``max_alarms`` of them).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from otm.alarms.definitions import FloodSettings, Priority
from otm.alarms.events import AlarmEvent, AlarmTransition, FloodCount, FloodSummary
from otm.alarms.states import OPERATOR_ACTIONS, opens_occurrence


@dataclass
class _Flood:
    number: int
    started: float
    alarms: int = 0
    withheld: int = 0
    counts: dict[tuple[str, str | None, Priority], int] = field(default_factory=dict)

    def summary(self, ended: float | None) -> FloodSummary:
        rows = sorted(
            (FloodCount(d, t, p, n) for (d, t, p), n in self.counts.items()),
            key=lambda c: (-c.count, c.priority.rank, c.device, c.tag or ""),
        )
        return FloodSummary(
            self.number, self.started, ended, self.alarms, self.withheld, tuple(rows)
        )


class FloodFilter:
    """Passes transitions through, or folds them into the running flood."""

    def __init__(self, settings: FloodSettings | None) -> None:
        self.settings = settings
        self.recent: deque[float] = deque()
        self.floods = 0
        self.current: _Flood | None = None

    def offer(self, event: AlarmTransition) -> list[AlarmEvent]:
        """What the event stream gets for this transition (it, a summary, or nothing)."""
        settings = self.settings
        if settings is None or event.action in OPERATOR_ACTIONS:
            return [event]
        annunciation = opens_occurrence(event.before, event.after)
        if annunciation:
            if self.current is None:
                while self.recent and self.recent[0] + settings.window <= event.time:
                    self.recent.popleft()
            self.recent.append(event.time)
            if self.current is None and len(self.recent) > settings.max_alarms:
                self.floods += 1
                self.current = _Flood(self.floods, event.time)
                self._count(event)
                return [self.current.summary(None)]
        if self.current is None:
            return [event]
        if annunciation:
            self._count(event)
        else:
            self.current.withheld += 1
        return []

    def _count(self, event: AlarmTransition) -> None:
        flood = self.current
        assert flood is not None
        flood.alarms += 1
        flood.withheld += 1
        key = (event.device, event.tag, event.priority)
        flood.counts[key] = flood.counts.get(key, 0) + 1

    def next_deadline(self) -> float | None:
        """When the window next loses an annunciation during a flood (None: no flood)."""
        if self.current is None or self.settings is None or not self.recent:
            return None
        return self.recent[0] + self.settings.window

    def expire(self, now: float) -> list[AlarmEvent]:
        """Drop what left the window by ``now``; the flood's final summary if it ended."""
        settings = self.settings
        if self.current is None or settings is None:
            return []
        while self.recent and self.recent[0] + settings.window <= now:
            left = self.recent.popleft()
            if len(self.recent) < settings.clear_below:
                summary = self.current.summary(left + settings.window)
                self.current = None
                return [summary]
        return []

    # -- plain dicts ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state."""
        flood = self.current
        return {
            "recent": list(self.recent),
            "floods": self.floods,
            "current": None
            if flood is None
            else {
                "number": flood.number,
                "started": flood.started,
                "alarms": flood.alarms,
                "withheld": flood.withheld,
                "counts": [[d, t, str(p), n] for (d, t, p), n in flood.counts.items()],
            },
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Load what ``to_dict`` wrote."""
        self.recent = deque(float(t) for t in data["recent"])
        self.floods = int(data["floods"])
        flood = data["current"]
        self.current = (
            None
            if flood is None
            else _Flood(
                int(flood["number"]),
                float(flood["started"]),
                int(flood["alarms"]),
                int(flood["withheld"]),
                {(d, t, Priority(p)): int(n) for d, t, p, n in flood["counts"]},
            )
        )
