"""``/api/v1/events``: live updates as server-sent events.

The stream names a topic each time the store says it changed
(``inventory``, ``plant``, ``alerts``, ``health``, ``vulns``), with its
revision; the page then asks again for what it shows.  One small query a
second per open page (``SqlStore.revisions``) - the console never pushes
data it would have to filter per role.  A comment line every
``KEEPALIVE`` seconds keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from otm.api.security import ConsoleDep, Viewer

router = APIRouter(tags=["events"])

POLL = 1.0
"""Seconds between two looks at the store's revisions."""

KEEPALIVE = 15.0
"""Seconds between keep-alive comments."""


@router.get("/events", response_class=StreamingResponse)
async def events(request: Request, _: Viewer, console: ConsoleDep) -> StreamingResponse:
    """A ``text/event-stream`` of topic changes (event: topic; data: {"revision": n})."""

    async def stream() -> AsyncIterator[str]:
        seen = await run_in_threadpool(console.store.revisions)
        yield f"event: hello\ndata: {json.dumps(seen)}\n\n"
        quiet = 0.0
        while not await request.is_disconnected():
            await asyncio.sleep(POLL)
            now = await run_in_threadpool(console.store.revisions)
            changed = {k: v for k, v in now.items() if seen.get(k) != v}
            seen = now
            for topic, revision in sorted(changed.items()):
                yield f"event: {topic}\ndata: {json.dumps({'revision': revision})}\n\n"
            quiet = 0.0 if changed else quiet + POLL
            if quiet >= KEEPALIVE:
                quiet = 0.0
                yield ": keep-alive\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
