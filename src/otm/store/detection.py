"""``DetectionStore``: the baseline, the alerts and what analysts did with them.

The detection domain (``otm.detection``) is plain data; this store keeps its
JSON: the baseline as one document with the keys of the sources it learnt
from, and alerts as rows that the same finding in a later capture or
checkpoint updates in place (count, last seen, evidence) while keeping the
analyst's status.  An alert that was closed and fires again is opened again
(and says so in its notes); an acknowledged one stays acknowledged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from otm.store import schema as t
from otm.store.errors import StoreError
from otm.store.repository import SqlStore

ALERT_STATUSES = ("open", "acknowledged", "closed", "accepted")
SEVERITIES = ("low", "medium", "high", "critical")
_ROW_KEYS = (
    "id", "rule_id", "name", "severity", "technique", "key", "message",
    "first_seen", "last_seen", "count",
)  # fmt: skip


@dataclass(frozen=True)
class StoredAlert:
    """An alert as stored: the detection's dict, and the analysts' status."""

    data: dict[str, Any]
    status: str
    updated_at: float
    assignee: str | None = None

    @property
    def id(self) -> str:
        """The alert's id."""
        return str(self.data["id"])


@dataclass(frozen=True)
class AlertNote:
    """A status change or comment on an alert."""

    alert_id: str
    time: float
    user: str
    action: str
    text: str


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class DetectionStore(SqlStore):
    """``SqlStore`` plus the detection baseline and alerts (see the module)."""

    # -- the baseline ---------------------------------------------------------

    def load_baseline(self, name: str = "baseline") -> tuple[dict[str, Any], list[str]] | None:
        """The stored baseline document and the source keys it learnt, or None."""
        b = t.detection_baseline.c
        with self._read("load the baseline") as conn:
            row = conn.execute(sa.select(b.body, b.sources).where(b.name == name)).first()
        if row is None:
            return None
        try:
            return json.loads(row.body), list(json.loads(row.sources))
        except ValueError as exc:
            raise StoreError(f"the stored baseline in {self.url} is not JSON: {exc}") from exc

    def save_baseline(
        self, body: dict[str, Any], sources: Iterable[str], time: float, name: str = "baseline"
    ) -> None:
        """Replace the stored baseline."""
        b = t.detection_baseline.c
        values = {"body": _json(body), "sources": _json(sorted(set(sources))), "updated_at": time}
        with self._write("save the baseline", "baseline") as conn:
            done = conn.execute(
                t.detection_baseline.update().where(b.name == name).values(**values)
            )
            if done.rowcount == 0:
                conn.execute(t.detection_baseline.insert().values(name=name, **values))

    def delete_baseline(self, name: str = "baseline") -> bool:
        """Forget the baseline; whether there was one."""
        b = t.detection_baseline.c
        with self._write("delete the baseline", "baseline") as conn:
            return bool(conn.execute(t.detection_baseline.delete().where(b.name == name)).rowcount)

    # -- alerts ------------------------------------------------------------------

    def save_alerts(self, alerts: Sequence[dict[str, Any]], time: float) -> tuple[int, int]:
        """Insert new alerts, update known ones (keeping their status); (new, updated).

        ``alerts`` are ``otm.detection.alert_to_dict`` dicts holding the
        whole aggregate (the caller merged the stored alert with its new
        findings).  A closed alert that comes back is open again, with a note.
        """
        a = t.alerts.c
        new = updated = 0
        with self._write("save alerts", "alerts") as conn:
            self._changed(conn, "alerts")
            ids = [x["id"] for x in alerts]
            known = {
                row.id: row.status
                for row in conn.execute(sa.select(a.id, a.status).where(a.id.in_(ids)))
            }
            for alert in alerts:
                row = {k: alert[k] for k in _ROW_KEYS}
                row["subjects"] = _json(alert["subjects"])
                row["body"] = _json(alert)
                row["updated_at"] = time
                status = known.get(alert["id"])
                if status is None:
                    conn.execute(t.alerts.insert().values(status="open", **row))
                    new += 1
                    continue
                if status == "closed":
                    row["status"] = "open"
                    conn.execute(
                        t.alert_notes.insert().values(
                            alert_id=alert["id"],
                            time=time,
                            user="otm",
                            action="reopen",
                            text="fired again after it was closed",
                        )
                    )
                conn.execute(t.alerts.update().where(a.id == alert["id"]).values(**row))
                updated += 1
        return new, updated

    def alerts(
        self,
        *,
        status: Sequence[str] | None = None,
        min_severity: str | None = None,
        rule: str | None = None,
        subject: str | None = None,
        limit: int | None = None,
    ) -> list[StoredAlert]:
        """Alerts, most severe first, then latest first."""
        a = t.alerts.c
        query = sa.select(a.body, a.status, a.updated_at, a.assignee, a.severity, a.last_seen)
        if status:
            query = query.where(a.status.in_(list(status)))
        if min_severity is not None:
            query = query.where(a.severity.in_(SEVERITIES[SEVERITIES.index(min_severity) :]))
        if rule is not None:
            query = query.where(a.rule_id == rule)
        with self._read("read alerts") as conn:
            rows = conn.execute(query).all()
        found = [
            StoredAlert(json.loads(r.body), r.status, r.updated_at, r.assignee)
            for r in sorted(rows, key=lambda r: (-SEVERITIES.index(r.severity), -r.last_seen))
        ]
        if subject is not None:
            found = [s for s in found if subject in s.data["subjects"]]
        return found[:limit] if limit is not None else found

    def alerts_by_id(self, ids: Iterable[str]) -> list[StoredAlert]:
        """The stored alerts among these ids (the others are not stored yet)."""
        a = t.alerts.c
        wanted = sorted(set(ids))
        found: list[StoredAlert] = []
        with self._read("read alerts") as conn:
            for start in range(0, len(wanted), 500):
                rows = conn.execute(
                    sa.select(a.body, a.status, a.updated_at, a.assignee).where(
                        a.id.in_(wanted[start : start + 500])
                    )
                ).all()
                found.extend(
                    StoredAlert(json.loads(r.body), r.status, r.updated_at, r.assignee)
                    for r in rows
                )
        return found

    def alert(self, alert_id: str) -> StoredAlert | None:
        """One alert by id, by a unique prefix of its id, or by its hash alone
        (the part after the colon, or a unique prefix of it: what tables show)."""
        a = t.alerts.c
        with self._read("read an alert") as conn:
            rows = conn.execute(
                sa.select(a.id, a.body, a.status, a.updated_at, a.assignee)
                .where(
                    sa.or_(
                        a.id == alert_id,
                        a.id.startswith(alert_id, autoescape=True),
                        a.id.contains(":" + alert_id, autoescape=True),
                    )
                )
                .limit(3)
            ).all()
        exact = [r for r in rows if r.id == alert_id]
        if exact or len(rows) == 1:
            r = (exact or rows)[0]
            return StoredAlert(json.loads(r.body), r.status, r.updated_at, r.assignee)
        return None

    def set_alert_status(
        self, alert_id: str, status: str, user: str, time: float, text: str = ""
    ) -> None:
        """Change an alert's status, with a note saying who and why."""
        if status not in ALERT_STATUSES:
            raise ValueError(f"unknown status {status!r}; known: {', '.join(ALERT_STATUSES)}")
        a = t.alerts.c
        with self._write("change an alert's status", "alerts") as conn:
            self._changed(conn, "alerts")
            done = conn.execute(
                t.alerts.update().where(a.id == alert_id).values(status=status, updated_at=time)
            )
            if done.rowcount == 0:
                raise KeyError(f"no alert {alert_id!r}")
            conn.execute(
                t.alert_notes.insert().values(
                    alert_id=alert_id, time=time, user=user, action=status, text=text
                )
            )

    def assign_alert(self, alert_id: str, assignee: str | None, user: str, time: float) -> None:
        """Give an alert to someone (None: to nobody), with a note saying who did."""
        a = t.alerts.c
        with self._write("assign an alert", "alerts") as conn:
            self._changed(conn, "alerts")
            done = conn.execute(
                t.alerts.update().where(a.id == alert_id).values(assignee=assignee, updated_at=time)
            )
            if done.rowcount == 0:
                raise KeyError(f"no alert {alert_id!r}")
            conn.execute(
                t.alert_notes.insert().values(
                    alert_id=alert_id,
                    time=time,
                    user=user,
                    action="assign",
                    text=f"assigned to {assignee}" if assignee else "unassigned",
                )
            )

    def add_alert_note(self, alert_id: str, user: str, text: str, time: float) -> None:
        """A comment on an alert."""
        a = t.alerts.c
        with self._write("comment on an alert", "alerts") as conn:
            self._changed(conn, "alerts")
            if conn.execute(sa.select(a.id).where(a.id == alert_id)).first() is None:
                raise KeyError(f"no alert {alert_id!r}")
            conn.execute(
                t.alert_notes.insert().values(
                    alert_id=alert_id, time=time, user=user, action="comment", text=text
                )
            )

    def alert_notes(self, alert_id: str) -> list[AlertNote]:
        """An alert's notes, oldest first."""
        n = t.alert_notes.c
        with self._read("read an alert's notes") as conn:
            rows = conn.execute(
                sa.select(t.alert_notes).where(n.alert_id == alert_id).order_by(n.id)
            ).all()
        return [AlertNote(r.alert_id, r.time, r.user, r.action, r.text) for r in rows]
