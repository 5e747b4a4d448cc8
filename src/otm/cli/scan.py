"""``otm scan``: safe, read-only active discovery of the networks the user names.

A thin face over ``otm.services.scan``; ``register(app)`` adds the command.
Database selection and error habits are those of ``otm.cli.app``: ``--db``,
else ``$OTM_DB``, else ``otm.db``; a target or network outside the scope,
or a malformed option, prints one line and exits 1; a database error exits 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otm.cli.vulns import alerts_line, check_rules
from otm.scanning.safety import OutOfScope, UnsafeRequest
from otm.services import scan as scan_service
from otm.services.database import open_store
from otm.services.export import iso
from otm.store import StoreError

console = Console()
err = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
    ),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def scan_cmd(
    allow: Annotated[
        list[str],
        typer.Option("--allow", help="Network the scan may reach (CIDR); repeat for more."),
    ],
    target: Annotated[
        list[str] | None,
        typer.Option("--target", help="Host to scan (default: every host of --allow)."),
    ] = None,
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help="Comma-separated: modbus,enip,s7,bacnet,opcua,snmp,profinet (default: all; "
            "profinet only with --interface).",
        ),
    ] = None,
    broadcast: Annotated[
        list[str] | None,
        typer.Option(
            "--broadcast",
            help="Broadcast domain (CIDR inside --allow) where ENIP/BACnet may broadcast.",
        ),
    ] = None,
    interface: Annotated[
        str | None,
        typer.Option("--interface", help="Interface for PROFINET DCP Identify (layer 2)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print every request it would send; send nothing.")
    ] = False,
    rate: Annotated[float, typer.Option(help="Requests per second in all.", min=0.01)] = 5.0,
    device_rate: Annotated[
        float, typer.Option("--device-rate", help="Requests per second to one device.", min=0.01)
    ] = 2.0,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer.", min=0.01)] = 2.0,
    retries: Annotated[
        int, typer.Option(help="Times a request without answer is sent again.", min=0, max=3)
    ] = 1,
    unit_sweep: Annotated[
        bool, typer.Option("--unit-sweep", help="Modbus: ask every unit id 1-247 (gateways).")
    ] = False,
    community: Annotated[
        list[str] | None, typer.Option("--community", help="SNMP v2c community (default public).")
    ] = None,
    snmp_user: Annotated[
        str | None, typer.Option("--snmp-user", help="SNMP v3 user (noAuthNoPriv get).")
    ] = None,
    port: Annotated[
        list[str] | None,
        typer.Option(
            "--port",
            help="PROTOCOL=PORT: ask that protocol on another port (modbus=5020); repeat.",
        ),
    ] = None,
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="A site's rules (otm.rules/1), for vulnerability alerts."),
    ] = None,
) -> None:
    """Ask devices who they are, read-only and rate-limited, inside the networks you allow."""
    if fmt not in ("table", "json"):
        raise _fail(f"unknown format {fmt!r} (table or json)")
    check_rules(rules)
    try:
        ports = parse_ports(port or [])
    except ValueError as exc:
        raise _fail(str(exc)) from None
    options = scan_service.ScanOptions(
        allow=allow,
        targets=target or [],
        protocols=[p.strip() for p in protocol.split(",") if p.strip()] if protocol else None,
        broadcast=broadcast or [],
        interface=interface,
        rate=rate,
        device_rate=device_rate,
        timeout=timeout,
        retries=retries,
        unit_sweep=unit_sweep,
        communities=tuple(community) if community else ("public",),
        snmp_user=snmp_user,
        ports=ports,
    )
    try:
        options.scope()
        options.probes()
        options.limits()
    except (OutOfScope, UnsafeRequest, ValueError) as exc:
        raise _fail(str(exc)) from None
    if dry_run:
        try:
            scan_service.dry_run(options, lambda line: console.print(line, highlight=False))
        except (OutOfScope, UnsafeRequest, ValueError) as exc:
            raise _fail(str(exc)) from None
        return
    try:
        store = open_store(db)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    try:
        outcome = scan_service.scan_network(options, store)
        raised = alerts_line(store, rules)  # the inventory changed: known vulnerabilities too
    except (OutOfScope, UnsafeRequest, ValueError) as exc:
        raise _fail(str(exc)) from None
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    finally:
        store.close()
    rows = scan_service.found_rows(outcome.result, outcome.inventory)
    stats = outcome.result.stats
    if fmt == "json":
        data = {
            "source": outcome.key,
            "ref": outcome.ref,
            "started": iso(stats.started),
            "finished": iso(stats.finished),
            "requests": stats.traffic.requests,
            "answers": stats.traffic.answers,
            "timeouts": stats.traffic.timeouts,
            "devices": [
                {"ip": r.ip, "mac": r.mac, "protocols": list(r.protocols), "fields": r.fields}
                for r in rows
            ],
            "errors": outcome.result.errors,
        }
        console.print_json(json.dumps(data))
    else:
        _print_table(rows)
        t = stats.traffic
        console.print(
            f"{len(rows)} devices answered; {stats.hosts} hosts, {t.requests} requests, "
            f"{t.answers} answers, {t.timeouts} timeouts, {t.unreachable} unreachable "
            f"in {stats.finished - stats.started:.1f} s; stored as {outcome.key}",
            highlight=False,
        )
    if raised and fmt != "json":
        console.print(escape(raised), highlight=False, soft_wrap=True)
    for line in outcome.result.errors:
        err.print(f"[yellow]probe error:[/] {line}", highlight=False)


def parse_ports(items: list[str]) -> dict[str, int]:
    """``["modbus=5020", "s7=10102"]`` -> ``{"modbus": 5020, "s7": 10102}``; ValueError if bad.

    Which protocols may take a port, and the range, is the scanner's to check
    (``otm.scanning.registry.check_ports``, through ``ScanOptions.probes``).
    """
    ports: dict[str, int] = {}
    for item in items:
        name, sep, number = item.partition("=")
        name = name.strip().lower()
        if not sep or not name or not number.strip().isdigit():
            raise ValueError(f"--port {item!r}: write PROTOCOL=PORT (modbus=5020)")
        if name in ports:
            raise ValueError(f"--port {name} given twice")
        ports[name] = int(number)
    return ports


def _print_table(rows: list[scan_service.FoundRow]) -> None:
    table = Table(title=f"Scan ({len(rows)} devices)")
    columns = ("ip", "mac", "protocols", *scan_service.SUMMARY_FIELDS)
    for col in columns:
        table.add_column(col, overflow="fold")
    for r in rows:
        values = [str(r.fields.get(name, "")) for name in scan_service.SUMMARY_FIELDS]
        table.add_row(r.ip, r.mac or "", ",".join(r.protocols), *values)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``scan`` to the ``otm`` application."""
    app.command(name="scan")(scan_cmd)
