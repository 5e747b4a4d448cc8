"""Failures: every one is a StoreError with a clear message, and nothing half-written stays."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from store_samples import observations, sample_inventory

from otm.model.assets import Asset, Inventory
from otm.observations.records import Observation
from otm.store import SqlStore, StoreError, migrate, repository, schema


def _assert_clear(err: pytest.ExceptionInfo[StoreError], *words: str) -> None:
    """A message for a person: one line, the words that matter, no SQL or traceback."""
    text = str(err.value)
    assert "\n" not in text
    assert "[SQL" not in text and "Traceback" not in text
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"


def test_unreachable_database(store_url: str, backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'otm.db'}"
        words: tuple[str, ...] = ("cannot open the database", "cannot be opened")
    else:
        url = make_url(store_url).set(port=1).render_as_string(hide_password=False)
        words = ("cannot open the database", "127.0.0.1:1")
    with pytest.raises(StoreError) as err:
        SqlStore(url)
    _assert_clear(err, *words)
    with pytest.raises(StoreError):
        migrate(url)


def test_not_an_otm_database(store_url: str, backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        garbage = tmp_path / "notes.db"
        garbage.write_text("these are my notes, not a database\n" * 100)
        url, words = str(garbage), ("not an SQLite database",)
    else:
        url = make_url(store_url).set(database="otm_no_such_db").render_as_string(False)
        words = ("does not exist",)
    with pytest.raises(StoreError) as err:
        SqlStore(url)
    _assert_clear(err, *words)


def _read_only_url(store_url: str, backend: str) -> str:
    if backend == "sqlite":
        # Root ignores file modes; SQLite's own read-only open does not.
        path = make_url(store_url).database
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    url = make_url(store_url)
    options = url.update_query_dict({"options": "-c default_transaction_read_only=on"})
    return options.render_as_string(hide_password=False)


def test_read_only_database(store_url: str, backend: str) -> None:
    inv = sample_inventory()
    with SqlStore(store_url) as store:
        kept = store.put_source("capture", "k", "a.pcap", 1, observations(20), 1.0)
        store.save_inventory(inv)
    with SqlStore(_read_only_url(store_url, backend)) as ro:
        # Reading works: opening a current database writes nothing.
        assert ro.load_inventory() == inv
        with pytest.raises(StoreError) as err:
            ro.put_source("capture", "k", "a.pcap", 1, observations(5), 2.0)
        _assert_clear(err, "cannot store the source", "read-only")
        with pytest.raises(StoreError) as err:
            ro.save_inventory(Inventory())
        _assert_clear(err, "cannot save the inventory", "read-only")
    with SqlStore(store_url) as store:
        assert store.find_source("k") == kept
        assert store.load_inventory() == inv


def _fill_the_disk(store: SqlStore, backend: str) -> None:
    """From now on, any growth of the database fails as on a full disk."""
    if backend == "sqlite":

        def cap(dbapi_connection: Any, _record: Any) -> None:
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        event.listen(store.engine, "connect", cap)
        store.engine.dispose()
        return
    # PostgreSQL: raise what the server raises when it cannot extend a file.
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device' "
            "USING ERRCODE = 'disk_full'; END $$"
        )
        for table in ("observations", "assets"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER full_{table} BEFORE INSERT ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION disk_full()"
            )


def test_full_disk_rolls_back(store_url: str, backend: str) -> None:
    inv = sample_inventory()
    with SqlStore(store_url) as store:
        kept = store.put_source("capture", "k", "a.pcap", 1, observations(30), 1.0)
        store.save_inventory(inv)
        _fill_the_disk(store, backend)
        with pytest.raises(StoreError) as err:
            store.put_source("capture", "k", "a.pcap", 2, observations(20_000), 2.0)
        _assert_clear(err, "cannot store the source", "disk is full")
        with pytest.raises(StoreError) as err:
            store.put_source("capture", "new", "b.pcap", 2, observations(20_000), 2.0)
        _assert_clear(err, "disk is full")
        bigger = sample_inventory()
        for i in range(3000):
            bigger.assets[f"x{i}"] = Asset(id=f"x{i}", ips={"10.9.9.9"})
        with pytest.raises(StoreError) as err:
            store.save_inventory(bigger)
        _assert_clear(err, "cannot save the inventory", "disk is full")
        assert store.sources() == [kept]
        assert list(store.observations()) == observations(30)
        assert store.load_inventory() == inv


def _failing_after(calls: int) -> Any:
    """An ``_insert`` that works ``calls`` times, then fails like a dying disk."""
    real = repository._insert
    done = [0]

    def insert(conn: Any, table: sa.Table, rows: Any) -> None:
        if done[0] >= calls:
            raise sa.exc.OperationalError(
                "INSERT", None, sqlite3.OperationalError("disk I/O error")
            )
        done[0] += 1
        real(conn, table, rows)

    return insert


def test_failure_mid_save_keeps_the_previous_snapshot(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = sample_inventory()
    with SqlStore(store_url) as store:
        store.save_inventory(before)
        after = sample_inventory()
        del after.assets["ip:10.0.0.9"]
        # assets, addresses, components go in; the fields insert fails.
        monkeypatch.setattr(repository, "_insert", _failing_after(3))
        with pytest.raises(StoreError) as err:
            store.save_inventory(after)
        _assert_clear(err, "cannot save the inventory", "I/O error")
        monkeypatch.undo()
        assert store.load_inventory() == before


def test_failure_mid_source_keeps_the_previous_observations(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SqlStore(store_url) as store:
        kept = store.put_source("capture", "k", "a.pcap", 1, observations(10), 1.0)
        monkeypatch.setattr(repository, "_insert", _failing_after(1))  # second batch fails
        with pytest.raises(StoreError):
            store.put_source("capture", "k", "a.pcap", 9, observations(repository.BATCH + 1), 2.0)
        monkeypatch.undo()
        assert store.sources() == [kept]
        assert list(store.observations()) == observations(10)


def test_failing_iterable_propagates_and_keeps_the_previous_observations(store_url: str) -> None:
    class CaptureBrokeError(Exception):
        pass

    def broken() -> Iterator[Observation]:
        yield from observations(repository.BATCH + 10)
        raise CaptureBrokeError("truncated capture")

    with SqlStore(store_url) as store:
        kept = store.put_source("capture", "k", "a.pcap", 1, observations(10), 1.0)
        with pytest.raises(CaptureBrokeError):
            store.put_source("capture", "k", "a.pcap", 2, broken(), 2.0)
        assert store.sources() == [kept]
        assert list(store.observations()) == observations(10)


def test_unreadable_stored_data_is_a_store_error(store_url: str) -> None:
    with SqlStore(store_url) as store:
        store.put_source("capture", "k", "a.pcap", 1, observations(3), 1.0)
        store.save_inventory(sample_inventory())
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE assets SET role = 'time-machine'"))
            conn.execute(
                sa.text("UPDATE observations SET body = :b WHERE seq = 1"),
                {"b": '{"schema": "otm.observation/99", "type": "identity"}'},
            )
        with pytest.raises(StoreError) as err:
            store.load_inventory()
        _assert_clear(err, "cannot read the inventory", "time-machine")
        with pytest.raises(StoreError) as err:
            list(store.observations())
        _assert_clear(err, "observation 1 of source", "otm.observation/99")


@pytest.mark.postgres
def test_password_never_shown(postgres_database: str) -> None:
    url = make_url(postgres_database).set(password="s3cret", port=1).render_as_string(False)
    with pytest.raises(StoreError) as err:
        SqlStore(url)
    assert "s3cret" not in str(err.value)


def test_driver_errors_are_wrapped_too(store_url: str) -> None:
    """Errors the drivers raise themselves (PostgreSQL COPY) become StoreError."""
    with SqlStore(store_url) as store:
        store.put_source("capture", "k", "a.pcap", 1, observations(3), 1.0)
        bad = [(1, 0, "asset_seen", 0.0, "duplicate seq")]  # (source_id, seq) exists
        with pytest.raises(StoreError), store._write("insert", "test") as conn:
            repository._insert(conn, schema.observations, bad)
