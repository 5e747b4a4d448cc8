"""Persistence behind ``otm.model.repository``: SQLite by default, PostgreSQL at scale.

``SqlStore(url)`` opens (and migrates) a database; ``migrate(url)`` only
brings its schema to the newest revision; every database failure surfaces as
``StoreError`` with a message for a person.
"""

from __future__ import annotations

import os

from otm.store.engine import create_engine, database_url, display
from otm.store.errors import StoreError, translated
from otm.store.migration import head_revision, upgrade
from otm.store.repository import SqlStore

__all__ = ["SqlStore", "StoreError", "head_revision", "migrate"]


def migrate(url: str | os.PathLike[str]) -> str:
    """Bring the database at ``url`` to the newest schema; returns the revision.

    Creates an SQLite file that does not exist yet; an empty PostgreSQL
    database gets every table.
    """
    sa_url = database_url(url)
    where = display(sa_url)
    engine = create_engine(sa_url)
    try:
        with translated("migrate the database", where):
            return upgrade(engine, where)
    finally:
        engine.dispose()
