"""``/api/v1/events``: the server-sent stream says hello with the store's revisions, names
a topic soon after the store changes it, and keeps an idle stream alive (the poll is
made short here)."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from api_support import Api, cheap_hashing, sqlite_api, template

from otm.api.app import API
from otm.api.routes import events
from otm.model.access import Role

__all__ = ["cheap_hashing", "sqlite_api", "template"]

WAIT = 10.0
"""Seconds to wait for a line before the test fails (the poll is 50 ms)."""


@contextmanager
def stream(api: Api, role: Role = Role.VIEWER) -> Iterator[queue.Queue[str]]:
    """The event stream's lines, read by a thread (so that a silent stream fails, not hangs)."""
    lines: queue.Queue[str] = queue.Queue()
    with api.client.stream("GET", f"{API}/events", headers=api.token(role)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"

        def read() -> None:
            try:
                for line in response.iter_lines():
                    lines.put(line)
            except Exception:  # the stream closes under the reader at the end
                return

        threading.Thread(target=read, daemon=True).start()
        yield lines


def _event(lines: queue.Queue[str]) -> tuple[str, str]:
    """The next event: its name and data (comments and blank lines skipped)."""
    name = ""
    while True:
        line = lines.get(timeout=WAIT)
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            return name, line.removeprefix("data: ")


def test_a_change_in_the_store_is_announced(
    sqlite_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = sqlite_api
    monkeypatch.setattr(events, "POLL", 0.05)
    with stream(api) as lines:
        name, data = _event(lines)
        assert name == "hello" and json.loads(data) == api.store.revisions()
        alert = api.store.alerts()[0]
        acknowledged = api.call("POST", f"/alerts/{alert.id}/acknowledge", json={})
        assert acknowledged.status_code == 204
        name, data = _event(lines)
        assert name == "alerts"
        assert json.loads(data) == {"revision": api.store.revisions()["alerts"]}


def test_a_quiet_stream_is_kept_alive(sqlite_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "POLL", 0.05)
    monkeypatch.setattr(events, "KEEPALIVE", 0.1)
    with stream(sqlite_api) as lines:
        assert _event(lines)[0] == "hello"
        comments = []
        while not comments:
            line = lines.get(timeout=WAIT)
            if line.startswith(":"):
                comments.append(line)
        assert comments == [": keep-alive"]


def test_the_stream_needs_a_signed_in_viewer(sqlite_api: Api) -> None:
    assert sqlite_api.call("GET", "/events", None).status_code == 401
