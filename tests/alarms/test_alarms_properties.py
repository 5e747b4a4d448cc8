"""Property tests of the state machine: random plants, random operators.

Hypothesis drives one engine with random samples (values around the limits,
all qualities), device health, acknowledgements (of points and of old and
new occurrences), shelves (valid and not), unshelves and idle time, and
checks after every step that:

- every transition is an ISA-18.2 move, continues the point's previous state,
  and never goes back in time;
- an acknowledgement never un-acknowledges: no transition of an acknowledged
  occurrence leads to UNACKNOWLEDGED or RETURNED_UNACKNOWLEDGED;
- every entry into UNACKNOWLEDGED is a new occurrence, numbered one more than
  the last, and a re-trigger from RETURNED_UNACKNOWLEDGED names the one it ended;
- the state agrees with the condition, shelves end in the future, and exactly
  the points of a down device are suppressed;
- a refused operator action changes nothing;

and, over whole runs, that replay is deterministic, that a save/restore at any
step changes no event, and that flood handling only folds rows (the states
are the same, and every held-back transition is counted in a summary).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from alarms_support import DEVICE, ISA_MOVES, OTHER, config, health, sample
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.alarms import (
    ANNUNCIATED,
    Action,
    AlarmConfig,
    AlarmEngine,
    AlarmError,
    AlarmEvent,
    AlarmState,
    AlarmTransition,
    FloodSettings,
    FloodSummary,
)

S = AlarmState
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WHOLE_RUN = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHELVE_MAX = 60.0


def plant(on: float, off: float, deadband: float, flood: FloodSettings | None) -> AlarmConfig:
    delays = {"on_delay": on, "off_delay": off}
    return config(
        {
            "name": "tank",
            "kind": "limit",
            "device": DEVICE,
            "tag": "level",
            "hihi": 95,
            "hi": 90,
            "lo": 10,
            "lolo": 5,
            "deadband": deadband,
            **delays,
        },
        {
            "name": "fill",
            "kind": "rate",
            "device": DEVICE,
            "tag": "level",
            "rate": 20,
            "deadband": deadband,
            **delays,
        },
        {
            "name": "dev",
            "kind": "deviation",
            "device": DEVICE,
            "tag": "level",
            "limit": 30,
            "reference": {"device": OTHER, "tag": "sp"},
            **delays,
        },
        {"name": "q", "kind": "bad_quality", "device": DEVICE, "tag": "level", **delays},
        {"name": "plc", "kind": "device_down", "device": DEVICE, "on_delay": on},
        flood=flood,
        shelve_max=SHELVE_MAX,
    )


KEYS = ["tank.hihi", "tank.hi", "tank.lo", "tank.lolo", "fill", "dev", "q", "plc"]
alarm_ids = st.sampled_from(KEYS) | st.builds(
    "{}#{}".format, st.sampled_from(KEYS), st.integers(1, 4)
)
gaps = st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 7.0])
values = st.sampled_from(
    [0, 4, 5, 5.5, 9, 10, 11, 50, 89, 89.5, 90, 91, 94.5, 95, 96, 200, -1e3, True, "text", math.nan]
)
samples = st.tuples(
    st.just("sample"),
    gaps,
    st.sampled_from(["level", "level", "level", "sp"]),
    values,
    st.sampled_from(["good", "good", "good", "uncertain", "bad"]),
)
steps = st.one_of(
    samples,
    samples,
    samples,
    st.tuples(st.just("health"), gaps, st.sampled_from(["up", "up", "degraded", "down"])),
    st.tuples(st.just("ack"), gaps, alarm_ids),
    st.tuples(st.just("ack shown"), gaps, st.integers(0, 7), st.booleans()),
    st.tuples(st.just("ack shown"), gaps, st.integers(0, 7), st.booleans()),
    st.tuples(st.just("shelve"), gaps, alarm_ids, st.sampled_from([-1.0, 0.5, 4.0, 30.0, 61.0])),
    st.tuples(st.just("unshelve"), gaps, alarm_ids),
    st.tuples(st.just("advance"), gaps),
)
plants = st.builds(
    plant,
    on=st.sampled_from([0.0, 1.0, 2.5]),
    off=st.sampled_from([0.0, 1.0, 2.5]),
    deadband=st.sampled_from([0.0, 1.0]),
    flood=st.none(),
)
USERS = ("ana", "bob")


def apply(engine: AlarmEngine, step: tuple[Any, ...], time: float) -> list[AlarmEvent]:
    """One step at ``time``; a refused action must leave the engine as it was."""
    kind = step[0]
    user = USERS[int(time) % 2]
    if kind == "sample":
        device = OTHER if step[2] == "sp" else DEVICE
        return engine.feed([sample(time, step[3], tag=step[2], quality=step[4], device=device)])
    if kind == "health":
        return engine.feed([health(time, step[2])])
    if kind == "advance":
        return engine.advance(time)
    if kind == "ack shown":  # what an operator does: acknowledge a row of the summary
        shown = engine.active()
        if not shown:
            return engine.advance(time)
        row = shown[step[2] % len(shown)]
        alarm_id = row.occurrence if step[3] and row.occurrence else row.alarm
        return engine.acknowledge(alarm_id, user, time)
    before = engine.to_dict()
    try:
        if kind == "ack":
            return engine.acknowledge(step[2], user, time)
        if kind == "shelve":
            return engine.shelve(step[2], user, time, until=time + step[3])
        return engine.unshelve(step[2], user, time)
    except AlarmError:
        assert kind == "shelve" and not 0 < step[3] <= SHELVE_MAX
        assert engine.to_dict() == before
        return []


@dataclass
class Checker:
    """What the events so far say about each point; checks each new event against it."""

    state: dict[str, AlarmState] = field(default_factory=lambda: dict.fromkeys(KEYS, S.NORMAL))
    occurrences: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KEYS, 0))
    acknowledged: set[str] = field(default_factory=set)
    time: float = -math.inf
    device: str = "up"

    def event(self, event: AlarmEvent) -> None:
        assert isinstance(event, AlarmTransition)  # no flood in these runs
        move = (event.before, event.action, event.after)
        assert move in ISA_MOVES, move
        assert event.before is self.state[event.alarm], (event, self.state[event.alarm])
        assert event.time >= self.time
        self.time = event.time
        by_hand = event.action in (Action.ACKNOWLEDGE, Action.SHELVE) or (
            event.action is Action.UNSHELVE and event.reason != "shelve expired"
        )
        assert (event.user in USERS) if by_hand else event.user is None
        n = self.occurrences[event.alarm]
        current = f"{event.alarm}#{n}"
        if event.after is S.UNACKNOWLEDGED and event.before is not S.UNACKNOWLEDGED:
            assert event.occurrence == f"{event.alarm}#{n + 1}"
            assert event.ended == (current if event.before is S.RETURNED_UNACKNOWLEDGED else None)
            self.occurrences[event.alarm] = n + 1
        elif event.before in ANNUNCIATED:
            assert event.occurrence == current and event.ended is None
        else:
            assert event.occurrence is None
        if event.occurrence in self.acknowledged:  # an ack never un-acks
            assert event.after not in (S.UNACKNOWLEDGED, S.RETURNED_UNACKNOWLEDGED)
        if event.action is Action.ACKNOWLEDGE:
            assert event.after in (S.ACKNOWLEDGED, S.NORMAL)
            assert event.occurrence is not None
            self.acknowledged.add(event.occurrence)
        self.state[event.alarm] = event.after

    def engine(self, engine: AlarmEngine) -> None:
        clock = engine.clock
        for status in engine.statuses():
            assert status.state is self.state[status.alarm]
            if status.state in (S.UNACKNOWLEDGED, S.ACKNOWLEDGED):
                assert status.condition
            if status.state in (S.NORMAL, S.RETURNED_UNACKNOWLEDGED):
                assert not status.condition
            assert (status.occurrence is not None) == (status.state in ANNUNCIATED)
            if status.state is S.ACKNOWLEDGED:
                assert status.acknowledged_by in USERS
            if status.state is S.SHELVED:
                assert status.shelved_until is not None and clock is not None
                assert status.shelved_until > clock
            if status.alarm != "plc":
                assert (status.state is S.SUPPRESSED) == (self.device == "down")


@PROPERTY
@given(plants, st.lists(steps, min_size=25, max_size=80))
def test_every_step_keeps_the_state_machine_honest(
    config: AlarmConfig, run: list[tuple[Any, ...]]
) -> None:
    engine = AlarmEngine(config)
    checker = Checker()
    time = 0.0
    for step in run:
        time += step[1]
        for event in apply(engine, step, time):
            checker.event(event)
        if step[0] == "health":
            checker.device = step[2]
        checker.engine(engine)
    for event in engine.advance(time + 1000):
        checker.event(event)
    checker.engine(engine)


def whole(
    config: AlarmConfig, run: list[tuple[Any, ...]], restart_at: int | None = None
) -> tuple[list[AlarmEvent], AlarmEngine]:
    engine = AlarmEngine(config)
    events: list[AlarmEvent] = []
    time = 0.0
    for i, step in enumerate(run):
        if i == restart_at:
            engine = AlarmEngine.from_dict(config, json.loads(json.dumps(engine.to_dict())))
        time += step[1]
        events += apply(engine, step, time)
    events += engine.advance(time + 1000)
    return events, engine


@WHOLE_RUN
@given(plants, st.lists(steps, min_size=25, max_size=80), st.integers(0, 80))
def test_replay_and_restart_change_no_event(
    config: AlarmConfig, run: list[tuple[Any, ...]], restart_at: int
) -> None:
    first, engine = whole(config, run)
    again, _ = whole(config, run)
    restarted, restored = whole(config, run, restart_at)
    # Compared by repr: a NaN sample value is kept as NaN, and NaN != NaN
    # unless it is the very same object, which a restored state cannot be.
    assert repr(again) == repr(first)
    assert repr(restarted) == repr(first)
    assert repr(restored.to_dict()) == repr(engine.to_dict())


@WHOLE_RUN
@given(plants, st.lists(steps, min_size=25, max_size=80))
def test_a_flood_folds_rows_and_loses_none(config: AlarmConfig, run: list[tuple[Any, ...]]) -> None:
    flooding = AlarmConfig(
        config.definitions, FloodSettings(max_alarms=2, window=4, clear_below=1), SHELVE_MAX
    )
    rows, plain = whole(config, run)
    folded, flooded = whole(flooding, run)
    assert flooded.statuses() == plain.statuses()
    assert not flooded.in_flood  # the run ends long after its last alarm

    def automatic(events: list[AlarmEvent]) -> list[AlarmTransition]:
        return [
            e
            for e in events
            if isinstance(e, AlarmTransition)
            and e.action not in (Action.ACKNOWLEDGE, Action.SHELVE)
            and not (e.action is Action.UNSHELVE and e.user is not None)
        ]

    def annunciations(events: list[AlarmTransition]) -> int:
        return sum(e.after is S.UNACKNOWLEDGED and e.before is not S.UNACKNOWLEDGED for e in events)

    finals = {e.flood: e for e in folded if isinstance(e, FloodSummary)}
    assert all(f.ended is not None for f in finals.values())
    assert annunciations(automatic(rows)) == annunciations(automatic(folded)) + sum(
        f.alarms for f in finals.values()
    )
    assert len(automatic(rows)) == len(automatic(folded)) + sum(f.withheld for f in finals.values())
    assert all(sum(c.count for c in f.counts) == f.alarms for f in finals.values())


def test_the_generator_reaches_every_isa_move() -> None:
    """The runs above are only as good as the moves they reach: all of them."""
    seen: set[tuple[AlarmState, Action, AlarmState]] = set()

    @settings(WHOLE_RUN, max_examples=150, derandomize=True, database=None)
    @given(plants, st.lists(steps, min_size=25, max_size=80))
    def collect(config: AlarmConfig, run: list[tuple[Any, ...]]) -> None:
        events, _ = whole(config, run)
        seen.update((e.before, e.action, e.after) for e in events if isinstance(e, AlarmTransition))

    collect()
    assert seen == ISA_MOVES
