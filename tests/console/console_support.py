"""What the browser tests run against: a real ``otm serve`` in a subprocess over a copy
of a database analysed from shared captures, and a small API client (cookie session
with its CSRF token) to check what the pages did."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
PCAPS = REPO.parent / "shared" / "pcaps"
CAPTURES = (PCAPS / "snap7_s300_everything.pcapng", PCAPS / "mb2.pcap")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = Path(os.environ.get("OTM_ARTEFACTS") or REPO / "artefacts" / "console")
PASSWORD = "a-long-console-password-1"
"""The admin's password once the one-time one is changed (tests' own)."""

SCAN_ALLOW = "127.0.0.1/32"
"""What the consoles of the tests may scan: the loopback address of the tests' devices."""

STARTUP_S = 30.0
"""How long ``otm serve`` may take to answer (imports and the first catalog)."""

ONE_TIME = re.compile(r"one-time password\s+(\S+)\s")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # Plain, unwrapped output: the one-time password is read from it.
    env.update({"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb", "PYTHONUNBUFFERED": "1"})
    return env


def _otm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otm", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=_environment(),
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Api:
    """The REST API as a browser session uses it (cookie + CSRF), for the tests' checks."""

    def __init__(self, url: str, name: str, password: str) -> None:
        self.client = httpx.Client(base_url=url + "api/v1", timeout=10.0)
        answer = self.client.post("/session", json={"name": name, "password": password})
        answer.raise_for_status()
        self.csrf = str(answer.json()["csrf"])

    def get(self, path: str, **params: Any) -> Any:
        answer = self.client.get(path, params=params)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.client.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    def put(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.put(path, json=body, headers={"X-CSRF-Token": self.csrf})

    def text(self, path: str, **params: Any) -> str:
        answer = self.client.get(path, params=params)
        answer.raise_for_status()
        return answer.text

    def close(self) -> None:
        self.client.close()


@dataclass
class Console:
    """A running ``otm serve``: its address and the first admin's one-time password."""

    url: str
    db: Path
    one_time_password: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def api(self, name: str = "chief", password: str = PASSWORD) -> Api:
        return Api(self.url, name, password)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def loaded(page: Any, route: str | None = None) -> None:
    """Wait until the page (of ``route``) has its data: the router clears ``aria-busy``."""
    from playwright.sync_api import expect

    shown = page.locator(f'main > .page[data-route="/{route}"]' if route else "main > .page")
    expect(shown).to_have_attribute("aria-busy", "false")


def sign_in(page: Any, console: Console, name: str, password: str = PASSWORD) -> None:
    """Sign in through the form; back on the dashboard with live updates."""
    from playwright.sync_api import expect

    page.goto(console.url)
    page.fill("#signin-name", name)
    page.fill("#signin-password", password)
    page.click("#signin-submit")
    expect(page.locator("h1")).to_have_text("Dashboard")
    loaded(page)
    expect(page.locator("#live")).to_have_text("live")


def go(page: Any, console: Console, route: str) -> None:
    """Open a route (``inventory``, ``assets/ID``, ``trends?preset=24h``) and wait for it."""
    page.goto(console.url + "#/" + route)
    loaded(page, route.partition("?")[0])


def start_console(db: Path) -> Console:
    """``otm serve --db DB --port FREE --scan-allow SCAN_ALLOW`` on 127.0.0.1, once it
    answers."""
    port = _free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "otm", "serve", "--db", str(db), "--port", str(port)),
            *("--scan-allow", SCAN_ALLOW),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_environment(),
        cwd=db.parent,
    )
    lines: list[str] = []
    assert process.stdout is not None
    stream = process.stdout

    def drain() -> None:  # keeps the pipe from filling, and the log for failures
        for line in stream:
            lines.append(line)

    threading.Thread(target=drain, daemon=True).start()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("otm serve exited:\n" + "".join(lines))
        try:
            if httpx.get(url + "api/v1/session", timeout=1.0).status_code == 401:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("otm serve did not answer:\n" + "".join(lines))
    found = ONE_TIME.search("".join(lines) + " ")
    if found is None:
        process.kill()
        raise RuntimeError("otm serve printed no one-time password:\n" + "".join(lines))
    return Console(url, db, found.group(1), process, lines)


def analyse(db: Path) -> None:
    """``otm analyze`` of ``CAPTURES`` into ``db``."""
    for capture in CAPTURES:
        if not capture.is_file():
            raise FileNotFoundError(f"shared capture missing: {capture}")
    done = _otm("analyze", *map(str, CAPTURES), "--db", str(db))
    if done.returncode != 0:
        raise RuntimeError(done.stdout + done.stderr)


def copy_db(template: Path, folder: Path) -> Path:
    """A copy of an SQLite database (with its WAL files, if any) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "otm.db"
    for suffix in ("", "-wal", "-shm"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copy(source, target.with_name(target.name + suffix))
    return target


def add_users(db: Path, roles: dict[str, str]) -> None:
    """Users with ``PASSWORD`` (name -> role), written to the database as ``otm user add``
    does, beside the running console (in this process: a CLI run costs seconds)."""
    from otm.model.access import Role
    from otm.services import access
    from otm.store.combined import Store

    with Store(str(db)) as store:
        for name, role in roles.items():
            access.add_user(store, name, Role(role), time.time(), PASSWORD)


def record_health(db: Path, reports: list[tuple[float, str, str, str]]) -> None:
    """Device health (time, address, state, protocol) stored as ``otm monitor`` stores
    what its poller measured."""
    from otm.observations.records import DeviceHealth, Evidence
    from otm.store.combined import Store

    with Store(str(db)) as store:
        store.record_health(
            DeviceHealth(
                time=at,
                asset_ip=ip,
                state=state,
                requests=10,
                errors=3 if state == "degraded" else 0,
                timeouts=10 if state == "down" else 0,
                rtt_ms=None if state == "down" else 12.5,
                last_good=at if state != "down" else None,
                evidence=Evidence("poll", protocol, None, f"{protocol} health poll"),
                protocol=protocol,
            )
            for at, ip, state, protocol in reports
        )


def write_samples(db: Path, samples: list[tuple[float, str, str, float, str]]) -> int:
    """Tag samples (time, address, tag, value, quality) written to the historian of the
    database as ``otm monitor`` writes what it polls; how many were stored."""
    from otm.historian import Historian
    from otm.observations.records import Evidence, TagSample

    evidence = Evidence("poll", "console-test-poller")
    with Historian(db) as historian:
        return historian.write(
            TagSample(at, ip, tag, value, quality, evidence)
            for at, ip, tag, value, quality in samples
        )
