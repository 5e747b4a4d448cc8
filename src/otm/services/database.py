"""Which database the faces use: ``--db``, else ``$OTM_DB``, else ``otm.db`` here."""

from __future__ import annotations

import os

from otm.store.combined import Store

DEFAULT_DB = "otm.db"


def database_url(explicit: str | None = None) -> str:
    """The database URL or path to use, by precedence."""
    return explicit or os.environ.get("OTM_DB") or DEFAULT_DB


def open_store(explicit: str | None = None) -> Store:
    """Open (creating and migrating if needed) the database: every table of it."""
    return Store(database_url(explicit))
