"""Database URLs and engines: SQLite by default, PostgreSQL at scale, same code.

Accepted forms of the location of a database:

* a plain file path (``otm.db``, ``/var/lib/otm/otm.db``) or
  ``sqlite:///relative/path`` / ``sqlite:////absolute/path``: an SQLite file;
  ``sqlite://`` alone is a private in-memory database (tests);
* ``postgresql://user:pw@host:port/db`` or ``postgres://...``: PostgreSQL
  through psycopg 3 (rewritten to ``postgresql+psycopg://``);
  ``postgresql+psycopg://`` is taken as is.

SQLite connections are set up for one writer and many readers on a local
disk: WAL journal (readers never block the writer), ``synchronous=NORMAL``
(with WAL a power cut may lose the last commits but never corrupts the
file), foreign keys enforced, and a busy timeout so that a second process
waits for the writer instead of failing at once.  Python's ``sqlite3``
would not begin a transaction before DDL or SELECT (its legacy mode), so
the engine emits ``BEGIN`` itself: migrations are atomic and reads see one
snapshot.  Connections asking to write (execution option ``WRITE``) begin
with ``BEGIN IMMEDIATE``, taking the write lock up front, so that a
read-then-write transaction waits for another writer instead of failing
with a stale snapshot.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from otm.store.errors import StoreError

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long an SQLite connection waits for another process's write lock.

Storing a capture of 100k observations holds the lock for a few seconds;
30 s covers several such writers queued behind each other.
"""

PG_CONNECT_TIMEOUT_S = 10
"""How long to wait for a PostgreSQL server before calling it unreachable."""

WRITE = "otm_write"
"""Execution option marking a connection that will write (SQLite: BEGIN IMMEDIATE)."""

_PG_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite"}


def database_url(location: str | os.PathLike[str]) -> URL:
    """The SQLAlchemy URL of a database location (see the module docstring).

    Raises ``StoreError`` for a URL of a database otm does not support.
    """
    text = os.fspath(location)
    if "://" not in text:
        if not text:
            raise StoreError("no database location given")
        return URL.create("sqlite+pysqlite", database=text)
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {text!r}") from exc
    if url.drivername in _PG_SCHEMES:
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in _SQLITE_SCHEMES:
        return url.set(drivername="sqlite+pysqlite")
    raise StoreError(
        f"unsupported database {url.drivername!r} in {display(url)}: "
        "use an SQLite file path or a postgresql:// URL"
    )


def display(url: URL) -> str:
    """The URL for messages, with any password hidden."""
    return url.render_as_string(hide_password=True)


def is_sqlite(url: URL) -> bool:
    """Whether the URL names an SQLite database."""
    return url.get_backend_name() == "sqlite"


def create_engine(url: URL) -> Engine:
    """An engine for the URL, with the connection set-up described above."""
    if is_sqlite(url):
        return _sqlite_engine(url)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    # Pooled connections move between threads (one at a time), which
    # sqlite3 allows once its same-thread check is off.
    connect_args: dict[str, Any] = {"check_same_thread": False}
    engine = (
        sa.create_engine(url, connect_args=connect_args, poolclass=StaticPool)
        if in_memory
        else sa.create_engine(url, connect_args=connect_args)
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
            if not in_memory:
                # A read-only file already in WAL mode answers without writing.
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
