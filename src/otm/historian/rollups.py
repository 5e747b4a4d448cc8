"""Rollup arithmetic: samples into per-bucket (count, min, max, sum, last) and merging those.

Pure functions over plain tuples.  A bucket's partial is kept as a list
``[count, min, max, sum, last, last_us]``; partials of the same bucket merge
exactly (counts and sums add, extremes compare, the later ``last_us``
wins), which is what lets the historian fold each written batch into the
stored rollups instead of recomputing them from the raw samples.  A sum
merged in a different order may differ in the last bits of a float; the
tests compare averages with a tolerance for that reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from otm.historian.points import bucket_start

Partial = list[float]
"""[count, min, max, sum, last, last_us] of one bucket (count and last_us are whole)."""

RollupRow = tuple[int, int, int, float, float, float, float, int]
"""(tag_id, bucket_us, count, min, max, sum, last, last_us): a row of a rollup table."""


def accumulate(
    rows: Iterable[tuple[int, int, float]], width: int
) -> dict[tuple[int, int], Partial]:
    """Partials by (tag_id, bucket start) of ``(tag_id, time_us, value)`` rows.

    The caller passes only the rows that count (numbers, not NaN, not bad).
    """
    out: dict[tuple[int, int], Partial] = {}
    for tag_id, time_us, value in rows:
        key = (tag_id, bucket_start(time_us, width))
        acc = out.get(key)
        if acc is None:
            out[key] = [1, value, value, value, value, time_us]
            continue
        acc[0] += 1
        acc[1] = min(acc[1], value)
        acc[2] = max(acc[2], value)
        acc[3] += value
        if time_us >= acc[5]:
            acc[4] = value
            acc[5] = time_us
    return out


def merge(into: Partial, other: Partial) -> None:
    """Fold ``other`` into ``into`` (two partials of the same bucket)."""
    into[0] += other[0]
    into[1] = min(into[1], other[1])
    into[2] = max(into[2], other[2])
    into[3] += other[3]
    if other[5] >= into[5]:
        into[4] = other[4]
        into[5] = other[5]


def as_rows(partials: dict[tuple[int, int], Partial]) -> list[RollupRow]:
    """Rollup table rows, in key order (stable statements, fewer page splits)."""
    return [
        (tag_id, bucket, int(p[0]), p[1], p[2], p[3], p[4], int(p[5]))
        for (tag_id, bucket), p in sorted(partials.items())
    ]


def coarsen(partials: dict[tuple[int, int], Partial], width: int) -> dict[tuple[int, int], Partial]:
    """The partials of wider buckets (``width`` a multiple of theirs), merged from these."""
    out: dict[tuple[int, int], Partial] = {}
    for (tag_id, bucket), partial in partials.items():
        key = (tag_id, bucket_start(bucket, width))
        acc = out.get(key)
        if acc is None:
            out[key] = list(partial)
        else:
            merge(acc, partial)
    return out
