"""``MonitoringStore``: the store of a running monitor and of the operators who act on it.

Beside the inventory (``SqlStore``) it keeps each polled device's health
and its changes of state, the alarm engine's state and journal, operator
actions waiting for the engine, and the runs that own the engine.

One process at a time owns the alarm engine of a database: ``claim_engine``
registers a run only when no live run holds it (a heartbeat within
``stale`` seconds, in the same write transaction as the check, so two
claims cannot both win).  ``otm monitor`` claims it for its lifetime and
beats; the command line claims it for the moment it takes an action when
no monitor runs.  Operator actions go through ``alarm_actions`` either
way, so every act is recorded with who, when and what came of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from otm.model.monitoring import (
    ALARM_ACTIONS,
    AlarmActionRequest,
    HealthChange,
    HealthStatus,
    JournalEntry,
    MonitorRun,
)
from otm.observations.records import DeviceHealth, Evidence
from otm.store import schema as t
from otm.store.errors import StoreError
from otm.store.repository import SqlStore, _ip_key

STALE = 15.0
"""Seconds without a heartbeat after which a run no longer owns the engine."""


class EngineBusyError(StoreError):
    """Another live run owns the alarm engine of this database."""

    def __init__(self, message: str, run: MonitorRun) -> None:
        super().__init__(message)
        self.run = run


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class MonitoringStore(SqlStore):
    """``SqlStore`` plus health, alarm state, journal, actions and runs (see the module)."""

    # -- device health --------------------------------------------------

    def record_health(self, reports: Iterable[DeviceHealth]) -> list[HealthChange]:
        """Store health reports in time order; the changes of state they made.

        A device's row holds its latest report; ``since`` moves only when the
        state changes, and each change (or a device's first report) is a row
        of ``health_changes``.
        """
        ordered = sorted(reports, key=lambda r: r.time)
        if not ordered:
            return []
        h = t.device_health.c
        changes: list[HealthChange] = []
        with self._write("store device health", "health") as conn:
            self._changed(conn, "health")
            ips = sorted({r.asset_ip for r in ordered})
            known = {
                row.asset_ip: (row.state, row.since, row.time)
                for row in conn.execute(
                    sa.select(h.asset_ip, h.state, h.since, h.time).where(h.asset_ip.in_(ips))
                )
            }
            for report in ordered:
                previous = known.get(report.asset_ip)
                if previous is not None and report.time < previous[2]:
                    continue  # older than what is stored: a late duplicate
                values = _health_values(report)
                if previous is None or previous[0] != report.state:
                    since = report.time
                    changes.append(
                        HealthChange(
                            report.asset_ip,
                            report.time,
                            report.state,
                            None if previous is None else previous[0],
                            report.rtt_ms,
                            report.errors,
                            report.timeouts,
                        )
                    )
                else:
                    since = previous[1]
                if previous is None:
                    conn.execute(t.device_health.insert().values(since=since, **values))
                else:
                    conn.execute(
                        t.device_health.update()
                        .where(h.asset_ip == report.asset_ip)
                        .values(since=since, **values)
                    )
                known[report.asset_ip] = (report.state, since, report.time)
            if changes:
                conn.execute(
                    t.health_changes.insert(),
                    [
                        {
                            "asset_ip": c.asset_ip,
                            "time": c.time,
                            "state": c.state,
                            "previous": c.previous,
                            "rtt_ms": c.rtt_ms,
                            "errors": c.errors,
                            "timeouts": c.timeouts,
                        }
                        for c in changes
                    ],
                )
        return changes

    def health(self) -> list[HealthStatus]:
        """Every polled device's latest health, by address."""
        h = t.device_health.c
        with self._read("read device health") as conn:
            rows = conn.execute(sa.select(t.device_health).order_by(h.asset_ip)).all()
        return sorted((_health_status(row) for row in rows), key=lambda s: _ip_key(s.asset_ip))

    def health_changes(
        self, asset_ip: str | None = None, since: float | None = None, limit: int = 1000
    ) -> list[HealthChange]:
        """Changes of health state, oldest first: the latest ``limit`` of them."""
        c = t.health_changes.c
        query = sa.select(t.health_changes).order_by(c.id.desc()).limit(limit)
        if asset_ip is not None:
            query = query.where(c.asset_ip == asset_ip)
        if since is not None:
            query = query.where(c.time >= since)
        with self._read("read health changes") as conn:
            rows = conn.execute(query).all()
        return [
            HealthChange(
                r.asset_ip, r.time, r.state, r.previous, r.rtt_ms, int(r.errors), int(r.timeouts)
            )
            for r in reversed(rows)
        ]

    # -- the alarm engine's state and journal -----------------------------

    def save_alarm_state(
        self,
        config: str,
        body: dict[str, Any],
        time: float,
        events: Sequence[dict[str, Any]] = (),
        name: str = "engine",
    ) -> None:
        """Store the engine's state and the events that led to it, in one transaction.

        ``events`` are ``event_to_dict`` dicts; a flood summary replaces the
        row of its flood number, so the journal holds one row per flood.
        """
        with self._write("save the alarm state", "alarms") as conn:
            _journal(conn, events)
            _save_state(conn, name, config, body, time)

    def load_alarm_state(self, name: str = "engine") -> tuple[str, dict[str, Any]] | None:
        """The stored (alarm file text, engine state), or None before the first save."""
        s = t.alarm_state.c
        with self._read("load the alarm state") as conn:
            row = conn.execute(sa.select(s.config, s.body).where(s.name == name)).first()
        if row is None:
            return None
        try:
            body = json.loads(row.body)
        except ValueError as exc:
            raise StoreError(f"the stored alarm state in {self.url} is not JSON: {exc}") from exc
        return str(row.config), body

    def alarm_journal(
        self,
        alarm: str | None = None,
        since: float | None = None,
        limit: int = 100,
    ) -> list[JournalEntry]:
        """The latest ``limit`` journal rows (of one alarm point, from ``since``), oldest first.

        ``alarm`` matches a point (``tank.hi``) and every point of a
        definition (``tank``).
        """
        e = t.alarm_events.c
        query = sa.select(t.alarm_events).order_by(e.id.desc()).limit(limit)
        if alarm is not None:
            # Not LIKE: SQLite's is case-blind and '_' or '%' in a name are wildcards.
            prefix = alarm + "."
            point_of = sa.func.substr(e.alarm, 1, sa.literal(len(prefix), sa.Integer)) == prefix
            query = query.where(sa.or_(e.alarm == alarm, point_of))
        if since is not None:
            query = query.where(e.time >= since)
        with self._read("read the alarm journal") as conn:
            rows = conn.execute(query).all()
        return [
            JournalEntry(
                r.id,
                r.time,
                r.type,
                r.alarm,
                r.occurrence,
                r.before,
                r.after,
                r.priority,
                r.user,
                json.loads(r.body),
            )
            for r in reversed(rows)
        ]

    # -- operator actions -------------------------------------------------

    def request_alarm_action(
        self,
        action: str,
        alarm: str,
        user: str,
        time: float,
        comment: str = "",
        until: float | None = None,
    ) -> int:
        """Record an operator's action for the engine's owner to take; its id."""
        if action not in ALARM_ACTIONS:
            raise ValueError(f"unknown alarm action {action!r}; known: {', '.join(ALARM_ACTIONS)}")
        a = t.alarm_actions.c
        with self._write("record an alarm action", "actions") as conn:
            return int(
                conn.execute(
                    t.alarm_actions.insert()
                    .values(
                        requested_at=time,
                        action=action,
                        alarm=alarm,
                        user=user,
                        comment=comment,
                        until=until,
                        status="pending",
                        result="",
                    )
                    .returning(a.id)
                ).scalar_one()
            )

    def pending_alarm_actions(self) -> list[AlarmActionRequest]:
        """Actions not taken yet, in the order they were asked."""
        a = t.alarm_actions.c
        with self._read("read pending alarm actions") as conn:
            rows = conn.execute(
                sa.select(t.alarm_actions).where(a.status == "pending").order_by(a.id)
            ).all()
        return [_action(r) for r in rows]

    def alarm_action(self, action_id: int) -> AlarmActionRequest | None:
        """One action as it stands."""
        a = t.alarm_actions.c
        with self._read("read an alarm action") as conn:
            row = conn.execute(sa.select(t.alarm_actions).where(a.id == action_id)).first()
        return None if row is None else _action(row)

    def finish_alarm_actions(
        self,
        results: Sequence[tuple[int, bool, str]],
        time: float,
        config: str | None = None,
        body: dict[str, Any] | None = None,
        events: Sequence[dict[str, Any]] = (),
        name: str = "engine",
    ) -> None:
        """Mark actions (id, done?, result) taken and save the state they made, atomically.

        Without ``config`` and ``body`` (no engine to act on) only the actions are marked.
        """
        a = t.alarm_actions.c
        with self._write("finish alarm actions", "alarms") as conn:
            for action_id, ok, result in results:
                conn.execute(
                    t.alarm_actions.update()
                    .where(a.id == action_id, a.status == "pending")
                    .values(status="done" if ok else "failed", result=result, done_at=time)
                )
            _journal(conn, events)
            if config is not None and body is not None:
                _save_state(conn, name, config, body, time)

    # -- runs -------------------------------------------------------------

    def claim_engine(self, host: str, pid: int, tags: str, now: float, stale: float = STALE) -> int:
        """Register a run that owns the alarm engine; its id.

        Raises ``EngineBusyError`` naming the live run that owns it.  A run
        whose heartbeat is older than ``stale`` seconds is taken to be dead
        (killed without stopping) and is closed.
        """
        r = t.monitor_runs.c
        with self._write("claim the alarm engine", "runs") as conn:
            for row in conn.execute(sa.select(t.monitor_runs).where(r.stopped_at.is_(None))):
                run = _run(row)
                if run.alive(now, stale):
                    raise EngineBusyError(
                        f"a monitor already runs on {self.url} (pid {run.pid} on {run.host}, "
                        f"started {run.started_at:.0f}, last heartbeat {now - run.heartbeat:.0f} "
                        "s ago); stop it first",
                        run,
                    )
                conn.execute(
                    t.monitor_runs.update().where(r.id == run.id).values(stopped_at=run.heartbeat)
                )
            return int(
                conn.execute(
                    t.monitor_runs.insert()
                    .values(
                        started_at=now,
                        heartbeat=now,
                        stopped_at=None,
                        host=host,
                        pid=pid,
                        tags=tags,
                        summary="{}",
                    )
                    .returning(r.id)
                ).scalar_one()
            )

    def beat(self, run_id: int, now: float, summary: dict[str, Any]) -> None:
        """The run is alive at ``now``; ``summary`` its counts so far."""
        r = t.monitor_runs.c
        with self._write("record the monitor's heartbeat", "runs") as conn:
            conn.execute(
                t.monitor_runs.update()
                .where(r.id == run_id)
                .values(heartbeat=now, summary=_json(summary))
            )

    def release_engine(self, run_id: int, now: float, summary: dict[str, Any]) -> None:
        """The run has stopped and no longer owns the engine."""
        r = t.monitor_runs.c
        with self._write("close the monitor run", "runs") as conn:
            conn.execute(
                t.monitor_runs.update()
                .where(r.id == run_id)
                .values(heartbeat=now, stopped_at=now, summary=_json(summary))
            )

    def monitor_runs(self, limit: int = 20) -> list[MonitorRun]:
        """The latest runs, newest first."""
        r = t.monitor_runs.c
        with self._read("read the monitor runs") as conn:
            rows = conn.execute(sa.select(t.monitor_runs).order_by(r.id.desc()).limit(limit))
            return [_run(row) for row in rows]

    def live_run(self, now: float, stale: float = STALE) -> MonitorRun | None:
        """The run owning the engine at ``now``, if any."""
        for run in self.monitor_runs(limit=5):
            if run.alive(now, stale):
                return run
        return None


# -- rows -------------------------------------------------------------------


def _health_values(report: DeviceHealth) -> dict[str, Any]:
    ev = report.evidence
    return {
        "asset_ip": report.asset_ip,
        "protocol": report.protocol,
        "state": report.state,
        "time": report.time,
        "requests": report.requests,
        "errors": report.errors,
        "timeouts": report.timeouts,
        "rtt_ms": report.rtt_ms,
        "last_good": report.last_good,
        "evidence_source": ev.source,
        "evidence_ref": ev.ref,
        "evidence_packet": ev.packet,
        "evidence_message": ev.message,
    }


def _health_status(row: Any) -> HealthStatus:
    return HealthStatus(
        row.asset_ip,
        row.protocol,
        row.state,
        row.since,
        row.time,
        int(row.requests),
        int(row.errors),
        int(row.timeouts),
        row.rtt_ms,
        row.last_good,
        Evidence(row.evidence_source, row.evidence_ref, row.evidence_packet, row.evidence_message),
    )


def _save_state(
    conn: sa.Connection, name: str, config: str, body: dict[str, Any], time: float
) -> None:
    s = t.alarm_state.c
    values = {"config": config, "body": _json(body), "updated_at": time}
    updated = conn.execute(t.alarm_state.update().where(s.name == name).values(**values))
    if updated.rowcount == 0:
        conn.execute(t.alarm_state.insert().values(name=name, **values))


def _journal(conn: sa.Connection, events: Sequence[dict[str, Any]]) -> None:
    e = t.alarm_events.c
    for event in events:
        kind = event.get("type")
        if kind == "flood":
            conn.execute(
                t.alarm_events.delete().where(e.type == "flood", e.flood == event["flood"])
            )
            row = {
                "time": event["ended"] if event.get("ended") is not None else event["started"],
                "type": "flood",
                "alarm": None,
                "occurrence": None,
                "before": None,
                "after": None,
                "priority": None,
                "user": None,
                "flood": event["flood"],
            }
        elif kind == "transition":
            row = {
                "time": event["time"],
                "type": "transition",
                "alarm": event["alarm"],
                "occurrence": event.get("occurrence"),
                "before": event["before"],
                "after": event["after"],
                "priority": event["priority"],
                "user": event.get("user"),
                "flood": None,
            }
        else:
            raise ValueError(f"not an alarm event: type {kind!r}")
        conn.execute(t.alarm_events.insert().values(body=_json(event), **row))


def _action(row: Any) -> AlarmActionRequest:
    return AlarmActionRequest(
        row.id,
        row.requested_at,
        row.action,
        row.alarm,
        row.user,
        row.comment,
        row.until,
        row.status,
        row.result,
        row.done_at,
    )


def _run(row: Any) -> MonitorRun:
    return MonitorRun(
        row.id,
        row.started_at,
        row.heartbeat,
        row.stopped_at,
        row.host,
        int(row.pid),
        row.tags,
        json.loads(row.summary),
    )
