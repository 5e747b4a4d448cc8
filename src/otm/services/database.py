"""Which database the faces use: ``--db``, else ``$OTM_DB``, else ``otm.db`` here."""

from __future__ import annotations

import os

from otm.store import SqlStore

DEFAULT_DB = "otm.db"


def database_url(explicit: str | None = None) -> str:
    """The database URL or path to use, by precedence."""
    return explicit or os.environ.get("OTM_DB") or DEFAULT_DB


def open_store(explicit: str | None = None) -> SqlStore:
    """Open (creating and migrating if needed) the inventory database."""
    return SqlStore(database_url(explicit))
