"""``VulnStore``: the CSAF advisories a user imported, one row an advisory id.

The store keeps documents, not their meaning: a row holds the advisory's
JSON text as it was imported and the tracking facts copied out of it
(``StoredAdvisory``); parsing and matching are ``otm.vulns``'s, which the
store does not import (they are siblings in the layers).  Which of two
revisions of one advisory is newer is the caller's rule too, handed to
``put_advisory``, which applies it inside the write transaction so that two
imports of the same id at once cannot both win.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from otm.store import schema as t
from otm.store.errors import StoreError
from otm.store.repository import SqlStore


class PutOutcome(StrEnum):
    """What importing one advisory did."""

    IMPORTED = "imported"  # the id was new
    UPDATED = "updated"  # a newer revision replaced the stored one
    UNCHANGED = "unchanged"  # the same revision, byte for byte
    KEPT = "kept"  # the stored revision is newer, or the same with other bytes


@dataclass(frozen=True)
class StoredAdvisory:
    """An advisory row: tracking facts, where it came from, and (when loaded) its text."""

    id: str
    title: str
    publisher: str
    revision: str
    initial_release: float
    current_release: float
    vulnerabilities: int
    products: int
    cves: tuple[str, ...]
    source: str
    sha256: str
    imported_at: float
    body: str = ""


Newer = Callable[[StoredAdvisory, StoredAdvisory], bool]
"""newer(candidate, stored): whether the candidate is a later revision than the stored one."""

_SUMMARY = tuple(c for c in t.vuln_advisories.c if c.name != "body")


class VulnStore(SqlStore):
    """``SqlStore`` plus the imported advisories (see the module)."""

    def put_advisory(self, advisory: StoredAdvisory, newer: Newer) -> PutOutcome:
        """Store an advisory unless the same or a later revision is stored already."""
        a = t.vuln_advisories.c
        with self._write("store an advisory", "vulns") as conn:
            self._changed(conn, "vulns")
            row = conn.execute(sa.select(t.vuln_advisories).where(a.id == advisory.id)).first()
            values = _values(advisory)
            if row is None:
                conn.execute(t.vuln_advisories.insert().values(**values))
                return PutOutcome.IMPORTED
            stored = _advisory(row._mapping)
            if newer(advisory, stored):
                conn.execute(t.vuln_advisories.update().where(a.id == advisory.id).values(**values))
                return PutOutcome.UPDATED
            if stored.sha256 == advisory.sha256:
                return PutOutcome.UNCHANGED
            return PutOutcome.KEPT

    def advisories(self, with_body: bool = False) -> list[StoredAdvisory]:
        """Every stored advisory by id; its JSON text too when asked."""
        table = t.vuln_advisories
        columns = list(table.c) if with_body else list(_SUMMARY)
        with self._read("read the advisories") as conn:
            rows = conn.execute(sa.select(*columns).order_by(table.c.id)).all()
        return [_advisory(row._mapping) for row in rows]

    def advisory(self, advisory_id: str) -> StoredAdvisory | None:
        """One advisory with its text, by id (case-insensitive), or None."""
        a = t.vuln_advisories.c
        with self._read("read an advisory") as conn:
            row = conn.execute(
                sa.select(t.vuln_advisories).where(sa.func.lower(a.id) == advisory_id.lower())
            ).first()
        return None if row is None else _advisory(row._mapping)

    def delete_advisory(self, advisory_id: str) -> bool:
        """Remove an advisory (id case-insensitive); whether there was one."""
        a = t.vuln_advisories.c
        with self._write("remove an advisory", "vulns") as conn:
            self._changed(conn, "vulns")
            done = conn.execute(
                t.vuln_advisories.delete().where(sa.func.lower(a.id) == advisory_id.lower())
            )
        return bool(done.rowcount)


def _values(advisory: StoredAdvisory) -> dict[str, Any]:
    return {
        "id": advisory.id,
        "title": advisory.title,
        "publisher": advisory.publisher,
        "revision": advisory.revision,
        "initial_release": advisory.initial_release,
        "current_release": advisory.current_release,
        "vulnerabilities": advisory.vulnerabilities,
        "products": advisory.products,
        "cves": json.dumps(list(advisory.cves), separators=(",", ":")),
        "source": advisory.source,
        "sha256": advisory.sha256,
        "imported_at": advisory.imported_at,
        "body": advisory.body,
    }


def _advisory(row: Any) -> StoredAdvisory:
    try:
        cves = json.loads(row["cves"])
        if not isinstance(cves, list) or not all(isinstance(c, str) for c in cves):
            raise ValueError("not a list of strings")
    except ValueError as exc:
        raise StoreError(f"advisory {row['id']}: stored CVE list is corrupt ({exc})") from exc
    return StoredAdvisory(
        id=row["id"],
        title=row["title"],
        publisher=row["publisher"],
        revision=row["revision"],
        initial_release=float(row["initial_release"]),
        current_release=float(row["current_release"]),
        vulnerabilities=int(row["vulnerabilities"]),
        products=int(row["products"]),
        cves=tuple(cves),
        source=row["source"],
        sha256=row["sha256"],
        imported_at=float(row["imported_at"]),
        body=row.get("body", "") or "",
    )
