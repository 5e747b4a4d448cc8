"""``otm demo``: run the simulated plant and show discovery, polling and monitoring on it.

A thin face over ``otm.services.live_demo``; ``register(app)`` adds the
command.  Ctrl-C (or SIGTERM) stops the demo cleanly: the monitor flushes,
the sensor stores what it captured and the plant leaves nothing running.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otm.cli.monitor import quiet_libraries
from otm.services import export
from otm.services.database import open_store
from otm.services.export import iso
from otm.services.live_demo import DemoOptions, DemoReport, run_demo
from otm.simulation import PlantError
from otm.store import StoreError
from otm.store.monitoring import MonitoringStore

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, soft_wrap=True, highlight=False)

ModeName = Literal["auto", "netns", "loopback"]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True)
    return typer.Exit(code)


def demo_cmd(
    db: Annotated[
        str | None,
        typer.Option(
            "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="auto (namespaces as root, else loopback), netns or loopback.")
    ] = "auto",
    duration: Annotated[
        float, typer.Option(help="Seconds of monitoring (0: until Ctrl-C).", min=0)
    ] = 40.0,
    folder: Annotated[
        Path, typer.Option("--folder", help="Where to write the plant's tag and alarm files.")
    ] = Path("demo"),
    no_scenario: Annotated[
        bool, typer.Option("--no-scenario", help="Leave the plant alone (no forced alarm).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the device libraries' own logs.")
    ] = False,
) -> None:
    """Start a simulated plant (Modbus, S7, EtherNet/IP, BACnet, OPC UA devices), discover it
    passively and actively, poll and monitor it, then stop it cleanly."""
    if mode not in ("auto", "netns", "loopback"):
        raise _fail(f"unknown mode {mode!r}: use auto, netns or loopback")
    quiet_libraries(verbose)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    options = DemoOptions(
        mode=_mode(mode), duration=duration or None, folder=folder, scenario=not no_scenario
    )

    def say(line: str) -> None:
        err.print(f"{time.strftime('%H:%M:%S')} {line}", markup=False)

    try:
        report = run_demo(db, options, say, stop)
    except PlantError as exc:
        raise _fail(f"the demo plant could not start: {exc}") from None
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _summary(db, report)


def _mode(text: str) -> ModeName:
    if text == "netns":
        return "netns"
    if text == "loopback":
        return "loopback"
    return "auto"


def _summary(db: str | None, report: DemoReport) -> None:
    store = open_store(db)
    try:
        _assets(store)
        _health(store)
    finally:
        store.close()
    status = report.monitor
    if status is not None:
        console.print(
            f"monitor: {status.samples} samples stored in the historian ({status.pending} held, "
            f"{status.dropped} dropped), {status.health_changes} health changes, "
            f"{status.alarm_events} alarm events, {status.active_alarms} alarms active at the end"
        )
    where = f" --db {db}" if db else ""
    console.print(
        "explore:"
        f" otm assets{where} | otm show 10.77.100.10{where} | otm links{where}"
        f" | otm health --changes{where} | otm alarms list{where} | otm alarms journal{where}"
        f" | otm history query TK1.LEVEL -a raw{where}"
        f" | otm monitor {report.files[0] if report.files else 'demo/tags.yaml'}"
        f" --alarms {report.files[1] if report.files else 'demo/alarms.yaml'}{where}"
        " (needs the plant: otm demo --duration 0 runs it until Ctrl-C)"
    )


def _assets(store: MonitoringStore) -> None:
    health = {h.asset_ip: h for h in store.health()}
    items = store.assets()
    table = Table(title=f"Inventory ({len(items)} assets)")
    for col in ("ip", "mac", "vendor", "model", "firmware", "role", "health"):
        table.add_column(col, overflow="fold")
    for asset in sorted(items, key=export.asset_sort_key):
        doc = export.asset_doc(asset, health)
        table.add_row(
            "\n".join(doc["ips"]),
            "\n".join(doc["macs"]),
            doc["vendor"] or "",
            doc["model"] or "",
            doc["firmware"] or "",
            doc["role"],
            doc["health"]["state"] if doc["health"] else "",
        )
    console.print(table)


def _health(store: MonitoringStore) -> None:
    changes = store.health_changes(limit=50)
    if not changes:
        return
    table = Table(title="Health changes")
    for col in ("time", "device", "state", "was"):
        table.add_column(col)
    for c in changes:
        table.add_row(iso(c.time) or "", c.asset_ip, c.state, c.previous or "")
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``otm demo`` to ``app``."""
    app.command(name="demo")(demo_cmd)
