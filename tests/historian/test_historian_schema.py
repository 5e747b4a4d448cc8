"""Revision 0003: an upgraded store keeps its data; TimescaleDB when there, a plain table if not."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from historian_support import T0, ts

from db_fixtures import _empty_postgres
from otm.historian import Historian
from otm.store import SqlStore, head_revision, migrate
from otm.store.engine import create_engine, database_url
from otm.store.migration import MIGRATIONS, alembic_config
from otm.store.schema import HISTORIAN_TABLES

HISTORIAN = {table.name for table in HISTORIAN_TABLES}


@pytest.fixture
def pg_url(postgres_database: str) -> str:
    """An empty PostgreSQL database (the PostgreSQL half of ``store_url``)."""
    _empty_postgres(postgres_database)
    return postgres_database


def _revision_0003() -> ModuleType:
    """The migration script, loaded as Alembic loads it (by path)."""
    path = MIGRATIONS / "versions" / "v0003_historian.py"
    spec = importlib.util.spec_from_file_location("otm_migration_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tables(url: str) -> set[str]:
    engine = create_engine(database_url(url))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_0003_follows_0002() -> None:
    assert _revision_0003().down_revision == "0002"


def test_upgrading_a_0002_store_keeps_its_data(store_url: str) -> None:
    engine = create_engine(database_url(store_url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
    engine.dispose()
    assert not (_tables(store_url) & HISTORIAN)
    with SqlStore(store_url) as store:  # opening upgrades
        assert store.revision == head_revision()
    assert migrate(store_url) == head_revision()
    with SqlStore(store_url) as store:
        store.put_source("capture", "k", "a.pcap", 1, [], 1.0)
    with Historian(store_url) as hist:
        assert hist.write([ts(T0)]) == 1
    with SqlStore(store_url) as store:
        assert [s.key for s in store.sources()] == ["k"]


def test_downgrade_to_0002_drops_only_the_historian(store_url: str) -> None:
    with Historian(store_url) as hist:
        hist.write([ts(T0)])
    with SqlStore(store_url) as store:
        store.put_source("capture", "k", "a.pcap", 1, [], 1.0)
        with store.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        assert not (_tables(store_url) & HISTORIAN)
        assert [s.key for s in store.sources()] == ["k"]
    with Historian(store_url) as hist:  # and back up
        assert hist.tags() == []


def test_sqlite_tables_are_clustered_on_their_key(tmp_path: Path) -> None:
    with Historian(tmp_path / "otm.db") as hist, hist.engine.connect() as conn:
        for name in ("historian_samples", "historian_rollup_1m", "historian_rollup_1h"):
            text = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = ?", (name,)
            ).scalar_one()
            assert text.rstrip().endswith("WITHOUT ROWID"), name


def _timescaledb_usable(url: str) -> bool:
    engine = create_engine(database_url(url))
    try:
        with engine.connect() as conn:
            listed = _revision_0003().timescaledb_listed(conn)
            preload = conn.exec_driver_sql("SHOW shared_preload_libraries").scalar() or ""
        return bool(listed) and "timescaledb" in preload
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_hypertable_exactly_when_timescaledb_is_usable(pg_url: str) -> None:
    """On this server without TimescaleDB: a plain table that works (the fallback)."""
    usable = _timescaledb_usable(pg_url)
    with Historian(pg_url) as hist:
        assert hist.hypertable is usable
        assert hist.write([ts(T0 + s, value=float(s)) for s in range(120)]) == 120
        assert [b.count for b in hist.query("flow", T0, T0 + 120, "1m").buckets] == [60, 60]


@pytest.mark.postgres
def test_listed_but_unloadable_timescaledb_falls_back(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CREATE EXTENSION fails (no files, not preloaded): the savepoint keeps the migration alive."""
    revision = _revision_0003()
    if _timescaledb_usable(pg_url):
        pytest.skip("TimescaleDB really is usable on this server")
    monkeypatch.setattr(revision, "timescaledb_listed", lambda conn: True)
    engine = create_engine(database_url(pg_url))
    try:
        with engine.connect() as conn, conn.begin():
            conn.exec_driver_sql("CREATE TABLE historian_samples (time_us BIGINT NOT NULL)")
            assert revision.make_hypertable(conn) is False
            conn.exec_driver_sql("INSERT INTO historian_samples VALUES (1)")  # still usable
            assert conn.exec_driver_sql("SELECT count(*) FROM historian_samples").scalar() == 1
            conn.rollback()
    finally:
        engine.dispose()


class _Recorder:
    """A connection that answers "listed" and records the statements it is given."""

    class dialect:  # noqa: N801 - stands in for an attribute
        name = "postgresql"

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def execute(self, statement: Any, params: Any = None) -> Any:
        self.statements.append((str(statement), params))
        return self

    def first(self) -> tuple[int]:
        return (1,)

    @contextmanager
    def begin_nested(self) -> Iterator[None]:
        self.statements.append(("SAVEPOINT", None))
        yield


def test_hypertable_statements_when_timescaledb_is_there() -> None:
    revision = _revision_0003()
    conn = _Recorder()
    assert revision.make_hypertable(conn) is True
    texts = [text for text, _ in conn.statements]
    assert "pg_available_extensions" in texts[0]
    assert texts[1] == "SAVEPOINT"
    assert texts[2] == "CREATE EXTENSION IF NOT EXISTS timescaledb"
    assert "create_hypertable('historian_samples', 'time_us'" in texts[3]
    assert "create_default_indexes => false" in texts[3]
    assert conn.statements[3][1] == {"chunk": 86_400_000_000}


def test_no_hypertable_attempt_on_sqlite() -> None:
    class SQLite:
        class dialect:  # noqa: N801
            name = "sqlite"

        def execute(self, *args: Any) -> Any:
            raise AssertionError("asked SQLite about TimescaleDB")

    assert _revision_0003().make_hypertable(SQLite()) is False
