"""Use cases of known vulnerabilities: import CSAF advisories, list them, match the inventory.

Importing reads files the user brings (the plant is air-gapped: nothing is
fetched), one report a file: ``imported`` (a new advisory id),
``updated`` (a newer revision replaced the stored one), ``unchanged`` (the
same revision, byte for byte), ``kept`` (the stored revision is newer, or
the same revision came with other bytes: CSAF requires a new revision for
any change, so the stored one stands) or ``rejected`` (not a readable CSAF
advisory; the reason names the JSON path).  Importing the same files twice
changes nothing.

Matching loads the inventory snapshot and every stored advisory, and asks
``otm.vulns.matching`` which devices and modules each advisory affects.
The documents shown (``match_doc``, ``MATCH_CSV_COLUMNS``) are the JSON and
CSV shapes of ``otm vulns``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from otm.store.vulns import PutOutcome, StoredAdvisory, VulnStore
from otm.vulns.csaf import MAX_DOCUMENT_BYTES, CsafError, parse_advisory, revision_key
from otm.vulns.matching import Confidence, Match, Matcher
from otm.vulns.records import Advisory

SCHEMA = "otm.vulns/1"
"""The JSON document of ``otm vulns --format json``."""

REJECTED = "rejected"


class VulnsError(ValueError):
    """A request that cannot be served as asked (unknown asset, bad option)."""


@dataclass(frozen=True)
class FileReport:
    """What importing one file did."""

    path: str
    outcome: str
    advisory_id: str | None = None
    revision: str | None = None
    reason: str = ""
    warnings: tuple[str, ...] = ()


def advisory_files(paths: Sequence[Path]) -> tuple[list[Path], list[FileReport]]:
    """Files to import (a directory gives its ``*.json``, recursively, sorted) and
    reports for paths that are neither file nor directory."""
    files: list[Path] = []
    missing: list[FileReport] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(FileReport(str(path), REJECTED, reason="no such file or directory"))
    return files, missing


def newer(candidate: StoredAdvisory, stored: StoredAdvisory) -> bool:
    """Whether ``candidate`` is a later revision: tracking version, then release date."""
    a, b = revision_key(candidate.revision), revision_key(stored.revision)
    if a is None or b is None:
        return candidate.current_release > stored.current_release
    return (a, candidate.current_release) > (b, stored.current_release)


def _row(advisory: Advisory, text: str, sha256: str, source: str, now: float) -> StoredAdvisory:
    return StoredAdvisory(
        id=advisory.id,
        title=advisory.title,
        publisher=advisory.publisher,
        revision=advisory.revision,
        initial_release=advisory.initial_release,
        current_release=advisory.current_release,
        vulnerabilities=len(advisory.vulnerabilities),
        products=len(advisory.products),
        cves=tuple(advisory.cves),
        source=source,
        sha256=sha256,
        imported_at=now,
        body=text,
    )


def import_file(store: VulnStore, path: Path, now: float) -> FileReport:
    """Import one file (see the module docstring); database failures raise ``StoreError``."""
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            return FileReport(
                str(path), REJECTED, reason=f"larger than {MAX_DOCUMENT_BYTES // 2**20} MiB"
            )
        data = path.read_bytes()
    except OSError as exc:
        return FileReport(str(path), REJECTED, reason=f"cannot read: {exc.strerror or exc}")
    try:
        advisory = parse_advisory(data, path.name)
    except CsafError as exc:
        return FileReport(str(path), REJECTED, reason=f"{exc.path}: {exc.message}")
    text = data.decode("utf-8-sig")
    row = _row(advisory, text, hashlib.sha256(data).hexdigest(), str(path), now)
    outcome = store.put_advisory(row, newer)
    reason = ""
    if outcome in (PutOutcome.KEPT, PutOutcome.UPDATED):
        reason = _why(outcome, row, store.advisory(advisory.id))
    return FileReport(
        str(path), outcome.value, advisory.id, advisory.revision, reason, advisory.warnings
    )


def _why(outcome: PutOutcome, row: StoredAdvisory, stored: StoredAdvisory | None) -> str:
    if outcome is PutOutcome.UPDATED:
        return f"now revision {row.revision} of {_date(row.current_release)}"
    if stored is None:
        return ""
    if stored.revision == row.revision:
        return (
            f"revision {row.revision} is stored already with other content; "
            "the stored one is kept (a change needs a new revision)"
        )
    return f"the stored revision {stored.revision} of {_date(stored.current_release)} is newer"


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def import_paths(store: VulnStore, paths: Sequence[Path], now: float) -> list[FileReport]:
    """Import every advisory file under ``paths``; one report a file, in order."""
    files, reports = advisory_files(paths)
    reports.extend(import_file(store, path, now) for path in files)
    return reports


@dataclass
class Loaded:
    """The stored advisories, parsed, and those that would not parse any more."""

    advisories: list[Advisory] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_advisories(store: VulnStore) -> Loaded:
    """Parse every stored advisory (a document that no longer parses is reported)."""
    loaded = Loaded()
    for row in store.advisories(with_body=True):
        try:
            loaded.advisories.append(parse_advisory(row.body, f"stored advisory {row.id}"))
        except CsafError as exc:
            loaded.problems.append(str(exc))
    return loaded


@dataclass
class VulnReport:
    """Matches of the inventory, and what they were computed from."""

    matches: list[Match]
    advisories: int
    assets: int
    problems: list[str]


def parse_confidence(text: str) -> Confidence:
    """``low``, ``medium`` or ``high``; ``VulnsError`` otherwise."""
    try:
        return Confidence(text.strip().lower())
    except ValueError:
        raise VulnsError(f"{text!r} is not a confidence (low, medium, high)") from None


def find_matches(
    store: VulnStore, asset: str | None = None, minimum: Confidence = Confidence.LOW
) -> VulnReport:
    """Devices of the inventory affected by stored advisories (one asset if named)."""
    loaded = load_advisories(store)
    inventory = store.load_inventory()
    if asset is not None:
        found = inventory.find(asset)
        if found is None:
            raise VulnsError(f"no asset {asset!r} in the inventory (an id, IP or MAC address)")
        assets = [found]
    else:
        assets = list(inventory.assets.values())
    matches = Matcher(loaded.advisories).match_assets(assets, minimum)
    return VulnReport(matches, len(loaded.advisories), len(assets), loaded.problems)


# -- documents --------------------------------------------------------------------


def match_doc(m: Match) -> dict[str, Any]:
    """One match in the ``otm.vulns/1`` shape: everything, full text."""
    s = m.subject
    top = m.max_score
    return {
        "asset": s.asset_id,
        "component": s.component,
        "address": s.address,
        "vendor": s.vendor,
        "vendor_source": None if s.vendor_source is None else s.vendor_source.value,
        "model": s.model,
        "order_number": s.order_number,
        "firmware": s.firmware,
        "advisory": {
            "id": m.advisory_id,
            "title": m.advisory_title,
            "revision": m.advisory_revision,
            "url": m.advisory_url,
        },
        "product": {
            "id": m.product.product_id,
            "name": m.product.name,
            "vendor": m.product.vendor,
            "version": m.product.version_text,
        },
        "confidence": m.confidence.value,
        "reason": m.reason,
        "identified_by": m.identified,
        "version": m.version,
        "cves": m.cves,
        "cvss": None
        if top is None
        else {
            "version": top.version,
            "score": top.base_score,
            "severity": top.severity,
            "vector": top.vector,
        },
        "vulnerabilities": [
            {
                "cve": v.cve,
                "title": v.title,
                "cwe": None if v.cwe is None else {"id": v.cwe[0], "name": v.cwe[1]},
                "cvss": None
                if v.score is None
                else {
                    "version": v.score.version,
                    "score": v.score.base_score,
                    "severity": v.score.severity,
                    "vector": v.score.vector,
                },
                "summary": v.summary,
                "confidence": v.confidence.value,
            }
            for v in m.vulnerabilities
        ],
        "remediations": [
            {"category": r.category.value, "details": r.details, "url": r.url}
            for r in m.remediations
        ],
    }


def report_doc(report: VulnReport) -> dict[str, Any]:
    """The ``otm.vulns/1`` document."""
    return {
        "schema": SCHEMA,
        "advisories": report.advisories,
        "assets": report.assets,
        "matches": [match_doc(m) for m in report.matches],
        "problems": report.problems,
    }


MATCH_CSV_COLUMNS = (
    "asset",
    "component",
    "address",
    "vendor",
    "model",
    "firmware",
    "advisory",
    "title",
    "cves",
    "cvss",
    "severity",
    "confidence",
    "product",
    "reason",
    "remediations",
)


def match_row(m: Match) -> dict[str, str]:
    """One match as a CSV row (lists joined; remediations as ``category: details``)."""
    s = m.subject
    top = m.max_score
    return {
        "asset": s.asset_id,
        "component": s.component or "",
        "address": s.address,
        "vendor": s.vendor or "",
        "model": s.model or "",
        "firmware": s.firmware or "",
        "advisory": m.advisory_id,
        "title": m.advisory_title,
        "cves": " ".join(m.cves),
        "cvss": "" if top is None else f"{top.base_score:g}",
        "severity": "" if top is None else top.severity,
        "confidence": m.confidence.value,
        "product": m.product.label,
        "reason": m.reason,
        "remediations": " | ".join(f"{r.category.value}: {r.details}" for r in m.remediations),
    }


def advisory_doc(a: StoredAdvisory) -> dict[str, Any]:
    """A stored advisory for ``otm vulns advisories --format json``."""
    return {
        "id": a.id,
        "title": a.title,
        "publisher": a.publisher,
        "revision": a.revision,
        "initial_release": _iso(a.initial_release),
        "current_release": _iso(a.current_release),
        "vulnerabilities": a.vulnerabilities,
        "products": a.products,
        "cves": list(a.cves),
        "source": a.source,
        "imported_at": _iso(a.imported_at),
    }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
