"""Recomputing a tag's rollups from its raw samples (after an import, or to check them).

Writes keep the rollups current on their own; this is the slow, obvious
path the tests hold them against, and the repair tool.  It replaces the
rollups of whole hours: an hour whose raw samples retention has already
deleted would come back empty, so the caller keeps the range inside the
raw horizon.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from otm.historian.encoding import rolls_up
from otm.historian.points import WIDTH_US, Level
from otm.historian.query import raw_rows
from otm.historian.rollups import accumulate, as_rows, coarsen
from otm.historian.writer import ROLLUP_TABLES, upsert_rollups


def rebuild_tag(conn: Connection, tag_id: int, low: int, high: int) -> int:
    """Replace the tag's rollups of the hours from ``low``'s to before ``high`` (us).

    ``low`` and ``high`` are hour-aligned by the caller.  Returns the
    number of raw samples that went into them.
    """
    counted = [
        (tag_id, time_us, value)
        for time_us, value, text, quality in raw_rows(conn, tag_id, low, high)
        if value is not None and rolls_up(value, text, quality)
    ]
    for level in (Level.MINUTE, Level.HOUR):
        c = ROLLUP_TABLES[level].c
        conn.execute(
            ROLLUP_TABLES[level]
            .delete()
            .where(c.tag_id == tag_id, c.bucket_us >= low, c.bucket_us < high)
        )
    minutes = accumulate(counted, WIDTH_US[Level.MINUTE])
    upsert_rollups(conn, Level.MINUTE, as_rows(minutes))
    upsert_rollups(conn, Level.HOUR, as_rows(coarsen(minutes, WIDTH_US[Level.HOUR])))
    return len(counted)
