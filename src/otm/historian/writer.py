"""One batch of encoded samples into the database, inside the caller's write transaction.

The steps, each a statement or a bulk call, never one per sample:

1. tag ids: the batch's unknown (device, tag) pairs are looked up, the
   missing ones inserted;
2. duplicates: within the batch the first sample of a (tag, time) wins;
   the samples already stored are found with one range query over the
   batch's tags and time span (on live data nothing is found: a poller's
   next batch is newer than anything stored), and skipped.  This is what
   makes a write idempotent on (tag, time) *and* keeps the rollups exact:
   only samples really inserted are folded into them;
3. the new samples go in (PostgreSQL ``COPY``, SQLite ``executemany``);
4. the batch's numbers are accumulated per minute (and those partials per
   hour) in Python and merged into the rollup tables with one upsert each.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from otm.historian.encoding import Encoded, TagKey, rolls_up
from otm.historian.points import WIDTH_US, Level
from otm.historian.rollups import RollupRow, accumulate, as_rows, coarsen
from otm.store import schema as t

IN_CHUNK = 500
"""Tag ids per ``IN (...)`` list: far under SQLite's 32,766 bound parameters."""

SampleRow = tuple[int, int, float | None, str | None, int]
"""(tag_id, time_us, value, text, quality): a row of ``historian_samples``."""

ROLLUP_TABLES = {Level.MINUTE: t.historian_rollup_1m, Level.HOUR: t.historian_rollup_1h}


def resolve_tags(
    conn: Connection, keys: set[TagKey], known: dict[TagKey, int]
) -> dict[TagKey, int]:
    """Ids of the ``keys`` not in ``known``, inserting the tags the database lacks."""
    missing = keys - known.keys()
    if not missing:
        return {}
    found = _tag_ids(conn, missing)
    absent = missing - found.keys()
    if absent:
        conn.execute(
            t.historian_tags.insert(), [{"asset_ip": ip, "tag": tag} for ip, tag in sorted(absent)]
        )
        found.update(_tag_ids(conn, absent))
    return found


def _tag_ids(conn: Connection, keys: set[TagKey]) -> dict[TagKey, int]:
    c = t.historian_tags.c
    names = sorted({tag for _ip, tag in keys})
    out: dict[TagKey, int] = {}
    for start in range(0, len(names), IN_CHUNK):
        query = sa.select(c.id, c.asset_ip, c.tag).where(c.tag.in_(names[start : start + IN_CHUNK]))
        for tag_id, ip, tag in conn.execute(query):
            if (ip, tag) in keys:
                out[(ip, tag)] = int(tag_id)
    return out


def store_batch(conn: Connection, batch: Sequence[Encoded], ids: dict[TagKey, int]) -> int:
    """Store the batch's new samples and fold them into the rollups; returns how many."""
    rows: dict[tuple[int, int], SampleRow] = {}
    for ip, tag, time_us, value, text, quality in batch:
        key = (ids[(ip, tag)], time_us)
        if key not in rows:
            rows[key] = (key[0], time_us, value, text, quality)
    for key in _stored(conn, rows):
        del rows[key]
    if not rows:
        return 0
    new = sorted(rows.values())
    _insert_samples(conn, new)
    counted = [
        (tag_id, time_us, value)
        for tag_id, time_us, value, text, quality in new
        if value is not None and rolls_up(value, text, quality)
    ]
    minutes = accumulate(counted, WIDTH_US[Level.MINUTE])
    if minutes:
        upsert_rollups(conn, Level.MINUTE, as_rows(minutes))
        upsert_rollups(conn, Level.HOUR, as_rows(coarsen(minutes, WIDTH_US[Level.HOUR])))
    return len(new)


def _stored(conn: Connection, rows: dict[tuple[int, int], SampleRow]) -> list[tuple[int, int]]:
    """The keys of ``rows`` already in the table."""
    if not rows:
        return []
    c = t.historian_samples.c
    tag_ids = sorted({tag_id for tag_id, _ in rows})
    low = min(time_us for _, time_us in rows)
    high = max(time_us for _, time_us in rows)
    found: list[tuple[int, int]] = []
    for start in range(0, len(tag_ids), IN_CHUNK):
        query = sa.select(c.tag_id, c.time_us).where(
            c.tag_id.in_(tag_ids[start : start + IN_CHUNK]),
            c.time_us >= low,
            c.time_us <= high,
        )
        found.extend(
            key for key in ((int(a), int(b)) for a, b in conn.execute(query)) if key in rows
        )
    return found


_SAMPLE_COLUMNS = ("tag_id", "time_us", "value", "text", "quality")


def _insert_samples(conn: Connection, rows: Sequence[SampleRow]) -> None:
    """Bulk insert, below SQLAlchemy's per-row parameter handling (see store.repository)."""
    columns = ", ".join(_SAMPLE_COLUMNS)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        sql = f"COPY historian_samples ({columns}) FROM STDIN (FORMAT BINARY)"
        with cursor.copy(sql) as copy:
            # Binary: the server parses no text (measured: 1.3-1.5 times the rows/s).
            copy.set_types(["int4", "int8", "float8", "text", "int2"])
            for row in rows:
                copy.write_row(row)
        return
    conn.exec_driver_sql(
        f"INSERT INTO historian_samples ({columns}) VALUES (?, ?, ?, ?, ?)", list(rows)
    )


def upsert_rollups(conn: Connection, level: Level, rows: Sequence[RollupRow]) -> None:
    """Merge partial buckets into a rollup table (insert, or combine with the stored row).

    PostgreSQL gets the rows as eight arrays through ``unnest``: one
    statement, where ``executemany`` sent one per row (measured with
    ``bench/historian.py``: the upserts of 1,000 tags went from most of a
    write's time to a small part); SQLite runs the statement per row in
    its own process, where that costs nothing more.
    """
    if not rows:
        return
    name = ROLLUP_TABLES[level].name
    pg = conn.dialect.name == "postgresql"
    least, greatest = ("LEAST", "GREATEST") if pg else ("min", "max")
    columns = "tag_id, bucket_us, count, min_value, max_value, sum_value, last_value, last_us"
    if pg:
        arrays = ", ".join(f"%s::{kind}[]" for kind in _PG_ROLLUP_TYPES)
        source = f"SELECT * FROM unnest({arrays})"
    else:
        source = f"VALUES ({', '.join(['?'] * 8)})"
    sql = (
        f"INSERT INTO {name} ({columns}) {source} "
        "ON CONFLICT (tag_id, bucket_us) DO UPDATE SET "
        f"count = {name}.count + excluded.count, "
        f"min_value = {least}({name}.min_value, excluded.min_value), "
        f"max_value = {greatest}({name}.max_value, excluded.max_value), "
        f"sum_value = {name}.sum_value + excluded.sum_value, "
        f"last_value = CASE WHEN excluded.last_us >= {name}.last_us "
        f"THEN excluded.last_value ELSE {name}.last_value END, "
        f"last_us = {greatest}({name}.last_us, excluded.last_us)"
    )
    if pg:
        conn.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
    else:
        conn.exec_driver_sql(sql, list(rows))


_PG_ROLLUP_TYPES = ("integer", "bigint", "bigint", "float8", "float8", "float8", "float8", "bigint")
"""PostgreSQL types of the rollup columns, in ``RollupRow`` order."""
