"""Which database the faces use: ``--db``, else ``$OTM_DB``, else ``otm.db`` here."""

from __future__ import annotations

import os

from otm.store.monitoring import MonitoringStore

DEFAULT_DB = "otm.db"


def database_url(explicit: str | None = None) -> str:
    """The database URL or path to use, by precedence."""
    return explicit or os.environ.get("OTM_DB") or DEFAULT_DB


def open_store(explicit: str | None = None) -> MonitoringStore:
    """Open (creating and migrating if needed) the database: inventory and monitoring."""
    return MonitoringStore(database_url(explicit))
