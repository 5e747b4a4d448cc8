"""``Historian``: tag samples in, series, rollups and exports out, on the store's database.

Writes are batched (``batch`` samples a transaction) and idempotent on
(tag, time): a sample written twice is stored once and counted once in the
rollups.  Each batch updates the per-minute and per-hour rollups in the
transaction that stores its samples, so they are never behind the raw
samples and retention can delete raw samples without losing aggregates.

When the database fails, the samples of that call and any not yet stored
stay in a bounded in-memory buffer (``otm.historian.buffer``) and the call
raises ``HistorianUnavailableError``, which says how many are held and how many
were dropped; the next ``write`` or ``flush`` retries them first, in order.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from otm.historian import export, query
from otm.historian.buffer import DEFAULT_LIMIT, PendingSamples
from otm.historian.database import Database
from otm.historian.encoding import Encoded, TagKey, encode
from otm.historian.points import WIDTH_US, Level, Series, to_us
from otm.historian.rebuild import rebuild_tag
from otm.historian.retention import (
    TAGS_PER_TRANSACTION,
    Retention,
    cutoffs_at,
    purge,
    record_cutoff,
)
from otm.historian.writer import resolve_tags, store_batch
from otm.observations.records import TagSample
from otm.store import schema as t
from otm.store.errors import StoreError

BATCH = 10_000
"""Samples a transaction: 10 s of 1,000 tags; a few MB in flight at most."""

ANALYZE_MIN = 50_000
"""Samples written before the first statistics refresh (see ``Historian._analyze``)."""

ANALYZED = (t.historian_samples, t.historian_rollup_1m, t.historian_rollup_1h)
"""The tables whose statistics the historian refreshes as they grow."""

_HOUR = WIDTH_US[Level.HOUR]


class HistorianUnavailableError(StoreError):
    """The database failed; the samples not stored are held in memory for the next try."""

    def __init__(self, message: str, pending: int, dropped: int) -> None:
        super().__init__(message)
        self.pending = pending
        self.dropped = dropped


class HistorianRejectedError(StoreError):
    """The database refused a batch's data (a constraint, a value it cannot hold).

    Not an outage: the batch is dropped (and counted in
    ``Historian.rejected``) rather than retried forever in front of the
    samples behind it.  ``encode`` checks what it can, so this means a bug.
    """


class Historian:
    """Tag samples of ``url`` (an SQLite path or URL, or a PostgreSQL URL).

    Opening migrates the database like ``otm.store.SqlStore`` does.  One
    object may be shared between threads (writes are serialised by a lock);
    several processes may write one database.  ``retention`` is what
    ``apply_retention`` enforces; ``buffer_limit`` bounds the samples held
    through an outage.
    """

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        retention: Retention | None = None,
        buffer_limit: int = DEFAULT_LIMIT,
        batch: int = BATCH,
    ) -> None:
        if batch < 1:
            raise ValueError(f"batch {batch}: write at least one sample a transaction")
        self._pending = PendingSamples(buffer_limit)
        self._batch = batch
        self.retention = retention or Retention()
        self._db = Database(url)
        self._ids: dict[TagKey, int] = {}
        self._lock = threading.Lock()
        self._since_analyze = 0
        self._at_analyze = 0
        self.rejected = 0
        """Samples in batches the database refused (``HistorianRejectedError``) since opening."""

    @property
    def url(self) -> str:
        """Where the database is, password hidden."""
        return self._db.where

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (tests, benchmarks)."""
        return self._db.engine

    @property
    def pending(self) -> int:
        """Samples accepted but not stored yet (held since a failure)."""
        return len(self._pending)

    @property
    def dropped(self) -> int:
        """Samples dropped from a full buffer since opening."""
        return self._pending.dropped

    def close(self) -> None:
        """Release the connections; samples still pending are lost (and were reported)."""
        self._db.close()

    def __enter__(self) -> Historian:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------

    def write(self, samples: Iterable[TagSample]) -> int:
        """Store samples (after any still pending); returns how many were new.

        Every sample is checked first: ``ValueError`` for one the historian
        cannot keep (unknown quality, a value neither number nor text), with
        nothing queued.  ``HistorianUnavailableError`` when the database fails:
        what was not stored is held for the next call.  ``HistorianRejectedError``
        when the database refused a batch's data: that batch is dropped, the
        others stored.
        """
        encoded = [encode(sample) for sample in samples]
        with self._lock:
            stored = 0
            failure: StoreError | None = None
            rejected: HistorianRejectedError | None = None
            for start in range(0, max(len(encoded), 1), self._batch):
                self._pending.add(encoded[start : start + self._batch])
                if failure is None:
                    try:
                        count, refused = self._drain()
                    except StoreError as exc:
                        failure = exc
                    else:
                        stored += count
                        rejected = refused or rejected
            if failure is not None:
                raise self._unavailable(failure)
            if rejected is not None:
                raise rejected
            return stored

    def flush(self) -> int:
        """Retry the pending samples; returns how many were new."""
        with self._lock:
            try:
                stored, rejected = self._drain()
            except StoreError as exc:
                raise self._unavailable(exc) from exc
            if rejected is not None:
                raise rejected
            return stored

    def _drain(self) -> tuple[int, HistorianRejectedError | None]:
        """Store every pending batch; the count, and the last refusal if any.

        A refused batch is dropped and the rest still stored; an outage
        (any other ``StoreError``) propagates with the rest kept pending.
        """
        stored = 0
        rejected: HistorianRejectedError | None = None
        while len(self._pending):
            batch = self._pending.head(self._batch)
            try:
                stored += self._store(batch)
            except StoreError as exc:
                if not isinstance(exc.__cause__, sa_exc.IntegrityError | sa_exc.DataError):
                    raise
                # The database refused the data itself: retrying cannot
                # help and would block every later sample behind it.
                self.rejected += len(batch)
                rejected = HistorianRejectedError(
                    f"{exc}; the batch of {len(batch):,} samples was dropped "
                    f"({self.rejected:,} rejected so far)"
                )
                rejected.__cause__ = exc
            self._pending.remove(len(batch))
        return stored, rejected

    def _store(self, batch: Sequence[Encoded]) -> int:
        keys = {(ip, tag) for ip, tag, *_ in batch}
        with self._db.write("store tag samples") as conn:
            new_ids = resolve_tags(conn, keys, self._ids)
            ids = {**self._ids, **new_ids} if new_ids else self._ids
            count = store_batch(conn, batch, ids)
        # Only once committed: a rolled-back tag insert leaves no id behind.
        self._ids.update(new_ids)
        self._since_analyze += count
        if self._since_analyze >= max(ANALYZE_MIN, self._at_analyze // 2):
            self._analyze()
        return count

    def _analyze(self) -> None:
        """Refresh PostgreSQL's statistics of the historian's tables.

        Measured (bench/historian.py, 200 tags x 1 day on PostgreSQL): with
        the statistics of an empty table, the planner expects a few hundred
        rows per tag and answers a day's raw query with a bitmap scan and a
        sort of all the tag's rows for every page: 932 ms a tag, 17.7 s with
        1,000 tags; after ANALYZE it walks the primary key in order and
        stops at the page's end: 13 ms a page.  Autovacuum would get there,
        but not while a first day is being loaded.  ANALYZE reads a sample
        of 30,000 rows, so it runs when the rows written since the last one
        reach half of those counted then (and at least ``ANALYZE_MIN``):
        a handful of times as a table grows from empty to a year.  SQLite
        walks its clustered key whatever it knows: nothing to do there.
        """
        written = self._since_analyze
        self._since_analyze = 0
        self._at_analyze += written
        if self._db.sqlite:
            return
        try:
            with self._db.write("refresh the historian's statistics") as conn:
                for table in ANALYZED:
                    conn.execute(sa.text(f"ANALYZE {table.name}"))
        except StoreError:
            return  # statistics only: the next write tries again (the counts were reset)

    def _unavailable(self, exc: StoreError) -> HistorianUnavailableError:
        pending, dropped = len(self._pending), self._pending.dropped
        message = (
            f"{exc}; {pending:,} sample{'' if pending == 1 else 's'} held in memory to retry "
            f"(at most {self._pending.limit:,}), {dropped:,} dropped so far"
        )
        if self.rejected:
            message += f", {self.rejected:,} rejected by the database"
        error = HistorianUnavailableError(message, pending, dropped)
        error.__cause__ = exc
        return error

    # -- reading -----------------------------------------------------------------

    def tags(self) -> list[TagKey]:
        """Every stored tag as (asset_ip, tag), by device then name."""
        with self._db.read("read the historian's tags") as conn:
            return [key for _id, key in query.find_tags(conn, None, None)]

    def query(
        self,
        tag: str,
        start: float,
        end: float,
        aggregate: str | None = None,
        *,
        asset_ip: str | None = None,
    ) -> Series:
        """A tag's series over ``[start, end)`` (seconds since the epoch, UTC).

        ``aggregate``: None for raw samples, ``"1m"`` or ``"1h"`` for rollup
        buckets, ``"auto"`` for the finest level that answers in at most
        ``query.AUTO_POINTS`` points (see ``query.choose_level``).  A tag
        name on several devices needs ``asset_ip`` (``ValueError``); a tag
        never written gives an empty raw series.
        """
        level = _level(aggregate)
        low, high = to_us(start), to_us(end)
        with self._db.read("read the tag's series") as conn:
            found = query.find_tags(conn, tag, asset_ip)
            if not found:
                return Series(asset_ip or "", tag, level or Level.RAW)
            if len(found) > 1:
                devices = ", ".join(ip for _id, (ip, _tag) in found)
                raise ValueError(f"tag {tag!r} is on several devices ({devices}): give asset_ip")
            tag_id, (ip, name) = found[0]
            if level is None:
                level = query.choose_level(conn, tag_id, low, high)
            if level is Level.RAW:
                return Series(
                    ip, name, level, samples=tuple(query.samples(conn, tag_id, low, high))
                )
            points = tuple(query.buckets(conn, level, tag_id, low, high))
            return Series(ip, name, level, buckets=points)

    # -- maintenance -------------------------------------------------------------

    def apply_retention(self, now: float) -> dict[Level, int]:
        """Delete what ``retention`` no longer keeps at ``now``; rows deleted by level.

        ``now`` is given, not read from a clock, so that a replay and a test
        decide alike.
        """
        deleted: dict[Level, int] = {}
        for level, cutoff in cutoffs_at(self.retention, now).items():
            ids = self._tag_ids()
            deleted[level] = 0
            for start in range(0, len(ids), TAGS_PER_TRANSACTION):
                with self._db.write("apply the historian's retention") as conn:
                    chunk = ids[start : start + TAGS_PER_TRANSACTION]
                    deleted[level] += purge(conn, level, chunk, cutoff)
            with self._db.write("apply the historian's retention") as conn:
                record_cutoff(conn, level, cutoff)
        return deleted

    def rebuild_rollups(self, start: float | None = None, end: float | None = None) -> int:
        """Recompute the rollups of the hours overlapping ``[start, end)`` from raw samples.

        Without bounds, every hour that has raw samples.  Hours whose raw
        samples retention deleted are not touched when ``start`` is left
        out (it starts at the raw cutoff).  Returns the samples counted.
        """
        with self._db.read("read the historian's range") as conn:
            low, high = self._bounds(conn, start, end)
        total = 0
        if high <= low:
            return 0
        for tag_id in self._tag_ids():
            with self._db.write("rebuild the historian's rollups") as conn:
                total += rebuild_tag(conn, tag_id, low, high)
        return total

    def _bounds(self, conn: Connection, start: float | None, end: float | None) -> tuple[int, int]:
        """``[start, end)`` in us, widened to whole hours; defaults from the stored samples."""
        c = t.historian_samples.c  # min/max scan the table: this is the slow repair path
        if start is not None:
            low = to_us(start)
        else:
            first = conn.execute(sa.select(sa.func.min(c.time_us))).scalar()
            low = int(first) if first is not None else 0
            cut = query.cutoffs(conn).get(Level.RAW)
            if cut is not None and low - low % _HOUR < cut:
                # The hour holding the cutoff lost its early samples: keep its rollups.
                low = cut + (-cut % _HOUR)
        if end is not None:
            high = to_us(end)
        else:
            last = conn.execute(sa.select(sa.func.max(c.time_us))).scalar()
            high = int(last) + 1 if last is not None else 0
        return low - low % _HOUR, high + (-high % _HOUR)

    def _tag_ids(self) -> list[int]:
        with self._db.read("read the historian's tags") as conn:
            return [tag_id for tag_id, _key in query.find_tags(conn, None, None)]

    @property
    def hypertable(self) -> bool:
        """Whether the samples table is a TimescaleDB hypertable."""
        if self._db.sqlite:
            return False
        with self._db.read("read the historian's storage") as conn:
            installed = conn.execute(
                sa.text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
            ).first()
            if installed is None:
                return False
            found = conn.execute(
                sa.text(
                    "SELECT 1 FROM timescaledb_information.hypertables "
                    "WHERE hypertable_name = 'historian_samples'"
                )
            ).first()
            return found is not None

    # -- export ------------------------------------------------------------------

    def export_csv(
        self,
        path: str | os.PathLike[str],
        start: float,
        end: float,
        *,
        tags: Sequence[str] | None = None,
        aggregate: str | None = None,
    ) -> int:
        """Write the samples (or ``aggregate`` "1m"/"1h" buckets) of ``tags`` to CSV.

        All tags when ``tags`` is None; a name matches it on every device.
        Returns the rows written.
        """
        level = _fixed_level(aggregate)
        with Path(path).open("w", encoding="utf-8", newline="") as out:
            if level is Level.RAW:
                return export.csv_raw(out, self._raw_export(start, end, tags))
            return export.csv_buckets(out, self._bucket_export(level, start, end, tags))

    def export_parquet(
        self,
        path: str | os.PathLike[str],
        start: float,
        end: float,
        *,
        tags: Sequence[str] | None = None,
        aggregate: str | None = None,
    ) -> int:
        """As ``export_csv``, to a Parquet file."""
        level = _fixed_level(aggregate)
        if level is Level.RAW:
            return export.parquet_raw(Path(path), self._raw_export(start, end, tags))
        return export.parquet_buckets(Path(path), self._bucket_export(level, start, end, tags))

    def _raw_export(
        self, start: float, end: float, tags: Sequence[str] | None
    ) -> Iterator[export.RawRow]:
        low, high = to_us(start), to_us(end)
        with self._db.read("export the historian's samples") as conn:
            for tag_id, (ip, name) in _selected(conn, tags):
                for time_us, value, text, quality in query.raw_rows(conn, tag_id, low, high):
                    yield ip, name, time_us, value, text, quality

    def _bucket_export(
        self, level: Level, start: float, end: float, tags: Sequence[str] | None
    ) -> Iterator[export.BucketRow]:
        low, high = to_us(start), to_us(end)
        with self._db.read("export the historian's rollups") as conn:
            for tag_id, (ip, name) in _selected(conn, tags):
                for row in query.bucket_rows(conn, level, tag_id, low, high):
                    yield (ip, name, *row)


def _selected(conn: Connection, tags: Sequence[str] | None) -> list[tuple[int, TagKey]]:
    found = query.find_tags(conn, None, None)
    if tags is None:
        return found
    wanted = set(tags)
    return [(tag_id, key) for tag_id, key in found if key[1] in wanted]


def _level(aggregate: str | None) -> Level | None:
    """The level a query asks for; None for ``"auto"``."""
    if aggregate == "auto":
        return None
    return _fixed_level(aggregate, " or 'auto'")


def _fixed_level(aggregate: str | None, more: str = "") -> Level:
    if aggregate is None:
        return Level.RAW
    if aggregate in (Level.MINUTE.value, Level.HOUR.value):
        return Level(aggregate)
    raise ValueError(f"aggregate {aggregate!r}: use None, '1m', '1h'{more}")
