"""``otm hints``: exposure hints of the inventory, each with the reason to check it by.

A thin face over ``otm.services.hints``; ``register(app)`` adds::

    otm hints [--asset ID|IP|NAME] [--kind firmware-behind|no-authentication|
              enterprise-reachable ...] [--min-severity low|medium|high] [--format table|json]

Database selection and error habits are those of ``otm.cli.app``: a bad
option or an unknown asset prints one line and exits 1, a database error
exits 2; text from devices (names, models, firmware) is escaped before rich
renders it.
"""

from __future__ import annotations

import json
import sys
from contextlib import closing
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otm.services import hints as service
from otm.services.database import open_store
from otm.store import StoreError
from otm.vulns.exposure import Hint, HintKind

console = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
    ),
]

KINDS = ", ".join(k.value for k in HintKind)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def hints_cmd(
    db: DbOption = None,
    asset: Annotated[
        str | None, typer.Option("--asset", "-a", help="Only this asset (id, IP, MAC or name).")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", "-k", help=f"Only these kinds ({KINDS}); repeat.")
    ] = None,
    min_severity: Annotated[
        str, typer.Option("--min-severity", help="low, medium or high.")
    ] = "low",
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Exposure hints: firmware behind the newest seen on the same product, protocols
    without authentication a device serves, devices the enterprise side reaches."""
    if format not in ("table", "json"):
        raise _fail(f"unknown format {format!r}: use table or json")
    try:
        kinds = service.parse_kinds(kind or [])
        minimum = service.parse_severity(min_severity)
    except service.HintsError as exc:
        raise _fail(str(exc)) from None
    try:
        store = open_store(db)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    with closing(store):
        try:
            report = service.find_hints(store, asset, kinds, minimum)
        except service.HintsError as exc:
            raise _fail(str(exc)) from None
        except StoreError as exc:
            raise _fail(str(exc), 2) from None
    if format == "json":
        doc = service.report_doc(report)
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return
    if not report.hints:
        console.print(f"no exposure hint ({report.assets} assets judged)")
        return
    console.print(hints_table(report.hints, report.names, report.assets))


def hints_table(hints: list[Hint], names: dict[str, str], assets: int | None = None) -> Table:
    """The hints as a table (``otm hints``, and an asset's in ``otm show``)."""
    devices = len({h.asset for h in hints})
    title = f"Exposure hints: {len(hints)} on {devices} asset{'s' if devices != 1 else ''}"
    if assets is not None:
        title += f" ({assets} judged)"
    table = Table(title=title)
    table.add_column("severity", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("asset", overflow="fold")
    table.add_column("reason", overflow="fold", ratio=1)
    for h in hints:
        name = names.get(h.asset)
        who = h.label if not name or name == h.address else f"{name} ({h.label})"
        table.add_row(h.severity.value, h.kind.value, escape(who), escape(h.reason))
    return table


def register(app: typer.Typer) -> None:
    """Add ``otm hints`` to ``app``."""
    app.command(name="hints")(hints_cmd)
