"""What the alarm engine says: transitions, flood summaries, and status snapshots.

``AlarmEvent`` is the engine's output currency, one of:

- ``AlarmTransition``: one point moved (who, when, from, to, why) - the row
  of an alarm journal;
- ``FloodSummary``: a flood, sent once when it starts (``ended`` None) and
  once, with the same ``flood`` number and the final counts, when it ends;
  a journal keeps one row per flood number (the later replaces the earlier).

All are frozen and made of plain values; ``event_to_dict``/``event_from_dict``
give JSON-ready dicts (the persistence of a later issue).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from otm.alarms.definitions import AlarmKind, Priority
from otm.alarms.states import Action, AlarmState
from otm.observations.records import Evidence

Value = float | int | bool | str


@dataclass(frozen=True, slots=True)
class AlarmTransition:
    """One point changed state (or re-shelved) at ``time``.

    ``occurrence`` is the occurrence the transition belongs to
    (``tank1-level.hi#3``): for a transition that ends one it is the ending
    one, for one that opens one the new one, and None when the point moves
    between NORMAL, SHELVED and SUPPRESSED.  ``user`` names the operator of
    an acknowledge, shelve or unshelve; None when the process, a timer or the
    design moved the point.  ``value`` and ``evidence`` are those of the
    observation that decided a process transition.
    """

    time: float
    alarm: str
    occurrence: str | None
    action: Action
    before: AlarmState
    after: AlarmState
    priority: Priority
    kind: AlarmKind
    device: str
    tag: str | None
    user: str | None = None
    reason: str = ""
    value: Value | None = None
    evidence: Evidence | None = None
    shelved_until: float | None = None
    ended: str | None = None  # re-trigger: the occurrence that ended unacknowledged


@dataclass(frozen=True, slots=True)
class FloodCount:
    """How many alarms one tag (or device, ``tag`` None) raised at one priority in a flood."""

    device: str
    tag: str | None
    priority: Priority
    count: int


@dataclass(frozen=True, slots=True)
class FloodSummary:
    """A flood: more alarms in the window than the settings allow.

    ``alarms`` counts the annunciations the flood held back (each is in the
    engine's state all the same); ``withheld`` every automatic transition
    held back (annunciations, returns to normal, suppressions).  ``counts``
    breaks ``alarms`` down by tag and priority, largest first.
    """

    flood: int
    started: float
    ended: float | None
    alarms: int
    withheld: int
    counts: tuple[FloodCount, ...]

    @property
    def time(self) -> float:
        """When this summary was sent: the end of the flood, or its start."""
        return self.started if self.ended is None else self.ended

    def by_priority(self) -> dict[Priority, int]:
        """``alarms`` per priority, most urgent first."""
        out: dict[Priority, int] = {}
        for c in sorted(self.counts, key=lambda c: c.priority.rank):
            out[c.priority] = out.get(c.priority, 0) + c.count
        return out


AlarmEvent = AlarmTransition | FloodSummary
"""What ``AlarmEngine.feed`` and the operator actions return."""


@dataclass(frozen=True, slots=True)
class AlarmStatus:
    """A point as the alarm summary shows it now.

    ``condition`` is whether the condition is present (after its delays);
    ``since`` when the point entered its state; ``raised`` when the current
    occurrence opened.
    """

    alarm: str
    state: AlarmState
    occurrence: str | None
    priority: Priority
    kind: AlarmKind
    device: str
    tag: str | None
    condition: bool
    since: float | None
    raised: float | None
    value: Value | None
    description: str
    acknowledged_by: str | None
    acknowledged_at: float | None
    shelved_by: str | None
    shelved_until: float | None
    shelve_reason: str


# -- plain dicts ----------------------------------------------------------------


def event_to_dict(event: AlarmEvent) -> dict[str, Any]:
    """A JSON-ready dict with a ``type`` key (``transition`` or ``flood``)."""
    data = dataclasses.asdict(event)
    if isinstance(event, AlarmTransition):
        data["type"] = "transition"
        for key in ("action", "before", "after", "priority", "kind"):
            data[key] = str(data[key])
    else:
        data["type"] = "flood"
        data["counts"] = [{**c, "priority": str(c["priority"])} for c in data["counts"]]
    return data


def event_from_dict(data: dict[str, Any]) -> AlarmEvent:
    """The inverse of ``event_to_dict``."""
    fields = {k: v for k, v in data.items() if k != "type"}
    if data.get("type") == "flood":
        fields["counts"] = tuple(
            FloodCount(c["device"], c["tag"], Priority(c["priority"]), int(c["count"]))
            for c in fields["counts"]
        )
        return FloodSummary(**fields)
    if data.get("type") != "transition":
        raise ValueError(f"not an alarm event: type {data.get('type')!r}")
    evidence = fields.get("evidence")
    fields["evidence"] = Evidence(**evidence) if evidence is not None else None
    fields["action"] = Action(fields["action"])
    fields["before"] = AlarmState(fields["before"])
    fields["after"] = AlarmState(fields["after"])
    fields["priority"] = Priority(fields["priority"])
    fields["kind"] = AlarmKind(fields["kind"])
    return AlarmTransition(**fields)
