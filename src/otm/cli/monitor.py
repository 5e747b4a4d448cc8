"""``otm monitor``, ``otm health``, ``otm alarms`` and ``otm history``: the live plant.

A thin face over ``otm.services.monitor`` and ``otm.services.alarms`` and
the historian; ``register(app)`` adds the commands.  Database selection and
error habits are those of ``otm.cli.app``: ``--db``, else ``$OTM_DB``, else
``otm.db``; a bad file or option prints one line and exits 1, a database
error exits 2.  The device libraries' own logging (pymodbus, asyncua,
bacpypes3, snap7) is silenced unless ``--verbose``: the monitor reports
what matters (health changes, alarms, store problems) itself.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import re
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from otm.alarms import AlarmError, AlarmFileError, AlarmStatus, parse_alarms
from otm.historian import Historian
from otm.historian.retention import DAY, Retention
from otm.polling import TagConfigError, load_tags
from otm.services import alarms as alarm_service
from otm.services.database import database_url, open_store
from otm.services.export import iso
from otm.services.monitor import (
    Monitor,
    MonitorEvent,
    MonitorOptions,
    MonitorStatus,
    Problem,
    describe,
)
from otm.store import StoreError
from otm.store.monitoring import MonitoringStore

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

LIBRARY_LOGGERS = ("pymodbus", "asyncua", "bacpypes3", "snap7", "pycomm3", "cpppo")
"""Loggers of the device libraries, quiet unless ``--verbose``."""

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
    ),
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")]
UserOption = Annotated[
    str | None, typer.Option("--user", "-u", help="Who acts (default: the login name).")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _store(db: str | None) -> MonitoringStore:
    try:
        return open_store(db)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``15m``, ``8h`` or ``2d``; ``ValueError`` otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (90s, 15m, 8h, 2d)")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def parse_time(text: str, now: float) -> float:
    """Seconds since the epoch from ISO 8601 (UTC unless it says), ``now``, or ``-15m`` ago."""
    text = text.strip()
    if text == "now":
        return now
    if text.startswith("-"):
        return now - parse_duration(text[1:])
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time (ISO 8601, 'now' or '-15m')") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _user(user: str | None) -> str:
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise _fail("cannot tell who you are: give --user") from None


# -- otm monitor -------------------------------------------------------------------


def monitor_cmd(
    tags: Annotated[Path, typer.Argument(help="Tag list (otm.tags/1 YAML).")],
    alarms: Annotated[
        Path | None,
        typer.Option("--alarms", help="Alarm definitions (otm.alarms/1 YAML); default: stored."),
    ] = None,
    db: DbOption = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds.", min=0)
    ] = None,
    flush: Annotated[
        float, typer.Option(help="Seconds between writes to the database.", min=0.05)
    ] = 1.0,
    keep_raw: Annotated[
        float, typer.Option(help="Days of raw samples to keep (0: forever).", min=0)
    ] = 7,
    keep_minutes: Annotated[
        float, typer.Option(help="Days of per-minute rollups to keep (0: forever).", min=0)
    ] = 90,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No event lines.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show the device libraries' own logs.")
    ] = False,
) -> None:
    """Poll the tags, store their history, raise alarms and track device health until stopped."""
    quiet_libraries(verbose)
    try:
        document = load_tags(tags)
        alarm_text = alarms.read_text(encoding="utf-8") if alarms is not None else None
        if alarm_text is not None:
            parse_alarms(alarm_text, str(alarms))  # refused before anything starts
    except (TagConfigError, AlarmFileError, OSError) as exc:
        raise _fail(str(exc)) from None
    options = MonitorOptions(
        document,
        str(tags),
        alarm_text,
        str(alarms) if alarms is not None else "<alarms>",
        flush_interval=flush,
        retention=Retention(raw=keep_raw * DAY or None, minute=keep_minutes * DAY or None),
        duration=duration,
    )

    def show(event: MonitorEvent) -> None:
        if quiet and not isinstance(event, Problem):
            return
        err.print(f"{iso(time.time())} {describe(event)}", markup=False, highlight=False)

    monitor = Monitor(database_url(db), options, on_event=show)
    if not quiet:
        devices = ", ".join(f"{d.name} ({d.protocol} {d.host})" for d in document.devices)
        err.print(f"monitoring {devices}; Ctrl-C stops", markup=False, highlight=False)
    try:
        status = asyncio.run(_run(monitor))
    except AlarmFileError as exc:
        raise _fail(str(exc)) from None
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    poll = status.poll
    console.print(
        f"{status.samples} samples ({status.stored} stored, {status.pending} held, "
        f"{status.dropped} dropped), {poll.cycles if poll else 0} poll cycles, "
        f"{status.health_changes} health changes, {status.alarm_events} alarm events, "
        f"{status.active_alarms} alarms active",
        highlight=False,
    )
    if status.pending or status.dropped:
        raise _fail("some samples could not be stored (see above)", 2)


async def _run(monitor: Monitor) -> MonitorStatus:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        return await monitor.run(stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def quiet_libraries(verbose: bool) -> None:
    """The device libraries log connection failures as errors: the monitor says it better."""
    level = logging.INFO if verbose else logging.CRITICAL
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(level)


# -- otm health --------------------------------------------------------------------


def health_cmd(
    db: DbOption = None,
    changes: Annotated[
        bool, typer.Option("--changes", help="The changes of state instead of the latest.")
    ] = False,
    device: Annotated[str | None, typer.Option("--device", help="One device's address.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many changes.", min=1)] = 100,
    format: FormatOption = "table",
) -> None:
    """The health of every polled device (up, degraded, down), or its changes."""
    _check_format(format)
    store = _store(db)
    try:
        if changes:
            rows = [
                {
                    "address": c.asset_ip,
                    "time": iso(c.time),
                    "state": c.state,
                    "previous": c.previous,
                    "rtt_ms": c.rtt_ms,
                    "errors": c.errors,
                    "timeouts": c.timeouts,
                }
                for c in store.health_changes(device, limit=limit)
            ]
            title = "Health changes"
        else:
            rows = [
                {
                    "address": s.asset_ip,
                    "protocol": s.protocol,
                    "state": s.state,
                    "since": iso(s.since),
                    "rtt_ms": None if s.rtt_ms is None else round(s.rtt_ms, 2),
                    "error_rate": round(s.error_rate, 3),
                    "last_good": iso(s.last_good),
                    "reported": iso(s.time),
                }
                for s in store.health()
                if device is None or s.asset_ip == device
            ]
            title = "Device health"
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    _emit(title, rows, format)


# -- otm alarms ----------------------------------------------------------------------


def alarms_list(
    db: DbOption = None,
    all_points: Annotated[
        bool, typer.Option("--all", help="Every point, normal ones included.")
    ] = False,
    format: FormatOption = "table",
) -> None:
    """The alarm summary: active alarms, most urgent first, then shelved and suppressed."""
    _check_format(format)
    store = _store(db)
    try:
        found = alarm_service.summary(store)
        statuses = alarm_service.restore(store)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    if found is None or statuses is None:
        raise _fail("no alarms are configured: run otm monitor with --alarms FILE")
    shown = (
        statuses.engine.statuses()
        if all_points
        else found.active + found.shelved + found.suppressed
    )
    rows = [_status_row(s) for s in shown]
    when = f", as of {iso(found.updated)}" if found.updated else ""
    flood = " - FLOOD" if found.in_flood else ""
    _emit(
        f"Alarms ({len(found.active)} active of {found.points} points{when}){flood}", rows, format
    )


def _status_row(s: AlarmStatus) -> dict[str, object]:
    return {
        "alarm": s.occurrence or s.alarm,
        "state": str(s.state),
        "priority": str(s.priority),
        "device": s.device,
        "tag": s.tag,
        "value": s.value,
        "raised": iso(s.raised),
        "acknowledged": f"{s.acknowledged_by} {iso(s.acknowledged_at)}"
        if s.acknowledged_by
        else None,
        "shelved": f"{s.shelved_by} until {iso(s.shelved_until)}" if s.shelved_by else None,
        "description": s.description,
    }


def alarms_journal(
    db: DbOption = None,
    alarm: Annotated[str | None, typer.Option("--alarm", help="One alarm (or definition).")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="ISO 8601 time or -15m (ago).")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows (the latest).", min=1)] = 100,
    format: FormatOption = "table",
) -> None:
    """The alarm journal: every transition with who, when and why; one row per flood."""
    _check_format(format)
    try:
        start = None if since is None else parse_time(since, time.time())
    except ValueError as exc:
        raise _fail(str(exc)) from None
    store = _store(db)
    try:
        entries = store.alarm_journal(alarm, start, limit)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    rows: list[dict[str, object]] = []
    for e in entries:
        body = e.body
        if e.type == "flood":
            what = f"flood #{body['flood']}: {body['alarms']} alarm(s)" + (
                " (ended)" if body.get("ended") is not None else " (started)"
            )
            rows.append({"time": iso(e.time), "alarm": "", "change": what, "user": None,
                         "value": None, "reason": None})  # fmt: skip
            continue
        rows.append(
            {
                "time": iso(e.time),
                "alarm": e.occurrence or e.alarm,
                "change": f"{e.before} -> {e.after}",
                "user": e.user,
                "value": body.get("value"),
                "reason": body.get("reason") or None,
            }
        )
    _emit("Alarm journal", rows, format)


def alarms_ack(
    alarm: Annotated[str, typer.Argument(help="Alarm point (tank.hi) or occurrence (tank.hi#3).")],
    db: DbOption = None,
    user: UserOption = None,
    comment: Annotated[str, typer.Option("--comment", "-m", help="Why, for the journal.")] = "",
) -> None:
    """Acknowledge an alarm."""
    _act(db, "acknowledge", alarm, _user(user), comment, None)


def alarms_shelve(
    alarm: Annotated[str, typer.Argument(help="Alarm point (tank.hi).")],
    for_: Annotated[str, typer.Option("--for", help="How long: 30m, 8h ...")],
    reason: Annotated[str, typer.Option("--reason", "-m", help="Why (recorded).")],
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Shelve an alarm for a while (at most the configured shelve_max)."""
    try:
        seconds = parse_duration(for_)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _act(db, "shelve", alarm, _user(user), reason, seconds)


def alarms_unshelve(
    alarm: Annotated[str, typer.Argument(help="Alarm point (tank.hi).")],
    db: DbOption = None,
    user: UserOption = None,
    comment: Annotated[str, typer.Option("--comment", "-m", help="Why, for the journal.")] = "",
) -> None:
    """End a shelve now."""
    _act(db, "unshelve", alarm, _user(user), comment, None)


def _act(
    db: str | None, action: str, alarm: str, user: str, comment: str, seconds: float | None
) -> None:
    store = _store(db)
    until = None if seconds is None else time.time() + seconds
    try:
        done = alarm_service.act(store, action, alarm, user, comment=comment, until=until)
    except AlarmError as exc:
        raise _fail(str(exc)) from None
    except TimeoutError as exc:
        raise _fail(str(exc), 3) from None
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    if done.status != "done":
        raise _fail(f"{action} {alarm}: {done.result}")
    console.print(f"{action} {alarm} by {user}: {done.result}", markup=False, highlight=False)


# -- otm history ---------------------------------------------------------------------


def history_tags(db: DbOption = None, format: FormatOption = "table") -> None:
    """The tags with stored samples."""
    _check_format(format)
    with _historian(db) as historian:
        rows = [{"device": ip, "tag": tag} for ip, tag in historian.tags()]
    _emit("Historian tags", rows, format)


def history_query(
    tag: Annotated[str, typer.Argument(help="Tag name.")],
    db: DbOption = None,
    device: Annotated[
        str | None, typer.Option("--device", help="The device, when several have the tag.")
    ] = None,
    start: Annotated[str, typer.Option("--from", help="ISO 8601 time or -1h (ago).")] = "-1h",
    end: Annotated[str, typer.Option("--to", help="ISO 8601 time, -5m, or now.")] = "now",
    aggregate: Annotated[
        str, typer.Option("--aggregate", "-a", help="raw, 1m, 1h or auto.")
    ] = "auto",
    format: FormatOption = "table",
) -> None:
    """A tag's samples (or min/max/avg per minute or hour) over a time range."""
    _check_format(format)
    if aggregate not in ("raw", "1m", "1h", "auto"):
        raise _fail(f"unknown aggregate {aggregate!r}: use raw, 1m, 1h or auto")
    now = time.time()
    try:
        low, high = parse_time(start, now), parse_time(end, now)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    with _historian(db) as historian:
        try:
            series = historian.query(
                tag, low, high, None if aggregate == "raw" else aggregate, asset_ip=device
            )
        except ValueError as exc:
            raise _fail(str(exc)) from None
        except StoreError as exc:
            raise _fail(str(exc), 2) from None
    rows: list[dict[str, object]]
    if series.samples or not series.buckets:
        rows = [{"time": iso(s.time), "value": s.value, "quality": s.quality}
                for s in series.samples]  # fmt: skip
    else:
        rows = [{"start": iso(b.start), "count": b.count, "min": b.min, "max": b.max,
                 "avg": b.avg, "last": b.last} for b in series.buckets]  # fmt: skip
    title = (
        f"{series.tag or tag} on {series.asset_ip or device or '?'} ({series.level}, {len(rows)})"
    )
    _emit(title, rows, format)


def history_export(
    out: Annotated[Path, typer.Argument(help="File to write: .csv or .parquet.")],
    db: DbOption = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Tag to export; repeat (default: all).")
    ] = None,
    start: Annotated[str, typer.Option("--from", help="ISO 8601 time or -1d (ago).")] = "-1d",
    end: Annotated[str, typer.Option("--to", help="ISO 8601 time, -5m, or now.")] = "now",
    aggregate: Annotated[str, typer.Option("--aggregate", "-a", help="raw, 1m or 1h.")] = "raw",
) -> None:
    """Export samples or rollups to CSV or Parquet (by the file's extension)."""
    if aggregate not in ("raw", "1m", "1h"):
        raise _fail(f"unknown aggregate {aggregate!r}: use raw, 1m or 1h")
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise _fail(f"cannot tell the format of {out}: name it .csv or .parquet")
    now = time.time()
    try:
        low, high = parse_time(start, now), parse_time(end, now)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    level = None if aggregate == "raw" else aggregate
    with _historian(db) as historian:
        try:
            write = historian.export_csv if suffix == ".csv" else historian.export_parquet
            rows = write(out, low, high, tags=tag or None, aggregate=level)
        except OSError as exc:
            raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
        except StoreError as exc:
            raise _fail(str(exc), 2) from None
    console.print(f"wrote {rows} rows to {out}", markup=False, highlight=False)


def _historian(db: str | None) -> Historian:
    try:
        return Historian(database_url(db))
    except StoreError as exc:
        raise _fail(str(exc), 2) from None


# -- output ----------------------------------------------------------------------------


def _check_format(format: str) -> None:
    if format not in ("table", "json", "csv"):
        raise _fail(f"unknown format {format!r}: use table, json or csv")


def _emit(title: str, rows: Sequence[Mapping[str, object]], format: str) -> None:
    if format == "json":
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    if format == "csv":
        import csv  # noqa: PLC0415 - only this output needs it

        columns = list(rows[0]) if rows else []
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
        return
    table = Table(title=Text(title))  # names and values are text, never rich markup
    columns = list(rows[0]) if rows else ["(none)"]
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if row[c] is None else str(row[c])) for c in columns))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the monitoring commands to ``app``."""
    app.command(name="monitor")(monitor_cmd)
    app.command(name="health")(health_cmd)
    alarms = typer.Typer(help="The alarm summary, journal and operator actions.")
    alarms.command(name="list")(alarms_list)
    alarms.command(name="journal")(alarms_journal)
    alarms.command(name="ack")(alarms_ack)
    alarms.command(name="shelve")(alarms_shelve)
    alarms.command(name="unshelve")(alarms_unshelve)
    app.add_typer(alarms, name="alarms")
    history = typer.Typer(help="The historian: stored tags, queries, exports.")
    history.command(name="tags")(history_tags)
    history.command(name="query")(history_query)
    history.command(name="export")(history_export)
    app.add_typer(history, name="history")
