"""``/api/v1/tags``: the historian's tags and their series (raw samples or rollups), for the
trend plots."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status

from otm.api.security import ConsoleDep, Viewer
from otm.historian.points import Level

router = APIRouter(prefix="/tags", tags=["historian"])

MAX_SPAN = 366 * 86400.0
"""The longest window one query may ask for."""


@router.get("")
def tags(_: Viewer, console: ConsoleDep) -> list[dict[str, str]]:
    """Every tag the historian holds, by device then name."""
    return [{"asset": ip, "tag": tag} for ip, tag in console.historian().tags()]


@router.get("/series")
def series(
    _: Viewer,
    console: ConsoleDep,
    tag: Annotated[str, Query(min_length=1, max_length=500)],
    asset: str | None = None,
    start: float | None = None,
    end: float | None = None,
    aggregate: Literal["auto", "raw", "1m", "1h"] = "auto",
) -> dict[str, Any]:
    """A tag's series over ``[start, end)`` (seconds since the epoch; default the last hour):
    raw samples ``[time, value, quality]`` or rollup buckets ``[start, min, max, avg, last,
    count]``; ``auto`` picks the finest level that fits a plot."""
    until = time.time() if end is None else end
    since = until - 3600.0 if start is None else start
    if not since < until or until - since > MAX_SPAN:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "start must be before end, at most a year apart"
        )
    try:
        found = console.historian().query(
            tag, since, until, None if aggregate == "raw" else aggregate, asset_ip=asset
        )
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    doc: dict[str, Any] = {
        "asset": found.asset_ip,
        "tag": found.tag,
        "level": found.level.value,
        "start": since,
        "end": until,
    }
    if found.level is Level.RAW:
        doc["samples"] = [[s.time, s.value, s.quality] for s in found.samples]
    else:
        doc["buckets"] = [[b.start, b.min, b.max, b.avg, b.last, b.count] for b in found.buckets]
    return doc
