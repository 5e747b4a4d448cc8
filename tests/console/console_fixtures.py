"""Fixtures of the browser tests: a real ``otm serve`` over a database analysed from
shared captures (``console_support``), and Debian's Chromium driven by Playwright.

Each test module imports them (not a ``conftest.py``: a second module of that name
shadows ``tests/conftest.py`` for the folders that import from it).  The browser and
the server live for one module: Playwright's synchronous API keeps an event loop
running in the thread while it is open, which a later test's ``asyncio.run`` in the
same worker would trip over.

Nothing is downloaded: Playwright launches ``/usr/bin/chromium`` (apt's package;
``scripts/test.sh`` installs it), and the tests are skipped, saying so, where it is
missing.  Screenshots go to ``$OTM_ARTEFACTS`` or ``artefacts/console`` under the
repository, kept as the run's artefacts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console_support import (
    ARTEFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Console,
    add_users,
    analyse,
    copy_db,
    start_console,
)


@pytest.fixture(scope="session")
def analysed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database made by ``otm analyze`` of two shared captures (copied per console)."""
    db = tmp_path_factory.mktemp("console-db") / "template.db"
    analyse(db)
    return db


@pytest.fixture(scope="module")
def console(analysed_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A console after its first start: ``admin`` still has the one-time password it
    printed (only the first-start test signs in as ``admin``); ``chief`` (admin),
    ``engineer``, ``analyst``, ``operator`` and ``viewer`` (each of that role) have
    ``PASSWORD``.

    One server a module (starting one costs seconds on a loaded machine): tests
    may add to its database (a plant file, samples, a scan, a baseline), so each reads
    what it expects from the API at the time, never assumes an untouched database."""
    served = start_console(copy_db(analysed_db, tmp_path_factory.mktemp("console")))
    try:
        add_users(
            served.db,
            {
                "chief": "admin",
                "engineer": "engineer",
                "analyst": "analyst",
                "operator": "operator",
                "viewer": "viewer",
            },
        )
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page (laptop-sized); uncaught script errors and content
    security policy violations fail the test."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(8000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield opened
    context.close()
    assert not errors, f"script errors in {request.node.name}: {errors}"


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Any:
    """``shots(page, "step")`` saves a screenshot as ``<test>-<step>.png`` in the artefacts."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    stem = request.node.name.removeprefix("test_")

    def take(page: Any, step: str, *, full_page: bool = False) -> Path:
        path = ARTEFACTS / f"{stem}-{step}.png"
        if full_page:  # from the top, or the sticky header lands mid-page
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
