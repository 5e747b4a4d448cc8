"""The ``otm`` command line: a thin face over the services.

Every command opens the inventory database named by ``--db``, else
``$OTM_DB``, else ``otm.db`` in the current directory (SQLite, created on
first use); a ``postgresql://`` URL selects PostgreSQL.  Errors the user can
act on (unreadable capture, unreachable database) print one clear line and
exit non-zero; they never print a traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from otm.cli import console as console_commands
from otm.cli import demo as demo_commands
from otm.cli import detection as detection_commands
from otm.cli import hints as hints_commands
from otm.cli import maps as map_commands
from otm.cli import monitor as monitor_commands
from otm.cli import plant as plant_commands
from otm.cli import scan as scan_commands
from otm.cli import users as user_commands
from otm.cli import vulns as vulns_commands
from otm.detection import RuleError
from otm.model.monitoring import HealthStatus
from otm.services import export
from otm.services.analysis import AnalysisResult, analyze_captures
from otm.services.database import open_store
from otm.services.demo import write_demo_capture, write_demo_plant
from otm.services.detection import DetectionError, DetectionSession, detect_sources
from otm.services.hints import asset_hints, hint_doc
from otm.services.protocols import protocol_table
from otm.services.sensor import LiveError, SensorStatus, open_sensor
from otm.store import StoreError
from otm.store.monitoring import MonitoringStore

app = typer.Typer(
    name="otm",
    help="Open-source OT management: discover and inventory industrial devices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True, soft_wrap=True)  # one line an error, never wrapped

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
    ),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


@app.command()
def analyze(
    captures: Annotated[list[Path], typer.Argument(help="pcap / pcapng files, gzip allowed.")],
    db: DbOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="A site's detection rules (otm.rules/1).")
    ] = None,
    detect: Annotated[
        bool, typer.Option("--detect/--no-detect", help="Run the detection rules on new captures.")
    ] = True,
) -> None:
    """Dissect captures, merge what they show into the inventory, check them for threats
    (learning instead while a baseline learns), print a summary."""
    for path in captures:
        if not path.is_file():
            raise _fail(f"{path}: no such file")
    try:
        store = open_store(db)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
        transient=True,
    ) as bar:

        def progress_for(path: Path):  # type: ignore[no-untyped-def]
            task = bar.add_task(path.name, total=path.stat().st_size)

            def update(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return update

        try:
            result = analyze_captures(captures, store, time.time(), progress_for)
        except StoreError as exc:
            raise _fail(str(exc), 2) from None
    _print_summary(result)
    if detect:
        fresh = [c.sha256 for c in result.captures if c.sha256 and c.frames and not c.replaced]
        try:
            outcome = detect_sources(store, fresh, time.time(), rules)
        except (DetectionError, RuleError) as exc:
            raise _fail(str(exc)) from None
        except StoreError as exc:
            raise _fail(str(exc), 2) from None
        learnt = (
            f"{outcome.learnt} observations learnt into the baseline; " if outcome.learnt else ""
        )
        console.print(
            f"detection: {learnt}{outcome.new} new alert(s), {outcome.updated} updated"
            + (" (otm alerts)" if outcome.new or outcome.updated else ""),
            highlight=False,
        )
        if outcome.froze:
            console.print("detection: the learning time ran out: the baseline is frozen now")
        if outcome.zones_done:
            console.print(
                "detection: the learning time of zone(s) "
                f"{escape(', '.join(outcome.zones_done))} ran out: frozen now"
            )
        raised = vulns_commands.alerts_line(store, rules)
        if raised:
            console.print(escape(raised), highlight=False, soft_wrap=True)
    errors = [c for c in result.captures if c.error]
    for c in errors:
        message = c.error or ""
        err.print(f"[bold red]error:[/] {message if c.path in message else f'{c.path}: {message}'}")
    if errors:
        raise typer.Exit(1)


@app.command()
def protocols(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """The protocols otm understands: where it listens, what it extracts, maturity."""
    rows = protocol_table()
    if fmt == "json":
        data = [
            {
                "name": r.name,
                "title": r.title,
                "family": r.family,
                "transports": list(r.transports),
                "extracts": r.extracts,
                "maturity": list(r.maturity),
            }
            for r in rows
        ]
        console.print_json(json.dumps({"protocols": data}))
        return
    if fmt != "table":
        raise _fail(f"unknown format {fmt!r} (table or json)")
    table = Table(title=f"Protocols ({len(rows)})")
    for col in ("protocol", "family", "transports", "extracts", "maturity"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            f"{r.name}\n[dim]{r.title}[/]", r.family, " ".join(r.transports), r.extracts,
            ", ".join(r.maturity),
        )  # fmt: skip
    console.print(table)


@app.command()
def sensor(
    interface: Annotated[str, typer.Option("--interface", "-i", help="Interface to capture on.")],
    bpf: Annotated[
        str | None, typer.Option("--filter", "-f", help="BPF capture filter (libpcap syntax).")
    ] = None,
    db: DbOption = None,
    interval: Annotated[
        float, typer.Option(help="Seconds between inventory updates.", min=0.1)
    ] = 5.0,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds.", min=0)
    ] = None,
    max_frames: Annotated[
        int | None, typer.Option("--max-frames", help="Stop after this many frames.", min=1)
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No status lines.")] = False,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="A site's detection rules (otm.rules/1).")
    ] = None,
    detect: Annotated[
        bool, typer.Option("--detect/--no-detect", help="Run the detection rules as it captures.")
    ] = True,
) -> None:
    """Capture from a live interface, keep the inventory up to date and raise alerts until
    stopped."""
    import signal  # noqa: PLC0415 - only this command handles signals

    try:
        store = open_store(db)
        detection = DetectionSession(store, rules) if detect else None
        running = open_sensor(interface, store, bpf, interval, detection=detection)
    except (DetectionError, RuleError) as exc:
        raise _fail(str(exc)) from None
    except (StoreError, LiveError) as exc:
        raise _fail(str(exc), 2) from None

    def stop(signum: int, frame: object) -> None:
        running.stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    def show(status: SensorStatus) -> None:
        if not quiet:
            err.print(_status_line(status))

    if not quiet:
        err.print(f"capturing on {interface}{f' ({bpf})' if bpf else ''}; Ctrl-C stops")
    try:
        status = running.run(show, max_frames=max_frames, duration=duration)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    console.print(_status_line(status))
    if status.error:
        raise _fail(status.error)


def _status_line(status: SensorStatus) -> str:
    c = status.capture
    return (
        f"{status.frames} frames, {status.assets} assets, {status.links} links, "
        f"{status.alerts} alert updates; "
        f"drops: {c.kernel_drops} kernel, {c.interface_drops} interface, {c.own_drops} own"
    )


def _print_summary(result: AnalysisResult) -> None:
    table = Table(title="Captures", show_lines=False)
    for col in ("capture", "frames", "industrial", "observations", "anomalies", "status"):
        table.add_column(col, justify="right" if col != "capture" else "left")
    for c in result.captures:
        stats = c.stats
        status = "damaged" if c.error else ("re-analysed" if c.replaced else "new")
        if c.error and not c.frames:
            status = "unreadable"
        table.add_row(
            Path(c.path).name,
            str(c.frames),
            str(stats.industrial_packets if stats else 0),
            str(c.observations),
            str(sum(stats.anomalies.values()) if stats else 0),
            status,
        )
    console.print(table)
    damaged: dict[str, int] = {}
    for c in result.captures:
        if c.stats is not None:
            for kind, n in c.stats.malformed.items():
                damaged[kind] = damaged.get(kind, 0) + n
            if c.stats.gaps:
                damaged["tcp_data_lost"] = damaged.get("tcp_data_lost", 0) + c.stats.gaps
    inv = result.inventory
    protocols: dict[str, int] = {}
    for link in inv.links.values():
        protocols[link.protocol] = protocols.get(link.protocol, 0) + link.packets
    roles: dict[str, int] = {}
    for asset in inv.assets.values():
        roles[asset.role.value] = roles.get(asset.role.value, 0) + 1
    summary = Table(title="Inventory", show_header=False)
    summary.add_column("what")
    summary.add_column("value")
    summary.add_row("assets", str(len(inv.assets)))
    summary.add_row("by role", ", ".join(f"{k} {v}" for k, v in sorted(roles.items())))
    summary.add_row("links", str(len(inv.links)))
    summary.add_row(
        "protocols (packets)", ", ".join(f"{k} {v}" for k, v in sorted(protocols.items()))
    )
    anomalies: dict[str, int] = {}
    for a in inv.anomalies.values():
        key = f"{a.protocol}/{a.kind}"
        anomalies[key] = anomalies.get(key, 0) + a.count
    summary.add_row(
        "parse anomalies", ", ".join(f"{k} {v}" for k, v in sorted(anomalies.items())) or "none"
    )
    summary.add_row(
        "malformed frames", ", ".join(f"{k} {v}" for k, v in sorted(damaged.items())) or "none"
    )
    console.print(summary)


Format = Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")]


@app.command()
def assets(db: DbOption = None, format: Format = "table") -> None:
    """List the assets of the inventory."""
    store = _store(db)
    items = store.assets()
    health = _health(store)
    if format == "json":
        doc = export.inventory_doc(items, [], health)
        sys.stdout.write(json.dumps(doc["assets"], indent=2) + "\n")
        return
    if format == "csv":
        sys.stdout.write(export.assets_csv(items, health))
        return
    _check_table(format)
    table = Table(title=f"Assets ({len(items)})")
    columns = ("id", "ip", "mac", "vendor", "model", "firmware", "serial", "role", "protocols")
    for col in (*columns, "health") if health else columns:
        table.add_column(col, overflow="fold")
    for asset in sorted(items, key=export.asset_sort_key):
        doc = export.asset_doc(asset, health)
        state = [doc["health"]["state"] if doc["health"] else ""] if health else []
        table.add_row(
            doc["id"],
            "\n".join(doc["ips"]),
            "\n".join(doc["macs"]),
            doc["vendor"] or "",
            doc["model"] or "",
            doc["firmware"] or "",
            doc["serial"] or "",
            doc["role"],
            ", ".join(sorted({f"{p['name']}/{p['role'][0]}" for p in doc["protocols"]})),
            *state,
        )
    console.print(table)


@app.command()
def links(db: DbOption = None, format: Format = "table") -> None:
    """List who talks to whom, with which protocol and operations."""
    store = _store(db)
    items = store.links()
    if format == "json":
        doc = export.inventory_doc([], items)
        sys.stdout.write(json.dumps(doc["links"], indent=2) + "\n")
        return
    if format == "csv":
        sys.stdout.write(export.links_csv(items))
        return
    _check_table(format)
    table = Table(title=f"Links ({len(items)})")
    for col in ("client", "server", "protocol", "port", "packets", "bytes", "operations"):
        table.add_column(col, overflow="fold")
    for link in sorted(items, key=export.link_sort_key):
        ops = ", ".join(
            f"{k} {v}" for k, v in sorted(link.operations.items(), key=lambda kv: -kv[1])
        )
        table.add_row(
            link.client,
            link.server,
            link.protocol,
            f"{link.transport}/{link.port}",
            str(link.packets),
            str(link.bytes),
            ops,
        )
    console.print(table)


@app.command()
def show(
    asset: Annotated[str, typer.Argument(help="Asset id, IP or MAC address.")],
    db: DbOption = None,
    format: Format = "table",
) -> None:
    """Every field of one asset with the evidence it came from."""
    store = _store(db)
    found = store.asset(asset)
    if found is None:
        raise _fail(f"no asset {asset!r} in the inventory")
    doc = export.asset_doc(found, _health(store))
    related = [lk for lk in store.links() if lk.client in found.ips or lk.server in found.ips]
    anomalies = [a for a in store.load_inventory().anomalies.values() if a.ip in found.ips]
    hints = asset_hints(store, found.id)
    if format == "json":
        doc["links"] = [export.link_doc(lk) for lk in related]
        doc["hints"] = [hint_doc(h, hints.names) for h in hints.hints]
        doc["anomalies"] = [
            {"protocol": a.protocol, "kind": a.kind, "count": a.count, "detail": a.detail}
            for a in anomalies
        ]
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    _check_table(format)
    head = Table(title=f"Asset {doc['id']}", show_header=False)
    head.add_column("field")
    head.add_column("value", overflow="fold")
    for key in ("ips", "macs", "vlans"):
        head.add_row(key, ", ".join(str(x) for x in doc[key]))
    head.add_row("role", f"{doc['role']} ({doc['role_reason']})")
    head.add_row("first seen", doc["first_seen"] or "")
    head.add_row("last seen", doc["last_seen"] or "")
    if doc["health"]:
        h = doc["health"]
        rtt = "" if h["rtt_ms"] is None else f", {h['rtt_ms']:.1f} ms"
        head.add_row(
            "health",
            f"{h['state']} since {h['since']} ({h['protocol']} poll of {h['address']}{rtt}, "
            f"{h['error_rate']:.0%} errors, last good {h['last_good'] or 'never'})",
        )
    console.print(head)
    _print_fields("Identity and evidence", doc["fields"])
    for comp in doc["components"]:
        _print_fields(f"Component {comp['key']}", comp["fields"])
    if related:
        table = Table(title="Communications")
        for col in ("client", "server", "protocol", "port", "packets", "operations"):
            table.add_column(col, overflow="fold")
        for lk in related:
            ops = ", ".join(f"{k} {v}" for k, v in sorted(lk.operations.items()))
            table.add_row(lk.client, lk.server, lk.protocol, str(lk.port), str(lk.packets), ops)
        console.print(table)
    if anomalies:
        table = Table(title="Parse anomalies")
        for col in ("protocol", "kind", "count", "first packet", "detail"):
            table.add_column(col)
        for a in anomalies:
            table.add_row(
                a.protocol, a.kind, str(a.count), f"{a.evidence.ref} #{a.evidence.packet}", a.detail
            )
        console.print(table)
    if hints.hints:
        console.print(hints_commands.hints_table(hints.hints, hints.names))


def _print_fields(title: str, fields: dict[str, list[dict[str, object]]]) -> None:
    table = Table(title=title)
    for col in ("field", "value", "protocol", "evidence"):
        table.add_column(col, overflow="fold")
    for name, values in fields.items():
        for v in values:
            ev = v["evidence"]
            assert isinstance(ev, dict)
            where = f"{ev['ref']}" + (f" #{ev['packet']}" if ev.get("packet") else "")
            table.add_row(name, str(v["value"]), str(v["protocol"]), f"{where} {ev['message']}")
    console.print(table)


@app.command(name="export")
def export_cmd(
    db: DbOption = None,
    format: Format = "json",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default stdout).")] = None,
) -> None:
    """Write the whole inventory as JSON (otm.inventory/1) or CSV."""
    store = _store(db)
    health = _health(store)
    if format == "json":
        doc = export.inventory_doc(store.assets(), store.links(), health)
        text = json.dumps(doc, indent=2) + "\n"
    elif format == "csv":
        text = export.assets_csv(store.assets(), health)
    else:
        raise _fail(f"unknown format {format!r}: use json or csv")
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


@app.command(name="demo-capture")
def demo_capture(
    out: Annotated[Path, typer.Argument(help="pcap file to write.")] = Path("plant.pcap"),
    plant: Annotated[
        Path | None, typer.Option("--plant", help="Also write the site's plant file (YAML).")
    ] = None,
) -> None:
    """Write a capture of a small simulated multi-vendor site (try otm without a SPAN port)."""
    frames = write_demo_capture(out)
    console.print(f"wrote {frames} frames to {out}")
    if plant is not None:
        write_demo_plant(plant)
        console.print(f"wrote the site's plant file to {plant}")


def _store(db: str | None) -> MonitoringStore:
    try:
        return open_store(db)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None


def _health(store: MonitoringStore) -> dict[str, HealthStatus]:
    """Polled devices' health by address (empty when nothing is monitored)."""
    try:
        return {status.asset_ip: status for status in store.health()}
    except StoreError as exc:
        raise _fail(str(exc), 2) from None


def _check_table(format: str) -> None:
    if format != "table":
        raise _fail(f"unknown format {format!r}: use table, json or csv")


plant_commands.register(app)
map_commands.register(app)
scan_commands.register(app)
monitor_commands.register(app)
demo_commands.register(app)
detection_commands.register(app)
vulns_commands.register(app)
hints_commands.register(app)
user_commands.register(app)
console_commands.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None
