"""The monitoring tables on SQLite and PostgreSQL: device health and its changes, the
alarm engine's state and journal, operator actions, and the runs that own the engine.

Health reports are real ``DeviceHealth`` records; journal events are the alarm
engine's own (an ``AlarmEngine`` built from alarm file text, fed ``TagSample``s),
stored as ``event_to_dict`` makes them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from otm.alarms import AlarmEngine, AlarmEvent, AlarmTransition, event_to_dict, parse_alarms
from otm.model.monitoring import HealthChange, HealthStatus
from otm.observations.records import DeviceHealth, Evidence, TagSample
from otm.store.monitoring import STALE, EngineBusyError, MonitoringStore

PLC = "10.77.0.5"
RTU = "10.77.0.9"
RIO = "10.77.0.10"
EVIDENCE = Evidence("poll", "tags.yaml", None, "modbus read_holding_registers")


@pytest.fixture
def store(store_url: str) -> Iterator[MonitoringStore]:
    opened = MonitoringStore(store_url)
    try:
        yield opened
    finally:
        opened.close()


def report(
    time: float, state: str, ip: str = PLC, *, errors: int = 0, requests: int = 10
) -> DeviceHealth:
    """One health report as the poller makes it: a down device answered nothing."""
    answered = state != "down"
    return DeviceHealth(
        time,
        ip,
        state,
        requests=requests,
        errors=errors,
        timeouts=0 if answered else requests,
        rtt_ms=4.5 if answered else None,
        last_good=time if answered else None,
        evidence=EVIDENCE,
        protocol="modbus",
    )


def sample(time: float, value: float, tag: str = "level", quality: str = "good") -> TagSample:
    return TagSample(time, PLC, tag, value, quality, EVIDENCE)


def events_of(events: list[AlarmEvent]) -> list[dict[str, Any]]:
    return [event_to_dict(e) for e in events]


# -- device health ----------------------------------------------------------------


def test_first_report_is_a_change_from_nothing(store: MonitoringStore) -> None:
    assert store.health() == [] and store.health_changes() == []
    changes = store.record_health([report(100.0, "up")])
    assert changes == [HealthChange(PLC, 100.0, "up", None, 4.5, 0, 0)]
    assert store.health() == [
        HealthStatus(PLC, "modbus", "up", 100.0, 100.0, 10, 0, 0, 4.5, 100.0, EVIDENCE)
    ]
    assert store.health_changes() == changes


def test_since_moves_only_when_the_state_changes(store: MonitoringStore) -> None:
    store.record_health([report(100.0, "up")])
    assert store.record_health([report(110.0, "up", errors=1)]) == []
    (status,) = store.health()
    assert (status.state, status.since, status.time, status.errors) == ("up", 100.0, 110.0, 1)
    assert status.error_rate == pytest.approx(0.1)

    (change,) = store.record_health([report(120.0, "degraded", errors=5)])
    assert (change.state, change.previous, change.time, change.errors) == (
        "degraded",
        "up",
        120.0,
        5,
    )
    store.record_health([report(130.0, "degraded", errors=4)])
    (status,) = store.health()
    assert (status.state, status.since, status.time, status.errors) == ("degraded", 120.0, 130.0, 4)

    (down,) = store.record_health([report(140.0, "down")])
    (status,) = store.health()
    assert (status.state, status.since, status.rtt_ms, status.last_good) == (
        "down",
        140.0,
        None,
        None,
    )
    assert status.error_rate == 1.0
    assert [(c.time, c.previous, c.state) for c in store.health_changes()] == [
        (100.0, None, "up"),
        (120.0, "up", "degraded"),
        (140.0, "degraded", "down"),
    ]
    assert down == store.health_changes()[-1]


def test_one_batch_is_taken_in_time_order(store: MonitoringStore) -> None:
    changes = store.record_health(
        [report(30.0, "down"), report(10.0, "up"), report(20.0, "up"), report(15.0, "up", RTU)]
    )
    assert [(c.asset_ip, c.time, c.previous, c.state) for c in changes] == [
        (PLC, 10.0, None, "up"),
        (RTU, 15.0, None, "up"),
        (PLC, 30.0, "up", "down"),
    ]
    by_ip = {s.asset_ip: s for s in store.health()}
    assert (by_ip[PLC].state, by_ip[PLC].since, by_ip[PLC].time) == ("down", 30.0, 30.0)
    assert (by_ip[RTU].state, by_ip[RTU].since) == ("up", 15.0)


def test_an_older_report_than_the_stored_one_is_ignored(store: MonitoringStore) -> None:
    store.record_health([report(100.0, "up")])
    store.record_health([report(200.0, "down")])
    assert store.record_health([report(150.0, "degraded")]) == []  # late, out of order
    (status,) = store.health()
    assert (status.state, status.since, status.time) == ("down", 200.0, 200.0)
    assert len(store.health_changes()) == 2
    # a report at the stored time is not older: it is taken
    assert store.record_health([report(200.0, "degraded")])[0].previous == "down"


def test_health_is_in_address_order_and_changes_filter(store: MonitoringStore) -> None:
    store.record_health([report(1.0, "up", RIO), report(2.0, "up", RTU), report(3.0, "up")])
    store.record_health([report(4.0, "down", RTU), report(5.0, "degraded", RIO)])
    store.record_health([report(6.0, "up", RTU)])
    assert [s.asset_ip for s in store.health()] == [PLC, RTU, RIO]  # .5 .9 .10, not text order
    assert [c.time for c in store.health_changes(RTU)] == [2.0, 4.0, 6.0]
    assert [c.time for c in store.health_changes(since=4.0)] == [4.0, 5.0, 6.0]
    assert [c.time for c in store.health_changes(limit=2)] == [5.0, 6.0]  # the latest, oldest first
    assert store.health_changes("10.0.0.1") == []


# -- alarm state and journal --------------------------------------------------------

ALARMS = f"""\
schema: otm.alarms/1
flood: null
shelve_max: 600
alarms:
  - name: tank
    kind: limit
    device: {PLC}
    tag: level
    hihi: {{limit: 95, priority: critical}}
    hi: 90
  - {{name: tankx, kind: limit, device: {PLC}, tag: other, hi: 90}}
  - {{name: TANK, kind: limit, device: {PLC}, tag: big, hi: 90}}
  - {{name: t_1, kind: limit, device: {PLC}, tag: under, hi: 90}}
  - {{name: tx1, kind: limit, device: {PLC}, tag: lookalike, hi: 90}}
"""

FLOODING = """\
schema: otm.alarms/1
flood: {max_alarms: 2, window: 10, clear_below: 1}
alarms:
""" + "".join(
    f"  - {{name: q{i}, kind: bad_quality, device: {PLC}, tag: t{i}}}\n" for i in range(8)
)


def test_no_alarm_state_before_the_first_save(store: MonitoringStore) -> None:
    assert store.load_alarm_state() is None
    assert store.alarm_journal() == []


def test_alarm_state_round_trip(store: MonitoringStore) -> None:
    engine = AlarmEngine(parse_alarms(ALARMS))
    events = engine.feed([sample(10.0, 92.0), sample(11.0, 50.0, "other")])
    events += engine.acknowledge("tank.hi", "ana", 12.0, "seen")
    events += engine.shelve("tankx.hi", "ana", 13.0, until=300.0, reason="sensor swap")
    store.save_alarm_state(ALARMS, engine.to_dict(), 13.0, events_of(events))

    loaded = store.load_alarm_state()
    assert loaded is not None
    text, body = loaded
    assert text == ALARMS
    back = AlarmEngine.from_dict(parse_alarms(text), body)
    assert back.statuses() == engine.statuses()
    assert back.status("tank.hi").acknowledged_by == "ana"
    assert back.status("tankx.hi").shelved_until == 300.0
    # the shelve still ends on time after the round trip
    expired = [e for e in back.advance(300.0) if isinstance(e, AlarmTransition)]
    assert [(e.alarm, str(e.after), e.reason) for e in expired] == [
        ("tankx.hi", "normal", "shelve expired")
    ]

    # a later save replaces the state; another name is another state
    engine.feed([sample(20.0, 96.0)])
    store.save_alarm_state(ALARMS, engine.to_dict(), 20.0)
    store.save_alarm_state("schema: otm.alarms/1\n", {"other": True}, 21.0, name="spare")
    loaded = store.load_alarm_state()
    assert loaded is not None
    assert AlarmEngine.from_dict(parse_alarms(loaded[0]), loaded[1]).statuses() == (
        engine.statuses()
    )
    assert store.load_alarm_state("spare") == ("schema: otm.alarms/1\n", {"other": True})


def test_journal_has_a_row_per_transition(store: MonitoringStore) -> None:
    engine = AlarmEngine(parse_alarms(ALARMS))
    raised = engine.feed([sample(10.0, 92.0), sample(11.0, 96.0)])
    store.save_alarm_state(ALARMS, engine.to_dict(), 11.0, events_of(raised))
    acked = engine.acknowledge("tank.hihi", "ana", 12.0, "on it")
    store.save_alarm_state(ALARMS, engine.to_dict(), 12.0, events_of(acked))

    journal = store.alarm_journal()
    expected = events_of(raised + acked)
    assert len(journal) == len(expected) == 3
    assert [e.body for e in journal] == expected
    assert journal[0].id < journal[1].id < journal[2].id
    for entry, event in zip(journal, expected, strict=True):
        assert entry.type == "transition"
        assert (entry.time, entry.alarm, entry.occurrence) == (
            event["time"],
            event["alarm"],
            event["occurrence"],
        )
        assert (entry.before, entry.after, entry.priority, entry.user) == (
            event["before"],
            event["after"],
            event["priority"],
            event["user"],
        )
    ack = journal[-1]
    assert (ack.alarm, ack.occurrence, ack.before, ack.after, ack.user) == (
        "tank.hihi",
        "tank.hihi#1",
        "unacknowledged",
        "acknowledged",
        "ana",
    )
    assert ack.priority == "critical" and ack.body["reason"] == "on it"
    assert [e.time for e in store.alarm_journal(since=11.0)] == [11.0, 12.0]
    assert [e.time for e in store.alarm_journal(limit=1)] == [12.0]


def test_journal_of_a_definition_matches_its_points_only(store: MonitoringStore) -> None:
    engine = AlarmEngine(parse_alarms(ALARMS))
    tags = ("level", "other", "big", "under", "lookalike")
    events = engine.feed([sample(10.0 + i, 99.0, tag) for i, tag in enumerate(tags)])
    store.save_alarm_state(ALARMS, engine.to_dict(), 20.0, events_of(events))
    assert {e.alarm for e in store.alarm_journal()} == {
        "tank.hi",
        "tank.hihi",
        "tankx.hi",
        "TANK.hi",
        "t_1.hi",
        "tx1.hi",
    }

    def alarms(name: str) -> set[str | None]:
        return {e.alarm for e in store.alarm_journal(alarm=name)}

    assert alarms("tank") == {"tank.hi", "tank.hihi"}  # not tankx, not TANK
    assert alarms("tank.hi") == {"tank.hi"}
    assert alarms("TANK") == {"TANK.hi"}
    assert alarms("t_1") == {"t_1.hi"}  # '_' is a character, not a wildcard
    assert alarms("tan") == set()


def test_a_flood_is_one_row_its_end_replacing_its_start(store: MonitoringStore) -> None:
    engine = AlarmEngine(parse_alarms(FLOODING))

    def bad(time: float, i: int) -> TagSample:
        return sample(time, 0, f"t{i}", "bad")

    started = engine.feed([bad(0, 0), bad(1, 1), bad(2, 2), bad(3, 3)])
    assert [d["type"] for d in events_of(started)] == ["transition", "transition", "flood"]
    store.save_alarm_state(FLOODING, engine.to_dict(), 3.0, events_of(started))
    floods = [e for e in store.alarm_journal() if e.type == "flood"]
    assert len(floods) == 1
    assert floods[0].time == 2.0 and floods[0].body["ended"] is None
    assert floods[0].alarm is None and floods[0].user is None

    ended = engine.advance(30.0)
    (end,) = events_of(ended)
    assert end["type"] == "flood" and end["ended"] is not None
    store.save_alarm_state(FLOODING, engine.to_dict(), 30.0, [end])
    journal = store.alarm_journal()
    assert [e.type for e in journal] == ["transition", "transition", "flood"]
    assert journal[-1].body == end and journal[-1].time == end["ended"]

    # the next flood is the next row, the first stays
    second = engine.feed([bad(40, 4), bad(41, 5), bad(42, 6)])
    store.save_alarm_state(FLOODING, engine.to_dict(), 42.0, events_of(second))
    numbers = [e.body["flood"] for e in store.alarm_journal() if e.type == "flood"]
    assert numbers == [1, 2]


def test_a_journal_event_of_another_type_is_refused_whole(store: MonitoringStore) -> None:
    engine = AlarmEngine(parse_alarms(ALARMS))
    good = events_of(engine.feed([sample(10.0, 92.0)]))
    with pytest.raises(ValueError, match="not an alarm event"):
        store.save_alarm_state(ALARMS, engine.to_dict(), 10.0, [*good, {"type": "note"}])
    assert store.alarm_journal() == []
    assert store.load_alarm_state() is None


# -- operator actions ------------------------------------------------------------


def test_actions_go_from_pending_to_done_or_failed(store: MonitoringStore) -> None:
    ack = store.request_alarm_action("acknowledge", "tank.hi", "ana", 10.0, "seen")
    shelve = store.request_alarm_action("shelve", "tank.hi", "bo", 11.0, "swap", until=500.0)
    unshelve = store.request_alarm_action("unshelve", "tankx.hi", "cy", 12.0)
    assert ack < shelve < unshelve
    pending = store.pending_alarm_actions()
    assert [(p.id, p.action, p.alarm, p.user) for p in pending] == [
        (ack, "acknowledge", "tank.hi", "ana"),
        (shelve, "shelve", "tank.hi", "bo"),
        (unshelve, "unshelve", "tankx.hi", "cy"),
    ]
    first = pending[0]
    assert (first.requested_at, first.comment, first.until, first.status) == (
        10.0,
        "seen",
        None,
        "pending",
    )
    assert (first.result, first.done_at) == ("", None)
    assert pending[1].until == 500.0

    store.finish_alarm_actions([(ack, True, "tank.hi: a -> b"), (shelve, False, "too long")], 20.0)
    done, failed = store.alarm_action(ack), store.alarm_action(shelve)
    assert done is not None and failed is not None
    assert (done.status, done.result, done.done_at) == ("done", "tank.hi: a -> b", 20.0)
    assert (failed.status, failed.result, failed.done_at) == ("failed", "too long", 20.0)
    assert [p.id for p in store.pending_alarm_actions()] == [unshelve]
    # a taken action is not taken again
    store.finish_alarm_actions([(ack, False, "again")], 30.0)
    again = store.alarm_action(ack)
    assert again is not None and (again.status, again.result) == ("done", "tank.hi: a -> b")
    assert store.alarm_action(unshelve + 100) is None
    with pytest.raises(ValueError, match="unknown alarm action 'silence'"):
        store.request_alarm_action("silence", "tank.hi", "ana", 40.0)


def test_finishing_actions_saves_their_state_and_journal(store: MonitoringStore) -> None:
    engine = AlarmEngine(parse_alarms(ALARMS))
    raised = engine.feed([sample(10.0, 92.0)])
    store.save_alarm_state(ALARMS, engine.to_dict(), 10.0, events_of(raised))
    action = store.request_alarm_action("acknowledge", "tank.hi", "ana", 11.0)
    acked = engine.acknowledge("tank.hi", "ana", 11.0)
    store.finish_alarm_actions(
        [(action, True, "acknowledged")], 11.5, ALARMS, engine.to_dict(), events_of(acked)
    )
    loaded = store.load_alarm_state()
    assert loaded is not None
    restored = AlarmEngine.from_dict(parse_alarms(loaded[0]), loaded[1])
    assert str(restored.status("tank.hi").state) == "acknowledged"
    assert [(e.after, e.user) for e in store.alarm_journal()] == [
        ("unacknowledged", None),
        ("acknowledged", "ana"),
    ]


# -- runs owning the engine --------------------------------------------------------


def test_a_second_claim_names_the_live_run(store: MonitoringStore) -> None:
    run = store.claim_engine("host-a", 4242, "tags.yaml", 1000.0)
    live = store.live_run(1001.0)
    assert live is not None and (live.id, live.host, live.pid, live.tags) == (
        run,
        "host-a",
        4242,
        "tags.yaml",
    )
    with pytest.raises(EngineBusyError, match=r"pid 4242 on host-a") as caught:
        store.claim_engine("host-b", 77, "(command line)", 1002.0)
    assert caught.value.run.id == run
    assert [r.id for r in store.monitor_runs()] == [run]  # the refused claim left no row


def test_a_beating_run_keeps_the_engine(store: MonitoringStore) -> None:
    run = store.claim_engine("host-a", 1, "tags.yaml", 0.0)
    for now in (10.0, 20.0, 30.0):
        store.beat(run, now, {"samples": int(now)})
    with pytest.raises(EngineBusyError):
        store.claim_engine("host-b", 2, "tags.yaml", 30.0 + STALE - 1)
    (stored,) = store.monitor_runs()
    assert (stored.heartbeat, stored.summary, stored.stopped_at) == (30.0, {"samples": 30}, None)


def test_a_stale_run_is_taken_over_and_closed(store: MonitoringStore) -> None:
    dead = store.claim_engine("host-a", 1, "tags.yaml", 0.0)
    store.beat(dead, 10.0, {})
    assert store.live_run(10.0 + STALE) is not None
    assert store.live_run(10.0 + STALE + 1) is None
    taken = store.claim_engine("host-b", 2, "tags.yaml", 10.0 + STALE + 1)
    new, old = store.monitor_runs()
    assert (new.id, old.id) == (taken, dead)
    assert old.stopped_at == 10.0  # closed at its last sign of life
    assert new.stopped_at is None and new.heartbeat == 10.0 + STALE + 1
    live = store.live_run(10.0 + STALE + 2)
    assert live is not None and live.id == taken
    # a shorter stale figure is the caller's to give
    store.beat(taken, 100.0, {})
    third = store.claim_engine("host-c", 3, "tags.yaml", 103.0, stale=2.0)
    assert store.monitor_runs()[0].id == third


def test_release_frees_the_engine(store: MonitoringStore) -> None:
    run = store.claim_engine("host-a", 1, "tags.yaml", 0.0)
    store.release_engine(run, 5.0, {"samples": 12})
    (closed,) = store.monitor_runs()
    assert (closed.stopped_at, closed.heartbeat, closed.summary) == (5.0, 5.0, {"samples": 12})
    assert store.live_run(5.5) is None
    again = store.claim_engine("host-a", 1, "tags.yaml", 6.0)
    assert again != run and store.monitor_runs()[0].stopped_at is None


def _claim_together(
    stores: list[MonitoringStore], now: float
) -> tuple[list[int], list[EngineBusyError], list[BaseException]]:
    """Every store claims the engine from its own thread, released at one moment."""
    start = threading.Barrier(len(stores))
    won: list[int] = []
    busy: list[EngineBusyError] = []
    other: list[BaseException] = []

    def claim(store: MonitoringStore, pid: int) -> None:
        start.wait()
        try:
            won.append(store.claim_engine("host", pid, "tags.yaml", now))
        except EngineBusyError as exc:
            busy.append(exc)
        except BaseException as exc:  # reported to the test thread
            other.append(exc)

    threads = [threading.Thread(target=claim, args=(s, pid)) for pid, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return won, busy, other


def test_claims_at_the_same_moment_have_one_winner(store_url: str) -> None:
    """Each claimer has its own store (engine, connections), as two processes would."""
    stores = [MonitoringStore(store_url) for _ in range(3)]
    try:
        for round_ in range(3):
            now = 1000.0 * (round_ + 1)
            won, busy, other = _claim_together(stores, now)
            assert other == []
            assert len(won) == 1 and len(busy) == len(stores) - 1
            assert {exc.run.id for exc in busy} == set(won)
            live = [r for r in stores[0].monitor_runs() if r.stopped_at is None]
            assert [r.id for r in live] == won
            stores[0].release_engine(won[0], now + 1, {})
    finally:
        for s in stores:
            s.close()
