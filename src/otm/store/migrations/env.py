"""Alembic environment of the otm store.

Normally run by ``otm.store.migration.upgrade``, which passes the open
connection (already inside its write transaction) in
``config.attributes["connection"]``.  Developers writing a new revision run
Alembic's command line with the ``alembic.ini`` next to this file and the
database given as ``-x url=...`` (any location ``otm.store`` accepts)::

    alembic -c src/otm/store/migrations/alembic.ini -x url=/tmp/dev.db \\
        revision --autogenerate -m "what changed"

SQLite cannot alter most table properties in place, so its migrations run in
Alembic's batch mode (copy the table, move the rows, rename).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from otm.store.engine import create_engine, database_url, is_sqlite
from otm.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The engine emits BEGIN itself on SQLite too: one transaction for all.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _location() -> str:
    location = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not location:
        raise SystemExit("give the database with -x url=PATH_OR_URL")
    return location


def _main() -> None:
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run(connection)
        return
    url = database_url(_location())
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=metadata,
            render_as_batch=is_sqlite(url),
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


_main()
