"""Reading series back: a tag's raw samples or rollup buckets over a time range.

Ranges are half-open, ``[start, end)``: raw samples with ``start <= time <
end``; rollup buckets that *start* in ``[bucket of start, end)``, so the
bucket holding ``start`` is included whole.  Every read is one range seek
on a table clustered by (tag_id, time).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from otm.historian.encoding import TagKey, decode_value, quality_name
from otm.historian.points import WIDTH_US, Bucket, Level, Sample, bucket_start, from_us
from otm.historian.writer import ROLLUP_TABLES
from otm.store import schema as t

AUTO_POINTS = 1_500
"""Most points an ``auto`` query returns from a finer level before going coarser.

About the width of a chart in pixels: more points than that draw nothing
more, and a day of 1-second samples (86,400) would cost a browser dearly.
"""

FETCH = 20_000
"""Rows a page (one query): a few MB; a day of minutes of 14 tags, 5.5 h of 1 s samples."""


def find_tags(conn: Connection, tag: str | None, asset_ip: str | None) -> list[tuple[int, TagKey]]:
    """(id, (asset_ip, tag)) of the stored tags matching, by device then name."""
    c = t.historian_tags.c
    query = sa.select(c.id, c.asset_ip, c.tag).order_by(c.asset_ip, c.tag)
    if tag is not None:
        query = query.where(c.tag == tag)
    if asset_ip is not None:
        query = query.where(c.asset_ip == asset_ip)
    return [(int(i), (str(ip), str(name))) for i, ip, name in conn.execute(query)]


def _pages(
    conn: Connection,
    query: sa.Select[*tuple[Any, ...]],
    key: sa.ColumnElement[int],
    low: int,
    high: int,
) -> Iterator[sa.Row[*tuple[Any, ...]]]:
    """The rows of ``query`` with ``low <= key < high``, by key, ``FETCH`` a query.

    Keyset paging rather than a server-side cursor: a short series is one
    round trip (a PostgreSQL cursor costs three), and an export of years
    never holds more than a page.  ``key`` is the query's first column.
    """
    start = low
    while True:
        page = conn.execute(query.where(key >= start, key < high).order_by(key).limit(FETCH)).all()
        yield from page
        if len(page) < FETCH:
            return
        start = int(page[-1][0]) + 1


def raw_rows(
    conn: Connection, tag_id: int, low: int, high: int
) -> Iterator[tuple[int, float | None, str | None, int]]:
    """(time_us, value, text, quality) of a tag in ``[low, high)`` microseconds, by time."""
    c = t.historian_samples.c
    query = sa.select(c.time_us, c.value, c.text, c.quality).where(c.tag_id == tag_id)
    for time_us, value, text, quality in _pages(conn, query, c.time_us, low, high):
        yield int(time_us), value, text, int(quality)


def samples(conn: Connection, tag_id: int, low: int, high: int) -> list[Sample]:
    """The raw samples of a tag in ``[low, high)`` microseconds."""
    return [
        Sample(from_us(time_us), decode_value(value, text), quality_name(quality))
        for time_us, value, text, quality in raw_rows(conn, tag_id, low, high)
    ]


def bucket_rows(
    conn: Connection, level: Level, tag_id: int, low: int, high: int
) -> Iterator[tuple[int, int, float, float, float, float]]:
    """(bucket_us, count, min, max, avg, last) of the buckets starting in the range."""
    c = ROLLUP_TABLES[level].c
    first = bucket_start(low, WIDTH_US[level])
    query = sa.select(
        c.bucket_us, c.count, c.min_value, c.max_value, c.sum_value, c.last_value
    ).where(c.tag_id == tag_id)
    for bucket, count, lo, hi, total, last in _pages(conn, query, c.bucket_us, first, high):
        yield int(bucket), int(count), lo, hi, total / count, last


def buckets(conn: Connection, level: Level, tag_id: int, low: int, high: int) -> list[Bucket]:
    """The rollup buckets of a tag starting in ``[bucket of low, high)``."""
    return [
        Bucket(from_us(b), n, lo, hi, avg, last)
        for b, n, lo, hi, avg, last in bucket_rows(conn, level, tag_id, low, high)
    ]


def cutoffs(conn: Connection) -> dict[Level, int]:
    """Per level, the time (us) before which retention has deleted rows."""
    c = t.historian_retention.c
    return {Level(level): int(cut) for level, cut in conn.execute(sa.select(c.level, c.cutoff_us))}


def choose_level(conn: Connection, tag_id: int, low: int, high: int) -> Level:
    """The finest level holding the whole range in at most ``AUTO_POINTS`` points.

    Raw samples are counted (at most ``AUTO_POINTS + 1`` of them); rollups
    are judged by the number of buckets the range spans.  A level whose
    retention has cut into the range is passed over; the hourly level is the
    answer when nothing finer fits.
    """
    cut = cutoffs(conn)
    if cut.get(Level.RAW, low) <= low and _count(conn, tag_id, low, high) <= AUTO_POINTS:
        return Level.RAW
    width = WIDTH_US[Level.MINUTE]
    first = bucket_start(low, width)
    whole = first + width > cut.get(Level.MINUTE, first)
    if whole and (high - first) <= AUTO_POINTS * width:
        return Level.MINUTE
    return Level.HOUR


def _count(conn: Connection, tag_id: int, low: int, high: int) -> int:
    c = t.historian_samples.c
    inner = (
        sa.select(c.time_us)
        .where(c.tag_id == tag_id, c.time_us >= low, c.time_us < high)
        .limit(AUTO_POINTS + 1)
        .subquery()
    )
    return int(conn.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one())
