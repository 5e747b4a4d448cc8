"""Floods: past N alarms in M seconds the stream carries one summary, not rows."""

from __future__ import annotations

from typing import Any

from alarms_support import DEVICE, config, floods, sample, transitions

from otm.alarms import (
    Action,
    AlarmEngine,
    AlarmState,
    FloodCount,
    FloodSettings,
    FloodSummary,
    Priority,
)

SETTINGS = FloodSettings(max_alarms=3, window=10, clear_below=2)


def quality_alarms(n: int, priority: str = "medium") -> list[dict[str, Any]]:
    return [
        {
            "name": f"q{i}",
            "kind": "bad_quality",
            "device": DEVICE,
            "tag": f"t{i}",
            "priority": "high" if i % 2 else priority,
        }
        for i in range(n)
    ]


def bad(time: float, i: int) -> Any:
    return sample(time, 0, tag=f"t{i}", quality="bad")


def good(time: float, i: int) -> Any:
    return sample(time, 1, tag=f"t{i}")


def test_a_flood_is_one_summary_from_start_to_end() -> None:
    e = AlarmEngine(config(*quality_alarms(8), flood=SETTINGS))
    rows = e.feed([bad(0, 0), bad(1, 1), bad(2, 2)])
    assert [t.alarm for t in transitions(rows)] == ["q0", "q1", "q2"]
    (start,) = e.feed([bad(3, 3)])
    assert start == FloodSummary(
        flood=1,
        started=3.0,
        ended=None,
        alarms=1,
        withheld=1,
        counts=(FloodCount(DEVICE, "t3", Priority.HIGH, 1),),
    )
    assert start.time == 3.0 and e.in_flood
    assert e.feed([bad(4, 4), good(4, 0), bad(4.5, 5)]) == []  # held back
    # an operator's act is always a row
    (ack,) = transitions(e.acknowledge("q4", "ana", 5))
    assert (ack.action, ack.user) == (Action.ACKNOWLEDGE, "ana")
    # the state has every alarm, flood or not
    assert {s.alarm for s in e.active()} == {"q0", "q1", "q2", "q3", "q4", "q5"}
    assert e.status("q0").state is AlarmState.RETURNED_UNACKNOWLEDGED
    # window (t-10, t]: 6 annunciations at 0 1 2 3 4 4.5; below 2 once 4 has left: at 14
    assert e.advance(13.9) == []
    (end,) = e.advance(20)
    assert isinstance(end, FloodSummary)
    assert (end.flood, end.started, end.ended, end.alarms, end.withheld) == (1, 3.0, 14.0, 3, 4)
    assert end.counts == (
        FloodCount(DEVICE, "t3", Priority.HIGH, 1),
        FloodCount(DEVICE, "t5", Priority.HIGH, 1),
        FloodCount(DEVICE, "t4", Priority.MEDIUM, 1),
    )
    assert end.by_priority() == {Priority.HIGH: 2, Priority.MEDIUM: 1}
    assert end.time == 14.0 and not e.in_flood
    # after the flood, rows again
    assert [t.alarm for t in transitions(e.feed([good(21, 1)]))] == ["q1"]


def test_the_next_flood_has_the_next_number() -> None:
    e = AlarmEngine(config(*quality_alarms(10), flood=SETTINGS))
    events = e.feed([bad(t, t) for t in range(5)]) + e.advance(100)
    events += e.feed([good(101, i) for i in range(5)])  # returns to normal: not a flood
    events += e.feed([bad(200 + t, t) for t in range(5, 10)]) + e.advance(300)
    summaries = floods(events)
    assert [(f.flood, f.ended is None) for f in summaries] == [
        (1, True),
        (1, False),
        (2, True),
        (2, False),
    ]
    assert summaries[1].alarms == summaries[3].alarms == 2


def test_no_flood_settings_no_flood() -> None:
    e = AlarmEngine(config(*quality_alarms(30), flood=None))
    events = e.feed([bad(0, i) for i in range(30)])
    assert len(transitions(events)) == 30 and not floods(events)


def test_a_thousand_alarms_are_one_row() -> None:
    e = AlarmEngine(config(*quality_alarms(1000), flood=FloodSettings()))
    events = e.feed([bad(i * 0.01, i) for i in range(1000)]) + e.advance(10_000)
    assert len(transitions(events)) == 10
    _start, end = floods(events)
    assert end.alarms == 990 and end.withheld == 990 and len(end.counts) == 990
    assert len(e.active()) == 1000
