"""``otm diff``, ``otm map`` and ``otm graph export``: the plant map over time and as files.

A thin face over ``otm.services.maps``; ``register(app)`` adds the commands
to the ``otm`` application.  Database selection and error habits are those
of ``otm.cli.app``: ``--db``, else ``$OTM_DB``, else ``otm.db``; errors the
user can act on print one line and exit 1 (bad input) or 2 (database).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otm.services import maps
from otm.services.database import open_store
from otm.services.export import iso
from otm.store import SqlStore, StoreError

console = Console()
err = Console(stderr=True, soft_wrap=True)  # one line an error, never wrapped

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
    ),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _store(db: str | None) -> SqlStore:
    try:
        return open_store(db)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None


def diff(
    since: Annotated[
        str,
        typer.Option(
            "--since",
            help="From when: ISO 8601 (2026-01-05T08:00:00Z, UTC if no zone) or a duration "
            "back from the newest observation (30m, 2h, 7d).",
        ),
    ],
    until: Annotated[
        str | None,
        typer.Option("--until", help="Up to when (same forms; default the newest observation)."),
    ] = None,
    db: DbOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """New and vanished assets, links, protocols and operations since a moment.

    New: active between --since and --until and unknown before --since.
    Vanished: known before --since and silent between --since and --until.
    """
    if fmt not in ("table", "json"):
        raise _fail(f"unknown format {fmt!r}: use table or json")
    store = _store(db)
    try:
        result = maps.diff_since(store, since, until)
    except maps.MomentError as exc:
        raise _fail(str(exc)) from None
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    if fmt == "json":
        sys.stdout.write(json.dumps(maps.diff_doc(result), indent=2) + "\n")
        return
    until_text = iso(result.until) if result.until is not None else "the newest observation"
    console.print(f"Changes from {iso(result.since)} to {until_text}", highlight=False)
    d = result.diff
    if d.empty:
        console.print("no change")
        return
    for side, assets, links, protocols, operations in (
        ("New", d.new_assets, d.new_links, d.new_protocols, d.new_operations),
        ("Vanished", d.vanished_assets, d.vanished_links, d.vanished_protocols,
         d.vanished_operations),
    ):  # fmt: skip
        _table(
            f"{side} assets",
            ("asset", "role", "ip", "mac", "first seen", "last seen"),
            [
                (a.name, a.role, " ".join(a.ips), " ".join(a.macs), _when(a.first_seen),
                 _when(a.last_seen))
                for a in assets
            ],
        )  # fmt: skip
        _table(
            f"{side} links",
            ("client", "server", "protocol", "port", "packets", "operations"),
            [
                (k.key[0], k.key[1], k.key[2], f"{k.key[3]}/{k.key[4]}", str(k.packets),
                 ", ".join(f"{op} {n}" for op, n in k.operations))
                for k in links
            ],
        )  # fmt: skip
        _table(
            f"{side} protocols",
            ("asset", "protocol", "as"),
            [(p.name, p.protocol, p.role) for p in protocols],
        )
        _table(
            f"{side} operations",
            ("client", "server", "protocol", "operation", "category", "count"),
            [
                (o.link[0], o.link[1], o.link[2], o.operation, o.category, str(o.count))
                for o in operations
            ],
        )


def _when(ts: float) -> str:
    """A packet time for a table cell; empty for 0 (never seen)."""
    return (iso(ts) or "") if ts else ""


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    if not rows:
        return
    table = Table(title=f"{title} ({len(rows)})")
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def map_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="SVG file to write.")],
    db: DbOption = None,
    title: Annotated[str, typer.Option(help="Title printed on the map.")] = "Plant map",
) -> None:
    """Draw the plant map as SVG: Purdue bands, zone boxes, links coloured by operation."""
    store = _store(db)
    try:
        svg, count = maps.map_svg(store, title)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    _write(out, svg)
    console.print(f"wrote the map of {count} assets to {out}", highlight=False)


def graph_export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="graphml or json.")] = "graphml",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default stdout).")] = None,
    db: DbOption = None,
) -> None:
    """Write the communication graph with levels, zones and processes (Gephi, yEd, Cytoscape)."""
    if fmt not in maps.GRAPH_FORMATS:
        raise _fail(f"unknown format {fmt!r}: use {' or '.join(maps.GRAPH_FORMATS)}")
    store = _store(db)
    try:
        text = maps.export_graph(store, fmt)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    if out is None:
        sys.stdout.write(text)
    else:
        _write(out, text)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc.strerror}") from None


def register(app: typer.Typer) -> None:
    """Add ``diff``, ``map`` and ``graph export`` to the ``otm`` application."""
    app.command(name="diff")(diff)
    app.command(name="map")(map_cmd)
    graph = typer.Typer(
        name="graph", help="The communication graph as files.", no_args_is_help=True
    )
    graph.command(name="export")(graph_export)
    app.add_typer(graph, name="graph")
