"""``otm vulns``: known vulnerabilities of the inventory, from CSAF advisories.

A thin face over ``otm.services.vulns``; ``register(app)`` adds::

    otm vulns import PATH... [--rules FILE]   CSAF JSON files or folders of them
    otm vulns [--asset ID|IP] [--min-confidence low|medium|high] [--format table|json|csv]
    otm vulns advisories [--format table|json]

Importing raises, updates and closes the vulnerability alerts
(``OTM-KNOWN-VULNERABILITY``, ``otm.services.vulns_alerts``); so do
``otm analyze`` and ``otm scan`` through ``alerts_line``.

Database selection and error habits are those of ``otm.cli.app``: a bad
option, an unknown asset or a rejected file prints one line and exits 1, a
database error exits 2; text from files and devices is escaped before rich
renders it.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from otm.detection import RuleError
from otm.services import vulns as service
from otm.services import vulns_alerts
from otm.services.database import open_store
from otm.services.detection import DetectionError, rules_in_force
from otm.store import StoreError
from otm.store.combined import Store
from otm.vulns.matching import Match

console = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
    ),
]

SHORT = 90
"""Characters of a remediation shown in the table (the JSON has all of it)."""


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def _store(db: str | None) -> Store:
    try:
        return open_store(db)
    except StoreError as exc:
        raise _fail(str(exc), 2) from None


def check_rules(rules_file: Path | None) -> None:
    """Read a site's rules file now (before a long scan), failing like ``alerts_line``."""
    try:
        vulns_alerts.policy_in_force(rules_in_force(rules_file))
    except (DetectionError, RuleError, service.VulnsError) as exc:
        raise _fail(str(exc)) from None


def alerts_line(store: Store, rules_file: Path | None = None) -> str | None:
    """Bring the vulnerability alerts up to date; what changed, in a line (None: nothing).

    A bad rules file or rule parameter prints one line and exits 1, a
    database error exits 2, like every command here.
    """
    try:
        rules = rules_in_force(rules_file)
        outcome = vulns_alerts.refresh_alerts(store, time.time(), rules)
    except (DetectionError, RuleError, service.VulnsError) as exc:
        raise _fail(str(exc)) from None
    except StoreError as exc:
        raise _fail(str(exc), 2) from None
    if not outcome.changed:
        return None
    return (
        f"vulnerability alerts: {outcome.new} new, {outcome.updated} updated, "
        f"{len(outcome.closed)} closed as resolved "
        f"(otm alerts list --rule {vulns_alerts.RULE_ID})"
    )


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise _fail(f"unknown format {fmt!r}: use {', '.join(allowed)}")


def _short(text: str, limit: int = SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- otm vulns import -------------------------------------------------------------


def vulns_import(
    paths: Annotated[list[Path], typer.Argument(help="CSAF 2.0 JSON files or folders of them.")],
    db: DbOption = None,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="A site's detection rules (otm.rules/1).")
    ] = None,
) -> None:
    """Import CISA/vendor CSAF advisories; a newer revision replaces an older one.
    Devices they affect are raised as alerts (OTM-KNOWN-VULNERABILITY)."""
    with closing(_store(db)) as store:
        try:
            reports = service.import_paths(store, paths, time.time())
        except StoreError as exc:
            raise _fail(str(exc), 2) from None
        raised = alerts_line(store, rules) if reports else None
    counts: dict[str, int] = {}
    for r in reports:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
        what = f"{r.advisory_id} rev {r.revision}" if r.advisory_id else ""
        line = f"{r.outcome:9} {r.path}"
        if what:
            line += f"  {what}"
        if r.reason:
            line += f"  ({r.reason})"
        if r.outcome == service.REJECTED:
            err.print(f"[bold red]rejected[/] {escape(r.path)}: {escape(r.reason)}")
        else:
            console.print(escape(line))
        for warning in r.warnings:
            err.print(f"[yellow]warning:[/] {escape(r.path)}: {escape(warning)}")
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
    console.print(escape(f"{len(reports)} files: {summary or 'none'}"))
    if raised:
        console.print(escape(raised))
    if not reports:
        raise _fail("no .json files found")
    if counts.get(service.REJECTED):
        raise typer.Exit(1)


# -- otm vulns advisories ---------------------------------------------------------


def vulns_advisories(
    db: DbOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """The imported advisories: id, revision, release date, CVEs, products."""
    _check_format(format, ("table", "json"))
    with closing(_store(db)) as store:
        try:
            rows = store.advisories()
        except StoreError as exc:
            raise _fail(str(exc), 2) from None
    docs = [service.advisory_doc(a) for a in rows]
    if format == "json":
        sys.stdout.write(json.dumps({"advisories": docs}, indent=2, ensure_ascii=False) + "\n")
        return
    if not docs:
        console.print("no advisories imported: otm vulns import PATH")
        return
    table = Table(title=f"Advisories ({len(docs)})")
    for col in ("id", "rev", "released", "vulns", "products", "title"):
        table.add_column(col, overflow="fold", no_wrap=col != "title")
    for d in docs:
        table.add_row(
            escape(d["id"]),
            escape(d["revision"]),
            d["current_release"][:10],
            str(d["vulnerabilities"]),
            str(d["products"]),
            escape(d["title"]),
        )
    console.print(table)


# -- otm vulns ---------------------------------------------------------------------


def vulns_list(
    db: str | None,
    asset: str | None,
    min_confidence: str,
    format: str,
) -> None:
    """Devices affected by imported advisories (the body of ``otm vulns``)."""
    _check_format(format, ("table", "json", "csv"))
    try:
        minimum = service.parse_confidence(min_confidence)
    except service.VulnsError as exc:
        raise _fail(str(exc)) from None
    with closing(_store(db)) as store:
        try:
            report = service.find_matches(store, asset, minimum)
        except service.VulnsError as exc:
            raise _fail(str(exc)) from None
        except StoreError as exc:
            raise _fail(str(exc), 2) from None
    for problem in report.problems:
        err.print(f"[yellow]warning:[/] {escape(problem)}")
    if format == "json":
        doc = service.report_doc(report)
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return
    if format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=service.MATCH_CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(service.match_row(m) for m in report.matches)
        return
    if report.advisories == 0:
        console.print("no advisories imported: otm vulns import PATH")
        return
    if not report.matches:
        console.print(
            f"no device matches the {report.advisories} advisories at {minimum.value} confidence "
            f"or above ({report.assets} assets checked)"
        )
        return
    _table(report.matches, report.advisories, report.assets)


def _table(matches: list[Match], advisories: int, assets: int) -> None:
    devices = len({(m.subject.asset_id, m.subject.component) for m in matches})
    table = Table(
        title=f"Known vulnerabilities: {len(matches)} matches on {devices} devices "
        f"({assets} assets, {advisories} advisories)"
    )
    columns = ("device", "identity", "advisory", "CVEs", "CVSS", "confidence", "why", "remediation")
    for col in columns:
        table.add_column(col, overflow="fold", no_wrap=col in ("advisory", "CVSS", "confidence"))
    for m in matches:
        s = m.subject
        top = m.max_score
        cves = m.cves
        shown = ", ".join(cves[:3]) + (f" +{len(cves) - 3}" if len(cves) > 3 else "")
        identity = " ".join(x for x in (s.vendor, s.model, s.firmware) if x)
        fix = m.remediations[0] if m.remediations else None
        remediation = f"{fix.category.value}: {_short(fix.details)}" if fix else "-"
        if len(m.remediations) > 1:
            remediation += f" (+{len(m.remediations) - 1})"
        table.add_row(
            escape(s.label),
            escape(identity),
            escape(m.advisory_id),
            escape(shown or "-"),
            "-" if top is None else f"{top.base_score:g} {top.severity.lower()}",
            m.confidence.value,
            escape(f"{m.product.label}: {m.identified}; {m.version}"),
            escape(remediation),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``otm vulns`` (list, import, advisories) to ``app``."""
    vulns = typer.Typer(
        help="Known vulnerabilities: import CSAF advisories, list affected devices.",
        invoke_without_command=True,
    )

    @vulns.callback()
    def _default(
        ctx: typer.Context,
        db: DbOption = None,
        asset: Annotated[
            str | None, typer.Option("--asset", "-a", help="Only this asset (id, IP or MAC).")
        ] = None,
        min_confidence: Annotated[
            str, typer.Option("--min-confidence", help="low, medium or high.")
        ] = "low",
        format: Annotated[
            str, typer.Option("--format", "-f", help="table, json or csv.")
        ] = "table",
    ) -> None:
        """Without a subcommand: the devices affected by imported advisories."""
        if ctx.invoked_subcommand is None:
            vulns_list(db, asset, min_confidence, format)

    vulns.command(name="import")(vulns_import)
    vulns.command(name="advisories")(vulns_advisories)
    app.add_typer(vulns, name="vulns")
