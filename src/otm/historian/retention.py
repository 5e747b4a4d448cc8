"""Retention: how long raw samples and each rollup level are kept, and deleting what is older.

Each level has its own horizon: raw samples are the bulk (86.4 M rows a day
for 1,000 tags at 1 s) and go first; minute rollups are 60 times fewer,
hour rollups 3,600 times.  Deleting raw samples never loses an aggregate:
the rollups are brought up to date by every write, not by a later job.

Deletes run per tag (a range on the (tag_id, time) key, where a single
``time < cutoff`` over the table would scan all of it), ``TAGS_PER_TRANSACTION``
tags a transaction, so that a large purge holds the write lock in short
turns and the SQLite WAL stays small.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from otm.historian.points import WIDTH_US, Level, to_us
from otm.historian.writer import ROLLUP_TABLES
from otm.store import schema as t

DAY = 86_400.0

TAGS_PER_TRANSACTION = 100
"""Tags purged per transaction: a day of 1 s samples of 100 tags is 8.6 M rows."""


@dataclass(frozen=True, slots=True)
class Retention:
    """Seconds to keep each level; None keeps it forever.

    Defaults: a week of raw samples, 90 days of minutes, hours forever
    (a year of hourly rollups of 1,000 tags is 8.8 M rows).
    """

    raw: float | None = 7 * DAY
    minute: float | None = 90 * DAY
    hour: float | None = None

    def __post_init__(self) -> None:
        for name in ("raw", "minute", "hour"):
            keep = getattr(self, name)
            if keep is not None and not keep > 0:
                raise ValueError(f"retention {name}={keep!r}: give a positive number of seconds")

    def horizons(self) -> dict[Level, float | None]:
        """Seconds kept, by level."""
        return {Level.RAW: self.raw, Level.MINUTE: self.minute, Level.HOUR: self.hour}


def cutoffs_at(policy: Retention, now: float) -> dict[Level, int]:
    """Per level with a horizon, the time (us) before which its rows go."""
    return {
        level: to_us(now - keep) for level, keep in policy.horizons().items() if keep is not None
    }


def purge(conn: Connection, level: Level, tag_ids: list[int], cutoff: int) -> int:
    """Delete a level's rows older than ``cutoff`` for these tags; returns how many.

    A rollup bucket goes only when it ends at or before the cutoff.
    """
    if not tag_ids:
        return 0
    if level is Level.RAW:
        sql, limit = "DELETE FROM historian_samples WHERE tag_id = {m} AND time_us < {m}", cutoff
    else:
        sql = f"DELETE FROM {ROLLUP_TABLES[level].name} WHERE tag_id = {{m}} AND bucket_us <= {{m}}"
        limit = cutoff - WIDTH_US[level]
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    statement = sql.format(m=mark)
    deleted = 0
    for tag_id in tag_ids:
        result = conn.exec_driver_sql(statement, (tag_id, limit))
        deleted += max(result.rowcount, 0)
    return deleted


def record_cutoff(conn: Connection, level: Level, cutoff: int) -> None:
    """Remember the level's cutoff (the later of this one and any earlier)."""
    c = t.historian_retention.c
    stored = conn.execute(sa.select(c.cutoff_us).where(c.level == level.value)).scalar()
    if stored is None:
        conn.execute(t.historian_retention.insert().values(level=level.value, cutoff_us=cutoff))
    elif cutoff > int(stored):
        conn.execute(
            t.historian_retention.update().where(c.level == level.value).values(cutoff_us=cutoff)
        )
