"""The database goes away: a clear error, samples held (bounded, overflow counted), none lost."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from historian_support import T0, ts
from psycopg import sql
from sqlalchemy.engine import make_url

from db_fixtures import PG_ADMIN
from otm.historian import Historian, HistorianRejectedError, HistorianUnavailableError
from otm.historian import writer as writer_module
from otm.store import StoreError


@contextmanager
def outage(hist: Historian, store_url: str, backend: str) -> Iterator[None]:
    """The database cannot be reached inside the block (really, not mocked)."""
    url = make_url(store_url)
    if backend == "sqlite":
        # Once its connections are closed, the folder moved away makes the
        # file impossible to open, as an unmounted disk would.
        hist.engine.dispose()
        folder = Path(str(url.database)).parent
        away = folder.with_name(folder.name + "-away")
        folder.rename(away)
        try:
            yield
        finally:
            away.rename(folder)
        return
    name = sql.Identifier(str(url.database))
    admin = make_url(PG_ADMIN).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(name))
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (url.database,),
        )
        try:
            yield
        finally:
            conn.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(name))


def _one_line(err: pytest.ExceptionInfo[Any], *words: str) -> None:
    text = str(err.value)
    assert "\n" not in text and "[SQL" not in text
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"


def test_samples_written_during_an_outage_are_stored_after_it(store_url: str, backend: str) -> None:
    with Historian(store_url) as hist:
        assert hist.write([ts(T0 + s, value=float(s)) for s in range(10)]) == 10
        with outage(hist, store_url, backend):
            with pytest.raises(HistorianUnavailableError) as err:
                hist.write([ts(T0 + s, value=float(s)) for s in range(10, 110)])
            _one_line(err, "cannot store tag samples", "100 samples held in memory", "0 dropped")
            assert (err.value.pending, err.value.dropped) == (100, 0)
            assert isinstance(err.value, StoreError)
            with pytest.raises(HistorianUnavailableError) as err:
                hist.write([ts(T0 + s, value=float(s)) for s in range(110, 160)])
            assert hist.pending == err.value.pending == 150
            with pytest.raises(HistorianUnavailableError):
                hist.flush()
        assert hist.write([ts(T0 + 160, value=160.0)]) == 151
        assert hist.pending == 0
        values = [s.value for s in hist.query("flow", T0, T0 + 3600).samples]
        assert values == [float(s) for s in range(161)]
        counts = [b.count for b in hist.query("flow", T0, T0 + 3600, "1m").buckets]
        assert counts == [60, 60, 41]


def test_flush_alone_recovers(store_url: str, backend: str) -> None:
    with Historian(store_url) as hist:
        with outage(hist, store_url, backend), pytest.raises(HistorianUnavailableError):
            hist.write([ts(T0), ts(T0 + 1)])
        assert hist.flush() == 2
        assert hist.flush() == 0


def test_a_long_outage_drops_the_oldest_and_says_so(store_url: str, backend: str) -> None:
    with Historian(store_url, buffer_limit=100, batch=30) as hist:
        with outage(hist, store_url, backend):
            with pytest.raises(HistorianUnavailableError):
                hist.write([ts(T0 + s) for s in range(80)])
            with pytest.raises(HistorianUnavailableError) as err:
                hist.write([ts(T0 + s) for s in range(80, 130)])
            _one_line(err, "100 samples held", "at most 100", "30 dropped so far")
            assert (hist.pending, hist.dropped) == (100, 30)
        assert hist.flush() == 100
        times = [s.time - T0 for s in hist.query("flow", T0, T0 + 3600).samples]
        assert times == [float(s) for s in range(30, 130)]
        assert hist.dropped == 30  # the count stays, for whoever monitors it


def test_outage_at_open_is_a_store_error(store_url: str, backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        url = str(tmp_path / "no" / "such" / "folder" / "otm.db")
    else:
        url = make_url(store_url).set(port=1).render_as_string(hide_password=False)
    with pytest.raises(StoreError) as err:
        Historian(url)
    _one_line(err, "cannot open the database")


def test_failure_inside_a_batch_rolls_it_back_whole(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writer_module.upsert_rollups
    calls = [0]

    def failing(conn: Any, level: Any, rows: Any) -> None:
        calls[0] += 1
        if calls[0] == 3:  # the second batch's minute rollups, after its samples went in
            raise sa.exc.OperationalError("INSERT", None, Exception("disk I/O error"))
        real(conn, level, rows)

    monkeypatch.setattr(writer_module, "upsert_rollups", failing)
    with Historian(store_url, batch=20) as hist:
        with pytest.raises(HistorianUnavailableError) as err:
            hist.write([ts(T0 + s, value=1.0) for s in range(60)])
        _one_line(err, "disk I/O error", "40 samples held")
        assert len(hist.query("flow", T0, T0 + 60)) == 20  # the first batch only
        assert hist.flush() == 40
        (bucket,) = hist.query("flow", T0, T0 + 60, "1m").buckets
        assert bucket.count == 60


def test_data_the_database_refuses_is_dropped_not_retried_forever(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = writer_module.store_batch

    def refusing(conn: Any, batch: Any, ids: Any) -> int:
        if batch[0][2] == round((T0 + 10) * 1e6):  # the second batch
            raise sa.exc.IntegrityError("INSERT", None, Exception("CHECK constraint failed"))
        return real(conn, batch, ids)

    from otm.historian import historian as historian_module

    monkeypatch.setattr(historian_module, "store_batch", refusing)
    with Historian(store_url, batch=10) as hist:
        with pytest.raises(HistorianRejectedError) as err:
            hist.write([ts(T0 + s) for s in range(30)])
        _one_line(err, "CHECK constraint failed", "batch of 10 samples was dropped")
        assert (hist.pending, hist.rejected) == (0, 10)
        times = [s.time - T0 for s in hist.query("flow", T0, T0 + 60).samples]
        assert times == [*range(10), *range(20, 30)]
