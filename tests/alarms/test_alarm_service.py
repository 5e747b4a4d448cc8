"""The alarm service (``otm.services.alarms``) on a real database: restoring the engine,
operator actions taken offline by the command line or by a running monitor, the summary.

The running monitor is simulated as ``otm monitor`` behaves: a thread with its own
store that claims the engine, then every 0.1 s takes the pending actions and beats.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from otm.alarms import AlarmError, AlarmFileError, AlarmState
from otm.observations.records import Evidence, TagSample
from otm.services.alarms import EngineHome, act, restore, summary, take_pending
from otm.store.errors import StoreError
from otm.store.monitoring import MonitoringStore

PLC = "10.77.0.5"
EVIDENCE = Evidence("poll", "tags.yaml", None, "modbus read_holding_registers")
T0 = 1_700_000_000.0

ALARMS = f"""\
schema: otm.alarms/1
flood: null
shelve_max: 600
alarms:
  - {{name: tank, kind: limit, device: {PLC}, tag: level, hi: 90, lo: 10}}
  - {{name: pump, kind: bad_quality, device: {PLC}, tag: pump, priority: high}}
"""


def sample(time: float, value: float, tag: str = "level", quality: str = "good") -> TagSample:
    return TagSample(time, PLC, tag, value, quality, EVIDENCE)


def at(moment: float) -> Callable[[], float]:
    return lambda: moment


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MonitoringStore]:
    opened = MonitoringStore(tmp_path / "otm.db")
    try:
        yield opened
    finally:
        opened.close()


def raise_alarms(store: MonitoringStore, text: str = ALARMS) -> EngineHome:
    """Store an engine with tank.hi and pump raised (unacknowledged), as a monitor would."""
    home = restore(store, text, "alarms.yaml")
    assert home is not None
    home.record(home.engine.feed([sample(T0, 95.0), sample(T0 + 1, 0, "pump", "bad")]))
    home.save(store, T0 + 1)
    return home


def prepare(path: Path) -> None:
    setup = MonitoringStore(path)
    try:
        raise_alarms(setup)
    finally:
        setup.close()


def _active(store: MonitoringStore) -> dict[str, AlarmState]:
    found = summary(store)
    assert found is not None
    return {s.alarm: s.state for s in found.active}


# -- no monitor: the command line takes the action itself ----------------------------


def test_act_without_a_monitor_acknowledges(store_url: str) -> None:
    store = MonitoringStore(store_url)
    try:
        raise_alarms(store)
        assert _active(store) == {
            "pump": AlarmState.UNACKNOWLEDGED,
            "tank.hi": AlarmState.UNACKNOWLEDGED,
        }
        done = act(store, "acknowledge", "tank.hi", "ana", comment="seen", clock=at(T0 + 10))
        assert (done.status, done.result) == ("done", "tank.hi: unacknowledged -> acknowledged")
        assert (done.user, done.comment, done.requested_at, done.done_at) == (
            "ana",
            "seen",
            T0 + 10,
            T0 + 10,
        )
        last = store.alarm_journal()[-1]
        assert (last.alarm, last.occurrence, last.before, last.after, last.user, last.time) == (
            "tank.hi",
            "tank.hi#1",
            "unacknowledged",
            "acknowledged",
            "ana",
            T0 + 10,
        )
        assert last.body["reason"] == "seen"
        found = summary(store)
        assert found is not None
        ack = next(s for s in found.active if s.alarm == "tank.hi")
        assert (ack.state, ack.acknowledged_by, ack.acknowledged_at) == (
            AlarmState.ACKNOWLEDGED,
            "ana",
            T0 + 10,
        )
        assert found.updated == T0 + 10 and found.points == 3  # tank.hi, tank.lo, pump
        # the command line held the engine for the moment of the act only
        (run,) = store.monitor_runs()
        assert (run.tags, run.stopped_at) == ("(command line)", T0 + 10)
        assert store.live_run(T0 + 10) is None
        assert store.pending_alarm_actions() == []
    finally:
        store.close()


def test_acknowledging_a_normal_alarm_is_done_with_nothing_to_do(
    store: MonitoringStore,
) -> None:
    raise_alarms(store)
    done = act(store, "acknowledge", "tank.lo", "ana", clock=at(T0 + 5))
    assert (done.status, done.result) == ("done", "nothing to do: tank.lo is normal")
    assert all(e.user is None for e in store.alarm_journal())


def test_shelve_beyond_shelve_max_fails_and_changes_nothing(store: MonitoringStore) -> None:
    raise_alarms(store)
    journal = store.alarm_journal()
    failed = act(
        store, "shelve", "tank.hi", "ana", comment="swap", until=T0 + 10 + 601, clock=at(T0 + 10)
    )
    assert failed.status == "failed"
    assert failed.result == "shelve of tank.hi for 601 s exceeds the 600 s allowed (shelve_max)"
    assert store.alarm_journal() == journal
    assert _active(store)["tank.hi"] is AlarmState.UNACKNOWLEDGED

    done = act(store, "shelve", "tank.hi", "ana", until=T0 + 10 + 600, clock=at(T0 + 10))
    assert (done.status, done.result) == ("done", "tank.hi: unacknowledged -> shelved")
    found = summary(store)
    assert found is not None
    assert [(s.alarm, s.shelved_by, s.shelved_until) for s in found.shelved] == [
        ("tank.hi", "ana", T0 + 610)
    ]
    back = act(store, "unshelve", "tank.hi", "bo", clock=at(T0 + 20))
    assert (back.status, back.result) == ("done", "tank.hi: shelved -> unacknowledged")
    assert _active(store)["tank.hi"] is AlarmState.UNACKNOWLEDGED


def test_a_shelve_without_an_end_fails(store: MonitoringStore) -> None:
    raise_alarms(store)
    failed = act(store, "shelve", "tank.hi", "ana", clock=at(T0 + 10))
    assert (failed.status, failed.result) == ("failed", "a shelve needs an end time")


def test_an_unknown_alarm_fails(store: MonitoringStore) -> None:
    raise_alarms(store)
    failed = act(store, "acknowledge", "tankx.hi", "ana", clock=at(T0 + 10))
    assert (failed.status, failed.result) == ("failed", "no alarm 'tankx.hi'")
    assert failed.done_at == T0 + 10


def test_without_alarms_every_pending_action_fails_with_the_reason(
    store: MonitoringStore,
) -> None:
    assert summary(store) is None
    waiting = store.request_alarm_action("acknowledge", "tank.hi", "bo", T0)
    failed = act(store, "unshelve", "tank.hi", "ana", clock=at(T0 + 10))
    reason = "no alarms are configured (run otm monitor with --alarms first)"
    assert (failed.status, failed.result) == ("failed", reason)
    earlier = store.alarm_action(waiting)
    assert earlier is not None and (earlier.status, earlier.result) == ("failed", reason)
    assert store.pending_alarm_actions() == []
    assert store.load_alarm_state() is None


def test_an_action_needs_a_user(store: MonitoringStore) -> None:
    raise_alarms(store)
    with pytest.raises(AlarmError, match="--user"):
        act(store, "acknowledge", "tank.hi", "  ", clock=at(T0 + 10))
    assert store.pending_alarm_actions() == [] and store.monitor_runs() == []


# -- a running monitor takes the action ---------------------------------------------


class FakeMonitor:
    """What ``otm monitor`` does about actions: claim, then take pending and beat every 0.1 s."""

    def __init__(self, path: Path, *, taking: bool = True) -> None:
        self.store = MonitoringStore(path)
        self.taking = taking
        self.stop = threading.Event()
        self.taken: list[int] = []
        self.errors: list[BaseException] = []
        home = restore(self.store)
        assert home is not None
        self.home = home
        self.run = self.store.claim_engine("plc-host", 99999, "tags.yaml", time.time())
        self.thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        try:
            while not self.stop.wait(0.1):
                now = time.time()
                if self.taking:
                    self.taken += [a.id for a in take_pending(self.store, self.home, now)]
                self.store.beat(self.run, now, {"actions": len(self.taken)})
        except BaseException as exc:  # reported to the test thread
            self.errors.append(exc)

    def __enter__(self) -> FakeMonitor:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.store.release_engine(self.run, time.time(), {})
        self.store.close()


def test_with_a_live_monitor_act_waits_for_its_result(tmp_path: Path) -> None:
    path = tmp_path / "otm.db"
    prepare(path)
    store = MonitoringStore(path)
    try:
        with FakeMonitor(path) as monitor:
            done = act(store, "acknowledge", "pump", "ana", comment="seen", wait=5.0)
            assert monitor.errors == []
        assert (done.status, done.result) == ("done", "pump: unacknowledged -> acknowledged")
        assert monitor.taken == [done.id]
        # the monitor's run took it: the command line never claimed the engine
        assert [(r.host, r.pid) for r in store.monitor_runs()] == [("plc-host", 99999)]
        assert _active(store)["pump"] is AlarmState.ACKNOWLEDGED
        assert store.alarm_journal()[-1].user == "ana"
    finally:
        store.close()


def test_a_monitor_that_does_not_take_it_times_out_and_it_stays_pending(
    tmp_path: Path,
) -> None:
    path = tmp_path / "otm.db"
    prepare(path)
    store = MonitoringStore(path)
    try:
        with FakeMonitor(path, taking=False) as monitor:
            began = time.monotonic()
            with pytest.raises(TimeoutError, match="stays pending"):
                act(store, "acknowledge", "pump", "ana", wait=0.5)
            assert 0.5 <= time.monotonic() - began < 5.0
            assert monitor.errors == []
            (pending,) = store.pending_alarm_actions()
            assert (pending.action, pending.alarm, pending.user) == ("acknowledge", "pump", "ana")
            # the monitor catching up takes it
            take_pending(monitor.store, monitor.home, time.time())
        taken = store.alarm_action(pending.id)
        assert taken is not None and taken.status == "done"
        assert [r.host for r in store.monitor_runs()] == ["plc-host"]
    finally:
        store.close()


def test_an_owner_that_stops_without_taking_it_leaves_it_to_act(tmp_path: Path) -> None:
    """Another command line held the engine (it had read the pending actions before
    ours was asked) and let it go: nobody else will take ours, so ``act`` does."""
    path = tmp_path / "otm.db"
    prepare(path)
    store = MonitoringStore(path)
    other = MonitoringStore(path)
    try:
        run = other.claim_engine("desk-2", 4343, "(command line)", time.time())
        release = threading.Timer(0.4, lambda: other.release_engine(run, time.time(), {}))
        release.start()
        began = time.monotonic()
        try:
            done = act(store, "acknowledge", "pump", "ana", wait=5.0)
        finally:
            release.join()
        assert (done.status, done.result) == ("done", "pump: unacknowledged -> acknowledged")
        assert time.monotonic() - began < 4.0
        assert [r.host for r in store.monitor_runs()][-1] == "desk-2"
        assert store.monitor_runs()[0].tags == "(command line)"
    finally:
        other.close()
        store.close()


# -- restoring the engine -------------------------------------------------------------


def test_restore_with_a_changed_file_keeps_the_points_it_still_has(
    store: MonitoringStore,
) -> None:
    raise_alarms(store)
    act(store, "acknowledge", "tank.hi", "ana", clock=at(T0 + 10))
    changed = f"""\
schema: otm.alarms/1
flood: null
alarms:
  - {{name: tank, kind: limit, device: {PLC}, tag: level, hi: 90, lo: 10}}
  - {{name: valve, kind: bad_quality, device: {PLC}, tag: valve}}
"""
    home = restore(store, changed, "new.yaml")
    assert home is not None and home.config_text == changed
    kept = home.engine.status("tank.hi")
    assert (kept.state, kept.acknowledged_by, kept.occurrence) == (
        AlarmState.ACKNOWLEDGED,
        "ana",
        "tank.hi#1",
    )
    assert home.engine.status("valve").state is AlarmState.NORMAL
    with pytest.raises(AlarmError, match="no alarm 'pump'"):
        home.engine.status("pump")
    assert home.engine.clock == T0 + 10
    # saved, the new file is the stored one
    home.save(store, T0 + 20)
    again = restore(store)
    assert again is not None and again.config_text == changed
    assert [s.alarm for s in again.engine.statuses()] == ["tank.hi", "tank.lo", "valve"]


def test_restore_without_a_file(store: MonitoringStore) -> None:
    assert restore(store) is None
    fresh = restore(store, ALARMS)
    assert fresh is not None and fresh.engine.clock is None
    assert {s.state for s in fresh.engine.statuses()} == {AlarmState.NORMAL}
    with pytest.raises(AlarmFileError, match=r"^bad\.yaml"):
        restore(store, "schema: otm.alarms/1\nalarms: [{name: x}]\n", "bad.yaml")


def test_a_state_this_otm_cannot_read_is_a_store_error(store: MonitoringStore) -> None:
    store.save_alarm_state(ALARMS, {"schema": "otm.alarms.state/99"}, T0)
    with pytest.raises(StoreError, match="cannot restore the alarm state"):
        restore(store)
    with pytest.raises(StoreError, match="cannot restore the alarm state"):
        summary(store)
