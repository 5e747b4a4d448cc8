"""``otm baseline`` and ``otm alerts``: learn what is normal, triage what is not.

A thin face over ``otm.services.detection`` and ``otm.services.siem``;
``register(app)`` adds the commands.  Database selection and error habits
are those of ``otm.cli.app``: a bad option or an impossible request prints
one line and exits 1, a database error exits 2.
"""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otm.services import detection as service
from otm.services import siem
from otm.services.database import open_store
from otm.services.export import iso
from otm.store import StoreError
from otm.store.combined import Store
from otm.store.detection import ALERT_STATUSES, SEVERITIES, StoredAlert

console = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
    ),
]
UserOption = Annotated[
    str | None, typer.Option("--user", "-u", help="Who acts (default: the login name).")
]
CommentOption = Annotated[str, typer.Option("--comment", "-m", help="Why, for the record.")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _store(db: str | None) -> Store:
    try:
        return open_store(db)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None


def _user(user: str | None) -> str:
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise _fail("cannot tell who you are: give --user") from None


# -- otm baseline ----------------------------------------------------------------------


ZoneOption = Annotated[
    list[str] | None,
    typer.Option("--zone", help="Only this zone (repeat); the rest of the site stays as it is."),
]


def baseline_learn(
    db: DbOption = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Learn only these stored sources (key); default: all new."),
    ] = None,
    zone: ZoneOption = None,
    for_: Annotated[
        str | None,
        typer.Option(
            "--for",
            help="Learn for this long (30m, 12h, 7d, 2w) of traffic, then freeze by itself.",
        ),
    ] = None,
) -> None:
    """Start or go on learning what is normal from the stored captures and scans (the whole
    site, or with --zone one zone while the rest stays protected)."""
    store = _store(db)
    try:
        duration = None if for_ is None else service.parse_duration(for_)
        count, taken = service.learn(store, time.time(), source, zone or (), duration)
    except service.DetectionError as exc:
        raise _fail(str(exc)) from None
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    until = (
        f"for {for_} of traffic (counted from the first packet learnt)"
        if for_
        else "until `otm baseline freeze" + (" --zone ...`" if zone else "`")
    )
    if zone:
        console.print(
            f"learning zone(s) {escape(', '.join(zone))}: {taken} observations from {count} "
            f"source(s) now; new traffic with an end in them is learnt {until}; the rest of "
            "the site stays protected"
        )
        return
    console.print(
        f"learning: {taken} observations from {count} source(s); new captures analysed now "
        f"are learnt too, {until}"
    )


def baseline_freeze(db: DbOption = None, zone: ZoneOption = None) -> None:
    """End learning (of the whole site, or of --zone): from now on new traffic is compared
    with the baseline."""
    store = _store(db)
    try:
        base = service.freeze(store, time.time(), zone or ())
    except service.DetectionError as exc:
        raise _fail(str(exc)) from None
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    if zone:
        console.print(f"zone(s) {escape(', '.join(zone))} frozen: compared with the baseline now")
        return
    console.print(
        f"baseline frozen: {len(base.hosts)} hosts, {len(base.links)} links, "
        f"{sum(len(v) for v in base.operations.values())} operations on links, "
        f"learnt from {iso(base.first)} to {iso(base.last)}"
    )


def baseline_show(db: DbOption = None) -> None:
    """What the baseline holds and its phase."""
    store = _store(db)
    try:
        status = service.baseline_status(store)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    if not status.exists or status.baseline is None:
        console.print("no baseline: only the rules that judge traffic on its own run")
        return
    base = status.baseline
    table = Table(title=f"Baseline ({'frozen' if status.frozen else 'learning'})",
                  show_header=False)  # fmt: skip
    table.add_column("what")
    table.add_column("value", overflow="fold")
    table.add_row("learnt from", f"{len(status.sources)} source(s), {base.observations} obs.")
    for scope, duration in sorted(status.plan.scopes.items()):
        what = "the whole site" if scope == service.SITE else f"zone {escape(scope)}"
        end = status.plan.ends(scope)
        when = (
            f"until {iso(end)}"
            if end is not None
            else f"for {duration:g} s from its first packet"
            if duration is not None
            else "until frozen"
        )
        table.add_row("learning", f"{what} {when}")
    table.add_row("time span", f"{iso(base.first) or '-'} .. {iso(base.last) or '-'}")
    table.add_row("hosts", str(len(base.hosts) + len(base.macs)))
    table.add_row("links", str(len(base.links)))
    table.add_row("operations", str(sum(len(v) for v in base.operations.values())))
    writers = sorted(f"{c} -> {s} ({p})" for (s, p), cs in base.writers.items() for c in cs)
    table.add_row("writers", "\n".join(writers[:20]) + (" ..." if len(writers) > 20 else ""))
    table.add_row("identities", str(len(base.identity)))
    table.add_row("addresses written", str(len(base.values)))
    console.print(table)


def baseline_reset(
    db: DbOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Really forget the baseline.")] = False,
) -> None:
    """Forget the baseline (alerts stay) to learn again from scratch."""
    if not yes:
        raise _fail("this forgets everything learnt: repeat with --yes")
    store = _store(db)
    try:
        had = service.reset(store)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    console.print("baseline forgotten" if had else "there was no baseline")


def baseline_accept(
    alert: Annotated[str, typer.Argument(help="Alert id (or a unique prefix).")],
    db: DbOption = None,
    user: UserOption = None,
    comment: CommentOption = "",
) -> None:
    """This alert is normal: fold what it saw into the baseline."""
    store = _store(db)
    try:
        accepted = service.accept(store, alert, _user(user), time.time(), comment)
    except service.DetectionError as exc:
        raise _fail(str(exc)) from None
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    console.print(f"accepted {accepted.id}: {accepted.message}")


# -- otm alerts ------------------------------------------------------------------------


def alerts_list(
    db: DbOption = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="open, acknowledged, closed, accepted (repeat)."),
    ] = None,
    severity: Annotated[
        str | None, typer.Option("--severity", help="At least: low, medium, high, critical.")
    ] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="One rule id.")] = None,
    host: Annotated[str | None, typer.Option("--host", help="Alerts about this address.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Closed and accepted ones too.")] = False,
    format: Annotated[
        str, typer.Option("--format", "-f", help="table, json (jsonl), cef or leef.")
    ] = "table",
    limit: Annotated[int | None, typer.Option(help="At most this many.", min=1)] = None,
) -> None:
    """The alerts, most severe first (open and acknowledged unless --status or --all);
    the id column is the alert's hash, which every command takes."""
    found = _select(db, status, severity, rule, host, all_, limit)
    if format in ("json", "jsonl", "cef", "leef"):
        for line in siem.lines(found, "jsonl" if format == "json" else format):
            sys.stdout.write(line + "\n")
        return
    if format != "table":
        raise _fail(f"unknown format {format!r}: use table, json, cef or leef")
    table = Table(title=f"Alerts ({len(found)})")
    table.add_column("id", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("count", no_wrap=True, justify="right")
    table.add_column("rule", overflow="fold")
    table.add_column("what", overflow="fold", ratio=1)
    for a in found:
        d = a.data
        last = (iso(d["last_seen"]) or "")[:16].replace("T", " ")
        state = "" if a.status == "open" else f"; {a.status}"
        table.add_row(
            a.id.rsplit(":", 1)[-1],
            d["severity"],
            str(d["count"]),
            d["rule_id"],
            escape(f"{d['message']} [last {last}{state}]"),
        )
    console.print(table)


def _select(
    db: str | None,
    status: list[str] | None,
    severity: str | None,
    rule: str | None,
    host: str | None,
    all_: bool,
    limit: int | None,
) -> list[StoredAlert]:
    for s in status or []:
        if s not in ALERT_STATUSES:
            raise _fail(f"unknown status {s!r}: use {', '.join(ALERT_STATUSES)}")
    if severity is not None and severity not in SEVERITIES:
        raise _fail(f"unknown severity {severity!r}: use {', '.join(SEVERITIES)}")
    wanted = status or (None if all_ else ["open", "acknowledged"])
    store = _store(db)
    try:
        return store.alerts(
            status=wanted, min_severity=severity, rule=rule, subject=host, limit=limit
        )
    except StoreError as exc:
        raise _fail(str(exc), 2) from None


def alerts_show(
    alert: Annotated[str, typer.Argument(help="Alert id (or a unique prefix).")],
    db: DbOption = None,
) -> None:
    """One alert: what, when, how often, the evidence, and what analysts did."""
    store = _store(db)
    try:
        found = store.alert(alert)
        notes = store.alert_notes(found.id) if found else []
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    if found is None:
        raise _fail(f"no alert {alert!r} (or the prefix names several)")
    d = found.data
    table = Table(title=f"Alert {found.id}", show_header=False)
    table.add_column("field")
    table.add_column("value", overflow="fold")
    rows = [
        ("rule", f"{d['rule_id']}: {d['name']}"),
        ("severity", d["severity"]),
        ("technique", f"{d['technique']} {d['technique_name']} (MITRE ATT&CK for ICS)"),
        ("what", d["message"]),
        ("hosts", ", ".join(d["subjects"])),
        ("count", str(d["count"])),
        ("first seen", iso(d["first_seen"]) or ""),
        ("last seen", iso(d["last_seen"]) or ""),
        ("status", found.status),
    ]
    for name, value in rows:
        table.add_row(name, escape(str(value)))
    for name, value in sorted(d["details"].items()):
        table.add_row(name, escape(str(value)))
    console.print(table)
    evidence = Table(title="Evidence")
    for col in ("source", "ref", "packet", "message"):
        evidence.add_column(col, overflow="fold")
    for e in d["evidence"]:
        packet = "" if e["packet"] is None else str(e["packet"])
        evidence.add_row(e["source"], escape(e["ref"]), packet, escape(e["message"]))
    console.print(evidence)
    if notes:
        log = Table(title="Notes")
        for col in ("time", "user", "action", "text"):
            log.add_column(col, overflow="fold")
        for n in notes:
            log.add_row(iso(n.time) or "", escape(n.user), n.action, escape(n.text))
        console.print(log)


def _set(db: str | None, alert: str, status: str, user: str | None, comment: str) -> None:
    store = _store(db)
    try:
        found = store.alert(alert)
        if found is None:
            raise _fail(f"no alert {alert!r} (or the prefix names several)")
        store.set_alert_status(found.id, status, _user(user), time.time(), comment)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    console.print(f"{found.id}: {status}")


def alerts_ack(
    alert: Annotated[str, typer.Argument(help="Alert id (or a unique prefix).")],
    db: DbOption = None,
    user: UserOption = None,
    comment: CommentOption = "",
) -> None:
    """Acknowledge an alert (someone is on it)."""
    _set(db, alert, "acknowledged", user, comment)


def alerts_close(
    alert: Annotated[str, typer.Argument(help="Alert id (or a unique prefix).")],
    db: DbOption = None,
    user: UserOption = None,
    comment: CommentOption = "",
) -> None:
    """Close an alert (it opens again if it fires again)."""
    _set(db, alert, "closed", user, comment)


def alerts_comment(
    alert: Annotated[str, typer.Argument(help="Alert id (or a unique prefix).")],
    text: Annotated[str, typer.Argument(help="The comment.")],
    db: DbOption = None,
    user: UserOption = None,
) -> None:
    """Add a comment to an alert."""
    store = _store(db)
    try:
        found = store.alert(alert)
        if found is None:
            raise _fail(f"no alert {alert!r} (or the prefix names several)")
        store.add_alert_note(found.id, _user(user), text, time.time())
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    console.print(f"{found.id}: comment added")


def alerts_export(
    out: Annotated[Path, typer.Argument(help="File to write (one alert a line).")],
    db: DbOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="cef, leef or jsonl.")] = "jsonl",
    all_: Annotated[bool, typer.Option("--all", help="Closed and accepted ones too.")] = False,
) -> None:
    """Write the alerts for a SIEM: CEF (ArcSight), LEEF 2.0 (QRadar) or JSON lines."""
    if format not in siem.FORMATS:
        raise _fail(f"unknown format {format!r}: use {', '.join(siem.FORMATS)}")
    found = _select(db, None, None, None, None, all_, None)
    try:
        with out.open("w", encoding="utf-8") as stream:
            count = 0
            for line in siem.lines(found, format):
                stream.write(line + "\n")
                count += 1
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
    console.print(f"wrote {count} alert(s) to {out} ({format})")


def register(app: typer.Typer) -> None:
    """Add ``otm baseline`` and ``otm alerts`` to ``app``."""
    baseline = typer.Typer(help="Learn what is normal; freeze; accept alerts into it.")
    baseline.command(name="learn")(baseline_learn)
    baseline.command(name="freeze")(baseline_freeze)
    baseline.command(name="show")(baseline_show)
    baseline.command(name="accept")(baseline_accept)
    baseline.command(name="reset")(baseline_reset)
    app.add_typer(baseline, name="baseline")
    alerts = typer.Typer(
        help="Alerts: list, show, acknowledge, close, comment, export for a SIEM.",
        invoke_without_command=True,
    )

    @alerts.callback()
    def _default(
        ctx: typer.Context,
        db: DbOption = None,
        severity: Annotated[
            str | None, typer.Option("--severity", help="At least: low, medium, high, critical.")
        ] = None,
        all_: Annotated[bool, typer.Option("--all", help="Closed and accepted ones too.")] = False,
        format: Annotated[
            str, typer.Option("--format", "-f", help="table, json (jsonl), cef or leef.")
        ] = "table",
    ) -> None:
        """Without a subcommand: the open alerts (``otm alerts list`` filters more)."""
        if ctx.invoked_subcommand is None:
            alerts_list(db=db, status=None, severity=severity, rule=None, host=None,
                        all_=all_, format=format, limit=None)  # fmt: skip

    alerts.command(name="list")(alerts_list)
    alerts.command(name="show")(alerts_show)
    alerts.command(name="ack")(alerts_ack)
    alerts.command(name="close")(alerts_close)
    alerts.command(name="comment")(alerts_comment)
    alerts.command(name="export")(alerts_export)
    app.add_typer(alerts, name="alerts")
