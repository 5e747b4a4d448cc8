"""Database fixtures: every store test runs on SQLite and on PostgreSQL.

``store_url`` gives a fresh, empty database per test: an SQLite file under
``tmp_path``, or, for PostgreSQL, a uniquely named database created once per
test session (per xdist worker) on the server at ``OTM_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``, trust auth), emptied
before each test and dropped at the end.  Those cases carry the
``postgres`` marker (deselect with ``-m "not postgres"``).  If the server is
down, start it with
``pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

PG_ADMIN = os.environ.get("OTM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
"""Server for the PostgreSQL cases, as a URL to a database we may create others from."""


def _conninfo(url: str) -> str:
    """A libpq connection string from a SQLAlchemy-style URL."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database for this test session."""
    name = f"otm_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_conninfo(PG_ADMIN), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN} ({exc}); start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
            'or deselect these tests with -m "not postgres"'
        )
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _empty_postgres(url: str) -> None:
    """Drop everything a previous test left in the database."""
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database, on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'otm.db'}"
    url: str = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url


@pytest.fixture
def backend(store_url: str) -> str:
    """``sqlite`` or ``postgresql``: which backend ``store_url`` is."""
    return make_url(store_url).get_backend_name()
