"""Test support for the alarm tests: observations, configurations, the ISA-18.2 moves.

Imported as ``alarms_support`` (the test folders are not packages).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from otm.alarms import (
    Action,
    AlarmConfig,
    AlarmEvent,
    AlarmState,
    AlarmTransition,
    FloodSettings,
    FloodSummary,
    definitions_from,
)
from otm.observations.records import DeviceHealth, Evidence, TagSample

DEVICE = "10.77.0.5"
OTHER = "10.77.0.6"
EVIDENCE = Evidence("poll", "test-poller", None, "modbus read_holding_registers")


def sample(
    time: float,
    value: float | int | bool | str,
    tag: str = "level",
    quality: str = "good",
    device: str = DEVICE,
) -> TagSample:
    """One poll result."""
    return TagSample(time, device, tag, value, quality, EVIDENCE)


def health(time: float, state: str, device: str = DEVICE) -> DeviceHealth:
    """One interval of a device's health."""
    answered = state != "down"
    return DeviceHealth(
        time,
        device,
        state,
        requests=4,
        errors=0,
        timeouts=0 if answered else 4,
        rtt_ms=3.0 if answered else None,
        last_good=time if answered else None,
        evidence=EVIDENCE,
    )


def config(
    *items: dict[str, Any],
    flood: FloodSettings | None = None,
    shelve_max: float = 3600.0,
) -> AlarmConfig:
    """A configuration from plain definitions; no flood handling unless asked."""
    return AlarmConfig(definitions_from(list(items)), flood, shelve_max)


def limit(**extra: Any) -> dict[str, Any]:
    """A HI/HIHI/LO/LOLO definition on ``level``, overridable."""
    base: dict[str, Any] = {
        "name": "tank",
        "kind": "limit",
        "device": DEVICE,
        "tag": "level",
        "hihi": {"limit": 95, "priority": "critical"},
        "hi": 90,
        "lo": 10,
        "lolo": {"limit": 5, "priority": "high"},
    }
    return base | extra


def transitions(events: Iterable[AlarmEvent]) -> list[AlarmTransition]:
    """Only the transitions."""
    return [e for e in events if isinstance(e, AlarmTransition)]


def floods(events: Iterable[AlarmEvent]) -> list[FloodSummary]:
    """Only the flood summaries."""
    return [e for e in events if isinstance(e, FloodSummary)]


def moves(events: Iterable[AlarmEvent]) -> list[tuple[str, str, str, str]]:
    """(alarm, action, before, after) of each transition, for compact asserts."""
    return [(e.alarm, str(e.action), str(e.before), str(e.after)) for e in transitions(events)]


S = AlarmState
A = Action

ISA_MOVES: frozenset[tuple[AlarmState, Action, AlarmState]] = frozenset(
    {
        # the process and the operator (ISA-18.2 state diagram, states A-D)
        (S.NORMAL, A.ACTIVATE, S.UNACKNOWLEDGED),
        (S.UNACKNOWLEDGED, A.ACKNOWLEDGE, S.ACKNOWLEDGED),
        (S.UNACKNOWLEDGED, A.CLEAR, S.RETURNED_UNACKNOWLEDGED),
        (S.ACKNOWLEDGED, A.CLEAR, S.NORMAL),
        (S.RETURNED_UNACKNOWLEDGED, A.ACKNOWLEDGE, S.NORMAL),
        (S.RETURNED_UNACKNOWLEDGED, A.ACTIVATE, S.UNACKNOWLEDGED),
        # shelving: from any shown state, and again to move its end
        *(
            (before, A.SHELVE, S.SHELVED)
            for before in (
                S.NORMAL,
                S.UNACKNOWLEDGED,
                S.ACKNOWLEDGED,
                S.RETURNED_UNACKNOWLEDGED,
                S.SHELVED,
            )
        ),
        (S.SHELVED, A.UNSHELVE, S.NORMAL),
        (S.SHELVED, A.UNSHELVE, S.UNACKNOWLEDGED),
        # suppression by design: from anything but itself
        *(
            (before, A.SUPPRESS, S.SUPPRESSED)
            for before in (
                S.NORMAL,
                S.UNACKNOWLEDGED,
                S.ACKNOWLEDGED,
                S.RETURNED_UNACKNOWLEDGED,
                S.SHELVED,
            )
        ),
        (S.SUPPRESSED, A.UNSUPPRESS, S.NORMAL),
        (S.SUPPRESSED, A.UNSUPPRESS, S.UNACKNOWLEDGED),
        (S.SUPPRESSED, A.UNSUPPRESS, S.SHELVED),
    }
)
"""Every move ISA-18.2 allows (without latching and out-of-service), written
here by hand from the standard's diagram, independent of the engine's table."""
