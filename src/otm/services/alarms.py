"""Use case: the alarm engine across processes - restore it, take operator actions, show it.

The engine (``otm.alarms``) is pure; this module gives it a home in the
store.  Its state and the alarm file text it was built from live in
``alarm_state``; every event goes to the journal; an operator's acknowledge,
shelve or unshelve is recorded in ``alarm_actions`` and taken by the one
process that owns the engine (``MonitoringStore.claim_engine``):

- while ``otm monitor`` runs, it takes pending actions at each flush
  (about a second) and ``act`` waits for the result;
- when no monitor runs, ``act`` claims the engine itself for the moment it
  restores the state, takes the actions and saves.

Either way an action is applied at the time it was asked, by the user who
asked, and its outcome (what changed, or why it failed) is stored with it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from otm.alarms import (
    AlarmEngine,
    AlarmError,
    AlarmEvent,
    AlarmFileError,
    AlarmStatus,
    AlarmTransition,
    event_to_dict,
    parse_alarms,
)
from otm.model.monitoring import AlarmActionRequest
from otm.store.errors import StoreError
from otm.store.monitoring import EngineBusyError, MonitoringStore

WAIT = 10.0
"""Seconds ``act`` waits for a running monitor to take an action."""


@dataclass
class EngineHome:
    """An engine, the alarm file text it came from, and its events not yet stored."""

    engine: AlarmEngine
    config_text: str
    unsaved: list[dict[str, Any]]

    def record(self, events: Sequence[AlarmEvent]) -> None:
        """Keep events for the next save."""
        self.unsaved.extend(event_to_dict(e) for e in events)

    def save(self, store: MonitoringStore, now: float) -> None:
        """Store the state and the unsaved events (kept for the next try on failure)."""
        store.save_alarm_state(self.config_text, self.engine.to_dict(), now, self.unsaved)
        self.unsaved = []


def restore(
    store: MonitoringStore, text: str | None = None, source: str = "<alarms>"
) -> EngineHome | None:
    """The engine for alarm file ``text`` (or the stored one) in its stored state.

    A new file keeps the state of the points it still has (``from_dict``);
    with no file and nothing stored there are no alarms (None).  Raises
    ``AlarmFileError`` for a file that does not parse and ``StoreError`` for a
    stored state this otm cannot read.
    """
    stored = store.load_alarm_state()
    if text is None:
        if stored is None:
            return None
        text, source = stored[0], f"the alarm file stored in {store.url}"
    config = parse_alarms(text, source)
    if stored is None:
        return EngineHome(AlarmEngine(config), text, [])
    try:
        engine = AlarmEngine.from_dict(config, stored[1])
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(
            f"cannot restore the alarm state stored in {store.url}: {exc} (written by a newer otm?)"
        ) from exc
    return EngineHome(engine, text, [])


def apply_action(
    engine: AlarmEngine, request: AlarmActionRequest
) -> tuple[bool, str, list[AlarmEvent]]:
    """Take one operator action; (done?, what came of it, events)."""
    at = request.requested_at
    try:
        if request.action == "acknowledge":
            events = engine.acknowledge(request.alarm, request.user, at, request.comment)
        elif request.action == "shelve":
            if request.until is None:
                return False, "a shelve needs an end time", []
            events = engine.shelve(request.alarm, request.user, at, request.until, request.comment)
        else:
            events = engine.unshelve(request.alarm, request.user, at, request.comment)
    except (AlarmError, ValueError) as exc:
        return False, str(exc), []
    moves = [e for e in events if isinstance(e, AlarmTransition) and e.user == request.user]
    if not moves:
        status = engine.status(request.alarm)
        return True, f"nothing to do: {status.alarm} is {status.state}", events
    return True, "; ".join(f"{m.alarm}: {m.before} -> {m.after}" for m in moves), events


def take_pending(store: MonitoringStore, home: EngineHome, now: float) -> list[AlarmActionRequest]:
    """Apply every pending action to ``home``'s engine and store the outcome with the state."""
    pending = store.pending_alarm_actions()
    if not pending:
        return []
    results: list[tuple[int, bool, str]] = []
    for request in pending:
        ok, result, events = apply_action(home.engine, request)
        home.record(events)
        results.append((request.id, ok, result))
    store.finish_alarm_actions(results, now, home.config_text, home.engine.to_dict(), home.unsaved)
    home.unsaved = []
    return pending


def act(
    store: MonitoringStore,
    action: str,
    alarm: str,
    user: str,
    *,
    comment: str = "",
    until: float | None = None,
    clock: Callable[[], float] = time.time,
    wait: float = WAIT,
) -> AlarmActionRequest:
    """Ask for an acknowledge, shelve or unshelve and return it once taken.

    With no alarms at all the action comes back ``failed`` with the reason.
    Raises ``AlarmError`` when ``user`` is blank, ``TimeoutError`` when a
    running monitor did not take it within ``wait`` seconds (it stays
    pending and will be taken).
    """
    if not user.strip():
        raise AlarmError("say who acts (--user)")
    now = clock()
    action_id = store.request_alarm_action(action, alarm, user, now, comment, until)
    deadline = time.monotonic() + wait
    while True:
        # Checked again while waiting: an owner that stops without taking it (another
        # command line that read the pending actions before this one) leaves it to us.
        if store.live_run(clock()) is None:
            with contextlib.suppress(EngineBusyError):  # a monitor started meanwhile: it takes it
                _take_offline(store, clock)
        request = store.alarm_action(action_id)
        if request is None:  # pragma: no cover - rows are never deleted
            raise StoreError(f"alarm action {action_id} vanished from {store.url}")
        if request.status != "pending":
            return request
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"the running monitor has not taken action {action_id} within {wait:g} s; "
                "it stays pending and will be taken when the monitor catches up"
            )
        time.sleep(0.2)


def _take_offline(store: MonitoringStore, clock: Callable[[], float]) -> None:
    run = store.claim_engine(socket.gethostname(), os.getpid(), "(command line)", clock())
    try:
        home = restore(store)
        if home is None:
            pending = store.pending_alarm_actions()
            reason = "no alarms are configured (run otm monitor with --alarms first)"
            store.finish_alarm_actions([(p.id, False, reason) for p in pending], clock())
            return
        take_pending(store, home, clock())
    finally:
        store.release_engine(run, clock(), {})


@dataclass
class AlarmSummary:
    """The alarm summary as stored: what shows, what is shelved or suppressed."""

    active: list[AlarmStatus]
    shelved: list[AlarmStatus]
    suppressed: list[AlarmStatus]
    points: int
    in_flood: bool
    updated: float | None


def summary(store: MonitoringStore) -> AlarmSummary | None:
    """The stored engine's alarm summary, or None when no alarms were ever configured."""
    try:
        home = restore(store)
    except AlarmFileError as exc:  # pragma: no cover - otm stored a file it parsed
        raise StoreError(f"the alarm file stored in {store.url} no longer parses: {exc}") from exc
    if home is None:
        return None
    engine = home.engine
    return AlarmSummary(
        engine.active(),
        engine.shelved(),
        engine.suppressed(),
        len(engine.statuses()),
        engine.in_flood,
        engine.clock,
    )
