"""``/api/v1/baseline``: what detection learnt, learning (site or zones, for a time),
freezing, and accepting an alert into the baseline."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from otm.api.security import Analyst, ConsoleDep, StoredText, Viewer
from otm.services import detection as service

router = APIRouter(tags=["detection"])


class LearnRequest(BaseModel):
    """What to learn: the whole site (no zones) or zones, from stored sources, for a time."""

    zones: list[StoredText] = Field(default_factory=list, max_length=100)
    sources: list[StoredText] | None = Field(default=None, max_length=1000)
    duration: str | None = Field(default=None, max_length=20, examples=["7d"])


class FreezeRequest(BaseModel):
    """Freeze the whole site (no zones) or these zones."""

    zones: list[StoredText] = Field(default_factory=list, max_length=100)


class Acceptance(BaseModel):
    """Why an alert is normal."""

    text: StoredText = Field(default="", max_length=4000)


def _status(console: ConsoleDep) -> dict[str, Any]:
    found = service.baseline_status(console.store)
    base = found.baseline
    plan = found.plan
    return {
        "exists": found.exists,
        "frozen": found.frozen,
        "sources": found.sources,
        "learning": [
            {
                "scope": scope or "site",
                "duration": duration,
                "started": plan.started.get(scope),
                "ends": plan.ends(scope),
            }
            for scope, duration in sorted(plan.scopes.items())
        ],
        "counts": None
        if base is None
        else {
            "observations": base.observations,
            "hosts": len(base.hosts) + len(base.macs),
            "links": len(base.links),
            "operations": sum(len(v) for v in base.operations.values()),
            "writers": sum(len(v) for v in base.writers.values()),
            "identities": len(base.identity),
            "addresses_written": len(base.values),
        },
        "first": None if base is None else base.first,
        "last": None if base is None else base.last,
    }


def _refused(exc: service.DetectionError) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


@router.get("/baseline")
def baseline(_: Viewer, console: ConsoleDep) -> dict[str, Any]:
    """The baseline's phase, what it learnt from, its size and what is still learning."""
    return _status(console)


@router.post("/baseline/learn")
def learn(body: LearnRequest, _: Analyst, console: ConsoleDep) -> dict[str, Any]:
    """Start or go on learning (409 when the baseline's phase does not allow it)."""
    try:
        duration = None if body.duration is None else service.parse_duration(body.duration)
        count, taken = service.learn(console.store, time.time(), body.sources, body.zones, duration)
    except service.DetectionError as exc:
        raise _refused(exc) from None
    return {"sources": count, "observations": taken, "baseline": _status(console)}


@router.post("/baseline/freeze")
def freeze(body: FreezeRequest, _: Analyst, console: ConsoleDep) -> dict[str, Any]:
    """End learning of the site or of zones."""
    try:
        service.freeze(console.store, time.time(), body.zones)
    except service.DetectionError as exc:
        raise _refused(exc) from None
    return _status(console)


@router.post("/alerts/{alert_id}/accept")
def accept(alert_id: str, body: Acceptance, who: Analyst, console: ConsoleDep) -> dict[str, Any]:
    """This alert is normal: fold what it saw into the baseline and mark it accepted."""
    try:
        alert = service.accept(console.store, alert_id, who.name, time.time(), body.text)
    except service.DetectionError as exc:
        missing = str(exc).startswith("no alert")
        raise HTTPException(
            status.HTTP_404_NOT_FOUND if missing else status.HTTP_409_CONFLICT, str(exc)
        ) from None
    return {"id": alert.id, "status": "accepted"}
