"""The engine's state and its events as plain data: a restart changes nothing."""

from __future__ import annotations

import json

import pytest
from alarms_support import DEVICE, OTHER, config, health, limit, sample

from otm.alarms import (
    STATE_SCHEMA,
    AlarmEngine,
    AlarmEvent,
    FloodSettings,
    event_from_dict,
    event_to_dict,
)
from otm.observations.records import Observation

CONFIG = config(
    limit(on_delay=2, off_delay=3, deadband=1),
    {"name": "fill", "kind": "rate", "device": DEVICE, "tag": "level", "rate": 5},
    {
        "name": "dev",
        "kind": "deviation",
        "device": DEVICE,
        "tag": "level",
        "limit": 20,
        "reference": {"device": OTHER, "tag": "sp"},
    },
    {"name": "plc", "kind": "device_down", "device": DEVICE, "on_delay": 1},
    flood=FloodSettings(max_alarms=2, window=30, clear_below=1),
)

FIRST: list[Observation] = [
    sample(0, 50),
    sample(0, 60, tag="sp", device=OTHER),
    sample(1, 91),  # hi pending until 3; rate 41/s; deviation 31
    sample(2, 92),
    health(2.5, "down"),  # suppresses; plc pending until 3.5
]
SECOND: list[Observation] = [health(10, "up"), sample(11, 97), sample(12, 40), sample(40, 50)]


def reload(engine: AlarmEngine) -> AlarmEngine:
    return AlarmEngine.from_dict(CONFIG, json.loads(json.dumps(engine.to_dict())))


def test_round_trip_through_json_is_exact() -> None:
    e = AlarmEngine(CONFIG)
    e.feed(FIRST)
    e.shelve("tank.lo", "ana", 2.6, until=100, reason="calibration")
    data = e.to_dict()
    assert data["schema"] == STATE_SCHEMA
    assert reload(e).to_dict() == data


def test_a_restart_mid_stream_gives_the_same_events() -> None:
    straight = AlarmEngine(CONFIG)
    expected = straight.feed(FIRST) + straight.acknowledge("plc", "ana", 5) + straight.feed(SECOND)
    expected += straight.advance(200)
    e = AlarmEngine(CONFIG)
    got: list[AlarmEvent] = e.feed(FIRST)  # timers pending, flood running
    e = reload(e)
    got += e.acknowledge("plc", "ana", 5)
    e = reload(e)
    got += e.feed(SECOND)
    e = reload(e)
    got += e.advance(200)
    assert got == expected
    assert reload(e).to_dict() == straight.to_dict()


def test_pending_shelve_resumes_after_a_restart() -> None:
    e = AlarmEngine(CONFIG)
    e.feed([sample(0, 50)])
    e.shelve("tank.hi", "ana", 1, until=50)
    e.feed([sample(2, 95)])
    e = reload(e)
    (expiry,) = [ev for ev in e.advance(60) if getattr(ev, "alarm", "") == "tank.hi"]
    assert (expiry.time, str(expiry.after)) == (50.0, "unacknowledged")  # type: ignore[union-attr]


def test_a_changed_configuration_keeps_what_it_can() -> None:
    e = AlarmEngine(CONFIG)
    e.feed([sample(0, 92)])
    data = e.to_dict()
    smaller = config(limit(on_delay=2, off_delay=3, deadband=1))
    restored = AlarmEngine.from_dict(smaller, data)
    assert [s.alarm for s in restored.statuses()] == [
        "tank.hihi",
        "tank.hi",
        "tank.lo",
        "tank.lolo",
    ]


def test_another_schema_is_refused() -> None:
    with pytest.raises(ValueError, match="not an alarm state"):
        AlarmEngine.from_dict(CONFIG, {"schema": "otm.alarms.state/0"})


def test_events_round_trip_as_plain_dicts() -> None:
    e = AlarmEngine(CONFIG)
    events = e.feed(FIRST + SECOND) + e.advance(300) + e.acknowledge("tank.hi", "ana", 301)
    assert {type(ev).__name__ for ev in events} == {"AlarmTransition", "FloodSummary"}
    for event in events:
        data = json.loads(json.dumps(event_to_dict(event)))
        assert event_from_dict(data) == event
    with pytest.raises(ValueError, match="not an alarm event"):
        event_from_dict({"type": "nope"})
