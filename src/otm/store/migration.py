"""Schema migrations, run in code: no alembic.ini and no current directory needed.

The Alembic scripts live in ``otm/store/migrations`` and ship inside the
package.  Opening a store brings its database to the newest revision; the
check comes first in a read-only transaction, so opening a current database
takes no write lock (and works on a read-only file).  An upgrade runs in
one write transaction on both backends (SQLite's DDL is transactional once
the engine emits BEGIN itself), so a failed upgrade leaves the old schema.

Refused, with a ``StoreError``:

* a database at a revision this otm does not know (written by a newer otm:
  guessing would corrupt it);
* a database that already holds tables but no otm revision (not ours).
"""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from otm.store.engine import WRITE
from otm.store.errors import StoreError

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
"""The Alembic script directory (env.py, versions/)."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code; ``connection`` is used by env.py."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this otm knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a revision
        raise StoreError("otm ships no schema migrations (broken install)")
    return head


def current_revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions recorded in the database (empty for a fresh one)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


_ALEMBIC = threading.Lock()
"""Alembic keeps its running migration context in module globals: two threads
upgrading at once (a monitor opening its store while the command line opens
another) corrupt each other's, so one process upgrades one database at a time."""


def upgrade(engine: Engine, where: str) -> str:
    """Bring the database to the newest revision; returns that revision.

    ``where`` names the database in messages.  Database failures propagate
    as SQLAlchemy errors for the caller to translate; refusals are raised as
    ``StoreError`` here.
    """
    script = ScriptDirectory.from_config(alembic_config())
    head = head_revision()
    with engine.connect() as conn:
        current = current_revisions(conn)
        _check(conn, current, script, where)
    if current == (head,):
        return head
    with _ALEMBIC, engine.connect() as conn:
        conn.execution_options(**{WRITE: True})  # in place, for the begin event
        with conn.begin():
            # Another process may have upgraded while we waited for the lock.
            current = current_revisions(conn)
            _check(conn, current, script, where)
            if current != (head,):
                command.upgrade(alembic_config(conn), "head")
    return head


def _check(conn: Connection, current: tuple[str, ...], script: ScriptDirectory, where: str) -> None:
    for revision in current:
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise StoreError(
                f"cannot open {where}: its schema revision {revision!r} is newer than this "
                f"otm knows (newest {head_revision()!r}); upgrade otm to open it"
            )
    if not current:
        tables = sa.inspect(conn).get_table_names()
        if tables:
            raise StoreError(
                f"cannot open {where}: it holds tables ({', '.join(sorted(tables)[:5])}) "
                "but no otm schema revision; is it another application's database?"
            )
