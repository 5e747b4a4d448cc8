"""The plant map on the command line: load the plant file, show levels, zones and
processes, override a level, ask what a failure hits and who can reach an asset.

A thin face over ``otm.services.plant`` (use cases) and
``otm.services.plantdocs`` (the documents shown as tables or ``--format
json``).  ``register(app)`` adds the commands to the ``otm`` application::

    otm plant load FILE          otm plant export [-o FILE]
    otm zones [load FILE]        otm processes [load FILE]
    otm levels                   otm level set ASSET LEVEL
    otm impact ASSET [--isolate] otm exposure ASSET

Errors the user can act on (an invalid plant file, an unknown asset, an
unreachable database) print one clear line each and exit non-zero (1 for the
request, 2 for the database), never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from otm.services import plantdocs
from otm.services.database import open_store
from otm.services.plant import (
    LoadResult,
    PlantError,
    current_view,
    export_plant,
    exposure_of,
    impact_of,
    load_plant_file,
    set_level,
)
from otm.services.plantfile import PlantFileError
from otm.store import SqlStore, StoreError

console = Console()
err = Console(stderr=True, soft_wrap=True)  # one line an error, never wrapped

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
    ),
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table or json.")]
FileArgument = Annotated[Path, typer.Argument(help="An otm.plant/1 YAML file.")]

CLEAR_WORDS = ("auto", "clear", "none", "inferred")
"""Level words that remove an override (the level is inferred again)."""


def register(app: typer.Typer) -> None:
    """Add the plant-map commands to ``app`` (the ``otm`` application)."""
    plant = typer.Typer(
        help="The plant file: zones, conduits, processes, levels, tags, names.",
        no_args_is_help=True,
    )
    plant.command("load")(plant_load)
    plant.command("export")(plant_export)
    app.add_typer(plant, name="plant")

    zones = typer.Typer(help="Zones, their members, conduits and level skips.")
    zones.callback(invoke_without_command=True)(zones_show)
    zones.command("load")(zones_load)
    app.add_typer(zones, name="zones")

    processes = typer.Typer(help="The ISA-95 process tree and which assets run each process.")
    processes.callback(invoke_without_command=True)(processes_show)
    processes.command("load")(processes_load)
    app.add_typer(processes, name="processes")

    app.command("levels")(levels_show)
    level = typer.Typer(help="Override Purdue levels.", no_args_is_help=True)
    level.command("set")(level_set)
    app.add_typer(level, name="level")

    app.command("impact")(impact_cmd)
    app.command("exposure")(exposure_cmd)


# -- errors and the store -----------------------------------------------------


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


@contextmanager
def _store(db: str | None) -> Iterator[SqlStore]:
    """The database, with every error the user can act on turned into a clean exit."""
    try:
        store = open_store(db)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    try:
        yield store
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    except PlantFileError as exc:
        for line in str(exc).splitlines():
            err.print(f"[bold red]error:[/] {escape(line)}")
        raise typer.Exit(1) from None
    except PlantError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        raise _fail(f"unknown format {fmt!r}: use table or json")


def _json(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


# -- loading ------------------------------------------------------------------


def plant_load(file: FileArgument, db: DbOption = None) -> None:
    """Load a whole plant file: replaces zones, conduits, processes, levels, tags and names."""
    _load(file, db, None)


def zones_load(file: FileArgument, db: DbOption = None) -> None:
    """Load only the zones (and conduits, if the file has them) of a plant file; the
    stored processes and the rest are kept."""
    _load(file, db, "zones")


def processes_load(file: FileArgument, db: DbOption = None) -> None:
    """Load only the processes of a plant file (stored zones and the rest are kept)."""
    _load(file, db, "processes")


def _load(file: Path, db: str | None, only: str | None) -> None:
    with _store(db) as store:
        result = load_plant_file(store, file, only)
    _print_loaded(result)


def _print_loaded(result: LoadResult) -> None:
    what = ", ".join(f"{result.counts[s]} {s}" for s in result.sections)
    console.print(f"loaded {escape(result.source)}: {what}")
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")


def plant_export(
    db: DbOption = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default stdout).")] = None,
) -> None:
    """Write the stored plant configuration as an otm.plant/1 YAML file."""
    with _store(db) as store:
        text = export_plant(store)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


# -- levels -------------------------------------------------------------------


def levels_show(db: DbOption = None, format: FormatOption = "table") -> None:
    """Every asset's Purdue level, whether declared or inferred, and why."""
    _check_format(format)
    with _store(db) as store:
        rows = plantdocs.levels_doc(current_view(store))
    if format == "json":
        _json(rows)
        return
    table = Table(title=f"Purdue levels ({len(rows)} assets)")
    for col in ("level", "asset", "role", "zone", "source", "reason"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            escape(r["level"]),
            _who(r),
            *_cells(r["role"], r["zone"] or "", r["source"], r["reason"]),
        )
    console.print(table)


def level_set(
    asset: Annotated[str, typer.Argument(help="Asset id, IP, MAC, name, or a selector.")],
    level: Annotated[
        str, typer.Argument(help="0, 1, 2, 3, 3.5, 4, 5 or a name (dmz...); auto removes it.")
    ],
    db: DbOption = None,
) -> None:
    """Override the Purdue level of an asset (or of every asset a selector names)."""
    with _store(db) as store:
        change = set_level(store, asset, None if level.lower() in CLEAR_WORDS else level)
    if change.level is None:
        console.print(f"removed the level override {escape(str(change.selector))}")
    else:
        console.print(f"level {change.level.value} for {escape(str(change.selector))}")
    for asset_id, name, now in change.assets:
        console.print(
            f"  {escape(name)} ({escape(asset_id)}): level {now.level.value} ({escape(now.reason)})"
        )


# -- zones and processes ------------------------------------------------------


def zones_show(ctx: typer.Context, db: DbOption = None, format: FormatOption = "table") -> None:
    """Zones with their members, the conduits between them, and links that skip levels."""
    if ctx.invoked_subcommand is not None:
        return
    _check_format(format)
    with _store(db) as store:
        doc = plantdocs.zones_doc(current_view(store))
    if format == "json":
        _json(doc)
        return
    zones = Table(title=f"Zones ({len(doc['zones'])})")
    for col in ("zone", "level", "trust", "source", "members", "description"):
        zones.add_column(col, overflow="fold")
    for z in doc["zones"]:
        zones.add_row(
            *_cells(
                z["name"],
                z["level"] or "",
                f"{z['trust']:g}",
                z["source"],
                str(len(z["members"])),
                z["description"],
            )
        )
    console.print(zones)
    members = Table(title="Members")
    for col in ("zone", "asset", "level", "source", "why"):
        members.add_column(col, overflow="fold")
    for z in doc["zones"]:
        for m in z["members"]:
            members.add_row(
                escape(z["name"]), _who(m), *_cells(m["level"] or "", m["source"], m["reason"])
            )
    console.print(members)
    conduits = Table(title=f"Conduits ({len(doc['conduits'])})")
    for col in ("from zone", "to zone", "protocols", "links", "operations", "policy"):
        conduits.add_column(col, overflow="fold")
    denied: list[dict[str, Any]] = []
    for c in doc["conduits"]:
        ops = ", ".join(f"{k} {v}" for k, v in c["operations"].items())
        policy = c["policy"] or ""
        if c["policy"] == "partly allowed":
            policy += f" ({len(c['disallowed'])} of {c['links']} links not)"
        denied.extend({**d, "zones": f"{c['from']} -> {c['to']}"} for d in c["disallowed"])
        conduits.add_row(
            *_cells(c["from"], c["to"], ", ".join(c["protocols"]), str(c["links"]), ops, policy)
        )
    console.print(conduits)
    if denied:
        table = Table(title=f"Links no declared conduit allows ({len(denied)})")
        for col in ("zones", "client", "server", "protocol"):
            table.add_column(col, overflow="fold")
        for d in denied:
            table.add_row(
                *_cells(
                    d["zones"], d["client_name"], d["server_name"], f"{d['protocol']} {d['port']}"
                )
            )
        console.print(table)
    skips = Table(title=f"Links that skip Purdue levels ({len(doc['level_skips'])})")
    for col in ("client", "server", "protocol", "levels", "reason"):
        skips.add_column(col, overflow="fold")
    for s in doc["level_skips"]:
        skips.add_row(
            *_cells(
                s["client_name"],
                s["server_name"],
                f"{s['protocol']} {s['port']}",
                f"{s['client_level']} -> {s['server_level']}",
                s["reason"],
            )
        )
    console.print(skips)


def processes_show(ctx: typer.Context, db: DbOption = None, format: FormatOption = "table") -> None:
    """The process tree with every attached asset, declared or inferred, and why."""
    if ctx.invoked_subcommand is not None:
        return
    _check_format(format)
    with _store(db) as store:
        doc = plantdocs.processes_doc(current_view(store).plant)
    if format == "json":
        _json(doc)
        return
    if not doc:
        console.print("no processes declared: load them with `otm processes load FILE`")
        return
    tree = Tree("[bold]Processes[/]")
    _grow(tree, doc)
    console.print(tree)


def _grow(branch: Tree, nodes: list[dict[str, Any]]) -> None:
    for node in nodes:
        crit = f", criticality {node['criticality']}" if node["declared"] else ""
        sub = branch.add(f"[bold]{escape(node['name'])}[/] ({node['kind']}{crit})")
        for a in node["assets"]:
            via = f" via {' -> '.join(a['via'])}" if a["via"] else ""
            sub.add(
                f"{escape(a['name'])} [dim]{a['source']}: {escape(a['reason'])}{escape(via)}[/]"
            )
        _grow(sub, node["children"])


# -- impact and exposure --------------------------------------------------------


def impact_cmd(
    asset: Annotated[str, typer.Argument(help="Asset id, IP, MAC or name.")],
    isolate: Annotated[
        bool, typer.Option("--isolate", help="Cut it from the network instead of stopping it.")
    ] = False,
    db: DbOption = None,
    format: FormatOption = "table",
) -> None:
    """Which processes and assets are hit if ASSET fails (or is isolated), and by which path."""
    _check_format(format)
    with _store(db) as store:
        _view, report = impact_of(store, asset, "isolate" if isolate else "fail")
    doc = plantdocs.impact_doc(report)
    if format == "json":
        _json(doc)
        return
    what = "is isolated" if isolate else "fails"
    console.print(f"[bold]If {escape(doc['name'])} {what}[/] ({escape(doc['asset'])})")
    procs = Table(title=f"Processes hit ({len(doc['processes'])}), most critical first")
    for col in ("process", "criticality", "kind", "through", "dependency path"):
        procs.add_column(col, overflow="fold")
    for p in doc["processes"]:
        procs.add_row(
            *_cells(
                p["process"],
                str(p["criticality"]),
                p["kind"],
                f"{p['names'][-1]} ({p['source']})",
                _path(p["names"]),
            )
        )
    console.print(procs)
    assets = Table(title=f"Assets affected ({len(doc['assets'])})")
    for col in ("asset", "kind", "dependency path"):
        assets.add_column(col, overflow="fold")
    for a in doc["assets"]:
        assets.add_row(_who(a), *_cells(a["kind"], _path(a["names"])))
    console.print(assets)


def exposure_cmd(
    asset: Annotated[str, typer.Argument(help="Asset id, IP, MAC or name.")],
    max_paths: Annotated[int, typer.Option("--max-paths", min=1, help="Paths shown.")] = 50,
    db: DbOption = None,
    format: FormatOption = "table",
) -> None:
    """Every path by which ASSET can be reached from a less-trusted zone, shortest first."""
    _check_format(format)
    with _store(db) as store:
        _view, report = exposure_of(store, asset, max_paths)
    doc = plantdocs.exposure_doc(report)
    if format == "json":
        _json(doc)
        return
    console.print(
        f"[bold]Exposure of {escape(doc['name'])}[/] ({escape(doc['asset'])}), "
        f"zone {escape(doc['zone'])} (trust {doc['trust']:g})"
    )
    zones = ", ".join(f"{z} {n}" for z, n in doc["sources_by_zone"].items())
    console.print(
        f"{doc['sources']} assets of less-trusted zones reach it"
        + (f": {escape(zones)}" if zones else "")
    )
    more = ", more not shown" if doc["truncated"] else ""
    table = Table(title=f"Paths ({len(doc['paths'])}{more})")
    for col in ("from", "zone", "hops", "path"):
        table.add_column(col, overflow="fold")
    for p in doc["paths"]:
        table.add_row(*_cells(p["names"][0], p["zone"], str(len(p["hops"])), _hops(p["hops"])))
    console.print(table)


# -- small helpers ----------------------------------------------------------------


def _cells(*texts: str) -> list[str]:
    """Table cells from data: a device's name may hold brackets rich reads as markup."""
    return [escape(t) for t in texts]


def _who(row: dict[str, Any]) -> str:
    """An asset cell: its name, and its id beneath when they differ."""
    name, asset = escape(row["name"]), escape(row["asset"])
    return name if row["name"] == row["asset"] else f"{name}\n[dim]{asset}[/]"


def _path(names: list[str]) -> str:
    return " -> ".join(names)


def _hops(hops: list[dict[str, Any]]) -> str:
    if not hops:
        return ""
    out = str(hops[0]["from"])
    for h in hops:
        out += f" -[{'/'.join(h['protocols'])}]-> {h['to']}"
    return out
