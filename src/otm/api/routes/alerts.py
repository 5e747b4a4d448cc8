"""``/api/v1/alerts``: the triage workflow - list, look, acknowledge, assign, comment, close."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from otm.api.security import Analyst, ConsoleDep, Operator, StoredText, Viewer
from otm.services.catalog import MAX_LIMIT, SEVERITY_RANK
from otm.store.detection import StoredAlert

router = APIRouter(prefix="/alerts", tags=["alerts"])

Status = Literal["open", "acknowledged", "closed", "accepted"]
Severity = Literal["low", "medium", "high", "critical"]


class Note(BaseModel):
    """A comment, or why a status changes."""

    text: StoredText = Field(default="", max_length=4000)


class Assignment(BaseModel):
    """Who works on an alert (null: nobody)."""

    user: StoredText | None = Field(default=None, max_length=64)


def _row(alert: StoredAlert) -> dict[str, Any]:
    data = alert.data
    return {
        "id": data["id"],
        "rule_id": data["rule_id"],
        "name": data["name"],
        "severity": data["severity"],
        "technique": data.get("technique"),
        "message": data["message"],
        "subjects": data.get("subjects", []),
        "first_seen": data["first_seen"],
        "last_seen": data["last_seen"],
        "count": data["count"],
        "status": alert.status,
        "assignee": alert.assignee,
        "updated_at": alert.updated_at,
    }


@router.get("")
def list_alerts(
    _: Viewer,
    console: ConsoleDep,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    min_severity: Severity | None = None,
    rule: str | None = None,
    subject: str | None = None,
    assignee: str | None = None,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """Alerts, most severe then latest first (default: open and acknowledged ones)."""
    wanted = list(status_) if status_ else ["open", "acknowledged"]
    found = console.store.alerts(status=wanted, min_severity=min_severity, rule=rule)
    if subject is not None:
        found = [a for a in found if subject in a.data.get("subjects", ())]
    if assignee is not None:
        found = [a for a in found if a.assignee == assignee]
    words = q.lower().split()
    if words:
        found = [
            a
            for a in found
            if all(
                w in " ".join([a.data["message"], a.data["rule_id"], a.data["name"]]).lower()
                for w in words
            )
        ]
    counts = dict.fromkeys(SEVERITY_RANK, 0)
    for a in found:
        counts[a.data["severity"]] += 1
    return {
        "total": len(found),
        "offset": offset,
        "limit": limit,
        "by_severity": counts,
        "items": [_row(a) for a in found[offset : offset + limit]],
    }


def _alert(console: ConsoleDep, alert_id: str) -> StoredAlert:
    found = console.store.alert(alert_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id!r}")
    return found


@router.get("/{alert_id}")
def get_alert(alert_id: str, _: Viewer, console: ConsoleDep) -> dict[str, Any]:
    """One alert with its evidence, details, observations and notes."""
    found = _alert(console, alert_id)
    doc = {**found.data, **_row(found)}
    doc["notes"] = [
        {"time": n.time, "user": n.user, "action": n.action, "text": n.text}
        for n in console.store.alert_notes(found.id)
    ]
    return doc


def _set_status(console: ConsoleDep, alert_id: str, new: str, user: str, text: str) -> Response:
    found = _alert(console, alert_id)
    console.store.set_alert_status(found.id, new, user, time.time(), text)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{alert_id}/acknowledge", status_code=status.HTTP_204_NO_CONTENT)
def acknowledge(alert_id: str, body: Note, who: Operator, console: ConsoleDep) -> Response:
    """Say the alert is seen and being looked at."""
    return _set_status(console, alert_id, "acknowledged", who.name, body.text)


@router.post("/{alert_id}/close", status_code=status.HTTP_204_NO_CONTENT)
def close(alert_id: str, body: Note, who: Analyst, console: ConsoleDep) -> Response:
    """Close the alert (it opens again if it fires again)."""
    return _set_status(console, alert_id, "closed", who.name, body.text)


@router.post("/{alert_id}/reopen", status_code=status.HTTP_204_NO_CONTENT)
def reopen(alert_id: str, body: Note, who: Analyst, console: ConsoleDep) -> Response:
    """Open a closed or acknowledged alert again."""
    return _set_status(console, alert_id, "open", who.name, body.text)


@router.post("/{alert_id}/assign", status_code=status.HTTP_204_NO_CONTENT)
def assign(alert_id: str, body: Assignment, who: Analyst, console: ConsoleDep) -> Response:
    """Give the alert to a user (or to nobody)."""
    found = _alert(console, alert_id)
    if body.user is not None and console.store.user(body.user) is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"there is no user {body.user!r}")
    console.store.assign_alert(found.id, body.user, who.name, time.time())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{alert_id}/comments", status_code=status.HTTP_204_NO_CONTENT)
def comment(alert_id: str, body: Note, who: Operator, console: ConsoleDep) -> Response:
    """Add a comment to the alert's notes."""
    if not body.text.strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "a comment needs text")
    found = _alert(console, alert_id)
    console.store.add_alert_note(found.id, who.name, body.text, time.time())
    return Response(status_code=status.HTTP_204_NO_CONTENT)
