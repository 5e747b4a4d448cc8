"""The engine, kind by kind and action by action, on hand-made observations."""

from __future__ import annotations

import math
from typing import Any

import pytest
from alarms_support import (
    DEVICE,
    EVIDENCE,
    OTHER,
    config,
    health,
    limit,
    moves,
    sample,
    transitions,
)

from otm.alarms import (
    Action,
    AlarmEngine,
    AlarmError,
    AlarmState,
    AlarmTransition,
    Priority,
)
from otm.observations.records import AssetSeen

S = AlarmState


def engine(*items: dict[str, Any], **kw: Any) -> AlarmEngine:
    return AlarmEngine(config(*items, **kw))


# -- limits -----------------------------------------------------------------------


def test_hi_is_raised_at_the_limit_and_cleared_below_the_deadband() -> None:
    e = engine(limit(deadband=2))
    events = e.feed([sample(0, 50), sample(1, 90)])
    assert moves(events) == [("tank.hi", "activate", "normal", "unacknowledged")]
    (raised,) = transitions(events)
    assert (raised.time, raised.value, raised.occurrence) == (1.0, 90, "tank.hi#1")
    assert raised.reason == "level 90 >= hi 90"
    assert raised.evidence == EVIDENCE and raised.user is None
    # chatter inside the deadband changes nothing
    assert e.feed([sample(2, 89), sample(3, 88.5), sample(4, 90.5), sample(5, 88)]) == []
    events = e.feed([sample(6, 87.9)])
    assert moves(events) == [("tank.hi", "clear", "unacknowledged", "returned_unacknowledged")]
    assert transitions(events)[0].reason == "level 87.9 within hi 90"


def test_without_deadband_a_value_below_the_limit_clears() -> None:
    e = engine(limit())
    e.feed([sample(0, 90)])
    assert moves(e.feed([sample(1, 89.999)])) == [
        ("tank.hi", "clear", "unacknowledged", "returned_unacknowledged")
    ]


def test_hihi_and_lolo_are_their_own_alarms_with_their_priorities() -> None:
    e = engine(limit())
    events = transitions(e.feed([sample(0, 96)]))
    assert [(t.alarm, t.priority) for t in events] == [
        ("tank.hihi", Priority.CRITICAL),
        ("tank.hi", Priority.MEDIUM),
    ]
    events = transitions(e.feed([sample(1, 4)]))
    assert [(t.alarm, t.action) for t in events] == [
        ("tank.hihi", Action.CLEAR),
        ("tank.hi", Action.CLEAR),
        ("tank.lo", Action.ACTIVATE),
        ("tank.lolo", Action.ACTIVATE),
    ]
    assert [s.alarm for s in e.active()] == ["tank.hihi", "tank.lolo", "tank.hi", "tank.lo"]


def test_bad_quality_and_text_hold_the_condition() -> None:
    e = engine(limit())
    e.feed([sample(0, 92)])
    assert e.feed([sample(1, 0, quality="bad"), sample(2, "n/a"), sample(3, math.nan)]) == []
    assert e.status("tank.hi").condition
    # uncertain values are still measurements
    assert moves(e.feed([sample(4, 50, quality="uncertain")]))[0][1] == "clear"


def test_booleans_count_as_zero_and_one() -> None:
    e = engine({"name": "trip", "kind": "limit", "device": DEVICE, "tag": "trip", "hi": 1})
    assert moves(e.feed([sample(0, True, tag="trip")]))[0][:2] == ("trip.hi", "activate")
    assert moves(e.feed([sample(1, False, tag="trip")]))[0][:2] == ("trip.hi", "clear")


# -- delays -------------------------------------------------------------------------


def test_on_delay_filters_a_short_excursion() -> None:
    e = engine(limit(on_delay=5))
    assert e.feed([sample(0, 91), sample(4.9, 85)]) == []
    assert e.advance(100) == []


def test_on_delay_raises_at_its_deadline_without_a_new_sample() -> None:
    e = engine(limit(on_delay=5), {"name": "x", "kind": "device_down", "device": OTHER})
    assert e.feed([sample(10, 91)]) == []
    # another device's health moves the clock past the deadline
    events = e.feed([health(20, "up", device=OTHER)])
    assert moves(events) == [("tank.hi", "activate", "normal", "unacknowledged")]
    assert transitions(events)[0].time == 15.0
    assert e.clock == 20.0


def test_off_delay_keeps_the_alarm_until_it_has_been_gone_long_enough() -> None:
    e = engine(limit(off_delay=3))
    e.feed([sample(0, 92)])
    assert e.feed([sample(1, 50), sample(2, 91), sample(3, 50), sample(5.5, 50)]) == []
    events = e.advance(6)
    assert [(t.alarm, t.action, t.time) for t in transitions(events)] == [
        ("tank.hi", Action.CLEAR, 6.0)
    ]


def test_a_timer_and_a_sample_at_the_same_instant_fire_the_timer_first() -> None:
    e = engine(limit(on_delay=2))
    events = e.feed([sample(0, 91), sample(2, 50)])
    assert moves(events) == [
        ("tank.hi", "activate", "normal", "unacknowledged"),
        ("tank.hi", "clear", "unacknowledged", "returned_unacknowledged"),
    ]


# -- other kinds ---------------------------------------------------------------------


def rate(direction: str = "both", **extra: Any) -> dict[str, Any]:
    return {
        "name": "fill",
        "kind": "rate",
        "device": DEVICE,
        "tag": "level",
        "rate": 2.0,
        "direction": direction,
    } | extra


def test_rate_of_change_between_consecutive_samples() -> None:
    e = engine(rate())
    assert e.feed([sample(0, 10), sample(10, 20)]) == []  # 1/s
    assert moves(e.feed([sample(12, 24)]))[0][:2] == ("fill", "activate")  # 2/s
    assert moves(e.feed([sample(13, 25)]))[0][:2] == ("fill", "clear")


@pytest.mark.parametrize(
    ("direction", "alarms"),
    [("rising", [True, False]), ("falling", [False, True]), ("both", [True, True])],
)
def test_rate_direction(direction: str, alarms: list[bool]) -> None:
    for values, expected in zip(([0, 10], [10, 0]), alarms, strict=True):
        e = engine(rate(direction))
        events = e.feed([sample(0, values[0]), sample(1, values[1])])
        assert bool(events) is expected


def test_rate_deadband_and_duplicate_times() -> None:
    e = engine(rate(deadband=0.5))
    e.feed([sample(0, 0), sample(1, 3)])
    assert e.feed([sample(1, 100), sample(2, 4.6)]) == []  # 1.6/s: inside the deadband
    assert moves(e.feed([sample(3, 5.9)]))[0][1] == "clear"  # 1.3/s


def test_deviation_from_a_setpoint() -> None:
    e = engine(
        {
            "name": "dev",
            "kind": "deviation",
            "device": DEVICE,
            "tag": "level",
            "setpoint": 50,
            "limit": 5,
            "direction": "falling",
        }
    )
    assert e.feed([sample(0, 60)]) == []
    assert moves(e.feed([sample(1, 45)]))[0][:2] == ("dev", "activate")


def test_deviation_from_another_tag_follows_both_tags() -> None:
    e = engine(
        {
            "name": "dev",
            "kind": "deviation",
            "device": DEVICE,
            "tag": "pv",
            "limit": 5,
            "reference": {"device": OTHER, "tag": "sp"},
        }
    )
    assert e.feed([sample(0, 50, tag="pv")]) == []  # no reference yet
    assert e.feed([sample(1, 52, tag="sp", device=OTHER)]) == []
    events = transitions(e.feed([sample(2, 60, tag="sp", device=OTHER)]))
    assert [(t.alarm, t.action, t.value) for t in events] == [("dev", Action.ACTIVATE, 50)]
    assert moves(e.feed([sample(3, 57, tag="pv")]))[0][1] == "clear"
    assert e.feed([sample(4, 0, tag="pv", quality="bad")]) == []


def test_bad_quality_alarm() -> None:
    e = engine({"name": "q", "kind": "bad_quality", "device": DEVICE, "tag": "ft7"})
    assert e.feed([sample(0, 1, tag="ft7", quality="uncertain")]) == []
    assert moves(e.feed([sample(1, 0, tag="ft7", quality="bad")]))[0][:2] == ("q", "activate")
    assert moves(e.feed([sample(2, 1, tag="ft7")]))[0][:2] == ("q", "clear")
    e = engine(
        {
            "name": "q",
            "kind": "bad_quality",
            "device": DEVICE,
            "tag": "ft7",
            "qualities": ["bad", "uncertain"],
        }
    )
    assert moves(e.feed([sample(0, 1, tag="ft7", quality="uncertain")]))[0][1] == "activate"


def test_device_down_alarm() -> None:
    e = engine({"name": "plc", "kind": "device_down", "device": DEVICE, "on_delay": 10})
    assert e.feed([health(0, "degraded"), health(5, "down"), health(10, "up")]) == []
    events = transitions(e.feed([health(20, "down"), health(30, "down")]))
    assert [(t.alarm, t.action, t.time, t.value) for t in events] == [
        ("plc", Action.ACTIVATE, 30.0, "down")
    ]
    assert moves(e.feed([health(31, "degraded")]))[0][1] == "clear"
    e = engine({"name": "plc", "kind": "device_down", "device": DEVICE, "degraded": True})
    assert moves(e.feed([health(0, "degraded")]))[0][1] == "activate"
    assert e.feed([health(1, "sleeping")]) == []  # a state otm does not know says nothing


# -- suppression by design ----------------------------------------------------------


def test_a_down_device_suppresses_its_tag_alarms_and_ends_their_occurrences() -> None:
    e = engine(limit(), {"name": "plc", "kind": "device_down", "device": DEVICE})
    e.feed([sample(0, 92)])
    events = transitions(e.feed([health(5, "down")]))
    assert [(t.alarm, t.action, t.before, t.after) for t in events] == [
        ("tank.hihi", Action.SUPPRESS, S.NORMAL, S.SUPPRESSED),
        ("tank.hi", Action.SUPPRESS, S.UNACKNOWLEDGED, S.SUPPRESSED),
        ("tank.lo", Action.SUPPRESS, S.NORMAL, S.SUPPRESSED),
        ("tank.lolo", Action.SUPPRESS, S.NORMAL, S.SUPPRESSED),
        ("plc", Action.ACTIVATE, S.NORMAL, S.UNACKNOWLEDGED),
    ]
    assert events[1].occurrence == "tank.hi#1" and events[1].reason == f"device {DEVICE} down"
    assert [s.alarm for s in e.suppressed()] == ["tank.hihi", "tank.lolo", "tank.hi", "tank.lo"]
    assert [s.alarm for s in e.active()] == ["plc"]
    # back up: normal until a sample says otherwise, then a new occurrence
    back = transitions(e.feed([health(9, "up")]))
    assert {(t.after, t.action) for t in back[:4]} == {(S.NORMAL, Action.UNSUPPRESS)}
    assert back[4].action is Action.CLEAR
    (raised,) = transitions(e.feed([sample(10, 92)]))
    assert raised.occurrence == "tank.hi#2"


def test_health_goes_before_samples_of_the_same_instant() -> None:
    e = engine({"name": "q", "kind": "bad_quality", "device": DEVICE, "tag": "ft7"})
    events = e.feed([sample(5, 0, tag="ft7", quality="bad"), health(5, "down")])
    assert moves(events) == [("q", "suppress", "normal", "suppressed")]


def test_suppression_can_be_turned_off() -> None:
    e = engine(
        {
            "name": "q",
            "kind": "bad_quality",
            "device": DEVICE,
            "tag": "ft7",
            "suppress_when_down": False,
        }
    )
    events = e.feed([health(5, "down"), sample(5, 0, tag="ft7", quality="bad")])
    assert moves(events) == [("q", "activate", "normal", "unacknowledged")]


def test_a_rate_does_not_span_an_outage() -> None:
    e = engine(rate())
    e.feed([sample(0, 0), health(1, "down"), health(100, "up")])
    assert e.feed([sample(101, 1000)]) == []


# -- operators -------------------------------------------------------------------------


def test_acknowledge_records_who_and_when() -> None:
    e = engine(limit())
    e.feed([sample(0, 92)])
    (ack,) = transitions(e.acknowledge("tank.hi", "ana", 3, comment="seen"))
    assert (ack.action, ack.before, ack.after, ack.user, ack.time, ack.reason) == (
        Action.ACKNOWLEDGE,
        S.UNACKNOWLEDGED,
        S.ACKNOWLEDGED,
        "ana",
        3.0,
        "seen",
    )
    status = e.status("tank.hi")
    assert (status.acknowledged_by, status.acknowledged_at, status.raised) == ("ana", 3.0, 0.0)
    assert e.acknowledge("tank.hi", "bob", 4) == []  # twice: nothing
    assert moves(e.feed([sample(5, 50)])) == [("tank.hi", "clear", "acknowledged", "normal")]
    assert e.status("tank.hi").acknowledged_by is None


def test_acknowledge_after_return_to_normal_closes_the_occurrence() -> None:
    e = engine(limit())
    e.feed([sample(0, 92), sample(1, 50)])
    assert moves(e.acknowledge("tank.hi#1", "ana", 2)) == [
        ("tank.hi", "acknowledge", "returned_unacknowledged", "normal")
    ]
    assert e.active() == []


def test_retrigger_before_acknowledge_is_a_new_occurrence() -> None:
    e = engine(limit())
    e.feed([sample(0, 92), sample(1, 50)])
    (again,) = transitions(e.feed([sample(2, 93)]))
    assert (again.before, again.after) == (S.RETURNED_UNACKNOWLEDGED, S.UNACKNOWLEDGED)
    assert (again.occurrence, again.ended) == ("tank.hi#2", "tank.hi#1")
    # acknowledging the old occurrence does not acknowledge the new one
    assert e.acknowledge("tank.hi#1", "ana", 3) == []
    assert e.status("tank.hi").state is S.UNACKNOWLEDGED
    assert moves(e.acknowledge("tank.hi#2", "ana", 3))[0][3] == "acknowledged"


def test_operator_mistakes_are_errors() -> None:
    e = engine(limit())
    with pytest.raises(AlarmError, match="no alarm 'nope'"):
        e.acknowledge("nope", "ana", 0)
    with pytest.raises(AlarmError, match="names who"):
        e.acknowledge("tank.hi", " ", 0)
    with pytest.raises(AlarmError, match="must end after"):
        e.shelve("tank.hi", "ana", 10, until=10)
    with pytest.raises(AlarmError, match="exceeds the 3600 s allowed"):
        e.shelve("tank.hi", "ana", 10, until=3611)
    assert e.clock is None  # a refused action moves nothing, not even the clock


def test_shelve_hides_and_expiry_announces_what_is_true_then() -> None:
    e = engine(limit())
    e.feed([sample(0, 92)])
    (shelve,) = transitions(e.shelve("tank.hi", "ana", 1, until=61, reason="sensor swap"))
    assert (shelve.before, shelve.after, shelve.occurrence) == (
        S.UNACKNOWLEDGED,
        S.SHELVED,
        "tank.hi#1",
    )
    assert shelve.shelved_until == 61.0
    status = e.status("tank.hi")
    assert (status.shelved_by, status.shelved_until, status.shelve_reason) == (
        "ana",
        61.0,
        "sensor swap",
    )
    assert [s.alarm for s in e.shelved()] == ["tank.hi"]
    assert e.feed([sample(10, 50), sample(20, 93)]) == []  # tracked, not shown
    (expiry,) = transitions(e.advance(100))
    assert (expiry.action, expiry.user, expiry.time, expiry.after, expiry.occurrence) == (
        Action.UNSHELVE,
        None,
        61.0,
        S.UNACKNOWLEDGED,
        "tank.hi#2",
    )
    assert expiry.reason == "shelve expired"


def test_reshelve_moves_the_end_and_unshelve_ends_it_now() -> None:
    e = engine(limit())
    e.shelve("tank.hi", "ana", 0, until=10)
    (again,) = transitions(e.shelve("tank.hi", "bob", 5, until=50))
    assert (again.before, again.after, again.user) == (S.SHELVED, S.SHELVED, "bob")
    assert e.advance(20) == []  # the first end no longer counts
    (un,) = transitions(e.unshelve("tank.hi", "ana", 30))
    assert (un.after, un.user, un.occurrence) == (S.NORMAL, "ana", None)
    assert e.advance(60) == []


def test_shelve_under_suppression() -> None:
    e = engine(limit())
    e.shelve("tank.hi", "ana", 0, until=100)
    e.feed([health(1, "down")])
    assert e.status("tank.hi").state is S.SUPPRESSED
    assert e.shelve("tank.hi", "ana", 2, until=50) == []  # nothing shows: nothing to shelve
    # suppression ends while the shelve runs: back to shelved
    back = [t for t in transitions(e.feed([health(3, "up")])) if t.alarm == "tank.hi"]
    assert [(t.action, t.after) for t in back] == [(Action.UNSUPPRESS, S.SHELVED)]
    # and a shelve that ran out under suppression is forgotten silently
    e.feed([health(4, "down")])
    assert e.advance(150) == []
    assert e.status("tank.hi").shelved_until is None
    back = [t for t in transitions(e.feed([health(151, "up")])) if t.alarm == "tank.hi"]
    assert [(t.action, t.after) for t in back] == [(Action.UNSUPPRESS, S.NORMAL)]


# -- time and order ----------------------------------------------------------------


def test_a_batch_is_taken_in_time_order_and_stale_samples_are_dropped() -> None:
    e = engine(limit())
    events = e.feed([sample(2, 50), sample(1, 92)])
    assert [t.action for t in transitions(events)] == [Action.ACTIVATE, Action.CLEAR]
    assert e.feed([sample(1.5, 99)]) == []
    assert e.stale == 1


def test_event_times_never_go_back() -> None:
    e = engine(limit())
    e.feed([health(10, "up", device=OTHER)])  # any input moves the clock
    (ev,) = transitions(e.feed([sample(5, 92)]))
    assert ev.time == 10.0  # acted at the clock
    (ack,) = transitions(e.acknowledge("tank.hi", "ana", 1))
    assert ack.time == 10.0


def test_same_inputs_same_events() -> None:
    inputs = [sample(t, v) for t, v in enumerate([50, 92, 96, 40, 3, 60, 91])]
    runs = []
    for _ in range(2):
        e = engine(limit(on_delay=0.5, deadband=1))
        runs.append(e.feed(inputs) + e.advance(100))
    assert runs[0] == runs[1]


def test_other_observations_and_other_tags_are_ignored() -> None:
    e = engine(limit())
    seen = AssetSeen(0.0, "00:11:22:33:44:55", DEVICE, EVIDENCE)
    assert e.feed([seen, sample(1, 1000, tag="other")]) == []
    assert e.clock == 1.0  # a sample of any tag is a time: it moves the clock


def test_statuses_list_every_point() -> None:
    e = engine(limit())
    assert [(s.alarm, s.state) for s in e.statuses()] == [
        (key, S.NORMAL) for key in ("tank.hihi", "tank.hi", "tank.lo", "tank.lolo")
    ]
    assert isinstance(e.feed([sample(0, 92)])[0], AlarmTransition)
