"""The historian's connection to the store's database: open, migrate, read and write transactions.

The historian shares the store's database (same URL, same migrations) and
its connection set-up (``otm.store.engine``); it keeps its own engine so
that its bulk writes never wait on an inventory repository's pool.  On
SQLite it asks for a larger page cache: samples arrive for every tag at
once, so each write touches one leaf page per tag of the clustered
``(tag_id, time_us)`` key, and with the default 2 MB cache 1,000 tags
already evict each other's pages between batches (measured with
``bench/historian.py``: see ``SQLITE_CACHE_KIB``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from otm.store.engine import WRITE, create_engine, database_url, display, is_sqlite
from otm.store.errors import translated
from otm.store.migration import upgrade

SQLITE_CACHE_KIB = 65_536
"""SQLite page cache per connection (64 MiB): the hot leaf pages of some 10,000 tags."""

LOCK = "otm:historian"
"""PostgreSQL advisory lock name serialising the historian's writers."""


class Database:
    """An engine on the store's database, migrated to the newest schema on opening."""

    def __init__(self, url: str | os.PathLike[str]) -> None:
        self.url = database_url(url)
        self.where = display(self.url)
        self.sqlite = is_sqlite(self.url)
        self.engine: Engine = create_engine(self.url)
        if self.sqlite:
            event.listen(self.engine, "connect", _sqlite_cache)
        try:
            with translated("open the database", self.where):
                self.revision = upgrade(self.engine, self.where)
        except BaseException:
            self.engine.dispose()
            raise

    @contextmanager
    def write(self, action: str) -> Iterator[Connection]:
        """One write transaction (``StoreError`` on failure, rolled back).

        SQLite takes its write lock up front (``BEGIN IMMEDIATE``); on
        PostgreSQL a transaction-scoped advisory lock serialises the
        historian's writers, so that the check for already stored samples
        and the insert that follows it see the same table.
        """
        with translated(action, self.where), self.engine.connect() as conn:
            conn.execution_options(**{WRITE: True})  # in place, for the begin event
            with conn.begin():
                if not self.sqlite:
                    name = sa.literal(LOCK, sa.Text)
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(name))))
                yield conn

    @contextmanager
    def read(self, action: str) -> Iterator[Connection]:
        """One read transaction seeing a single state of the database."""
        with translated(action, self.where), self.engine.connect() as conn:
            if not self.sqlite:
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


def _sqlite_cache(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    finally:
        cursor.close()
