"""Writing series to CSV and Parquet, streaming: rows arrive in chunks, nothing is held whole.

Two shapes, the same columns in both formats:

* raw samples: ``asset_ip, tag, time, value, text, quality``; ``value``
  for numbers (NaN for a NaN), ``text`` for strings, the other empty;
* rollups: ``asset_ip, tag, start, count, min, max, avg, last``.

Times are UTC: ISO 8601 with microseconds and a ``Z`` in CSV, a
``timestamp[us, tz=UTC]`` column in Parquet.  Floats in CSV are Python's
shortest round-tripping text.  Parquet files are zstd-compressed, written
``PARQUET_ROWS`` rows a row group.  pyarrow is imported only when a
Parquet file is written (it is a large import) and through
``importlib``: it ships no type information, so it is ``Any`` here.
"""

from __future__ import annotations

import csv
import importlib
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from otm.historian.points import QUALITY_NAMES

RawRow = tuple[str, str, int, float | None, str | None, int]
"""(asset_ip, tag, time_us, value, text, quality code)."""

BucketRow = tuple[str, str, int, int, float, float, float, float]
"""(asset_ip, tag, bucket_us, count, min, max, avg, last)."""

RAW_COLUMNS = ("asset_ip", "tag", "time", "value", "text", "quality")
BUCKET_COLUMNS = ("asset_ip", "tag", "start", "count", "min", "max", "avg", "last")

PARQUET_ROWS = 65_536
"""Rows a Parquet row group (and a chunk held in memory while writing)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso(micros: int) -> str:
    """ISO 8601 UTC with microseconds, exact (no float on the way)."""
    return (_EPOCH + timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _number(value: float) -> str:
    return "NaN" if math.isnan(value) else repr(float(value))


def csv_raw(out: TextIO, rows: Iterable[RawRow]) -> int:
    """Raw samples as CSV; returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RAW_COLUMNS)
    count = 0
    for ip, tag, time_us, value, text, quality in rows:
        shown = "" if text is not None else _number(math.nan if value is None else value)
        writer.writerow((ip, tag, iso(time_us), shown, text or "", QUALITY_NAMES[quality]))
        count += 1
    return count


def csv_buckets(out: TextIO, rows: Iterable[BucketRow]) -> int:
    """Rollup buckets as CSV; returns the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BUCKET_COLUMNS)
    count = 0
    for ip, tag, bucket, n, lo, hi, avg, last in rows:
        writer.writerow((ip, tag, iso(bucket), n, *(_number(v) for v in (lo, hi, avg, last))))
        count += 1
    return count


def parquet_raw(path: Path, rows: Iterable[RawRow]) -> int:
    """Raw samples as a Parquet file; returns the rows written."""
    pa, _pq = _pyarrow()
    schema = pa.schema(
        [
            ("asset_ip", pa.string()),
            ("tag", pa.string()),
            ("time", pa.timestamp("us", tz="UTC")),
            ("value", pa.float64()),
            ("text", pa.string()),
            ("quality", pa.dictionary(pa.int8(), pa.string())),
        ]
    )

    def columns(chunk: list[RawRow]) -> list[Any]:
        ips, tags, times, values, texts, qualities = zip(*chunk, strict=True)
        numbers = [
            None if text is not None else (math.nan if value is None else value)
            for value, text in zip(values, texts, strict=True)
        ]
        return [
            pa.array(ips, pa.string()),
            pa.array(tags, pa.string()),
            pa.array(times, pa.timestamp("us", tz="UTC")),
            pa.array(numbers, pa.float64()),
            pa.array(texts, pa.string()),
            pa.array([QUALITY_NAMES[q] for q in qualities], pa.string()).dictionary_encode(),
        ]

    return _parquet(path, schema, rows, columns)


def parquet_buckets(path: Path, rows: Iterable[BucketRow]) -> int:
    """Rollup buckets as a Parquet file; returns the rows written."""
    pa, _pq = _pyarrow()
    schema = pa.schema(
        [
            ("asset_ip", pa.string()),
            ("tag", pa.string()),
            ("start", pa.timestamp("us", tz="UTC")),
            ("count", pa.int64()),
            ("min", pa.float64()),
            ("max", pa.float64()),
            ("avg", pa.float64()),
            ("last", pa.float64()),
        ]
    )

    def columns(chunk: list[BucketRow]) -> list[Any]:
        ips, tags, starts, counts, *numbers = zip(*chunk, strict=True)
        return [
            pa.array(ips, pa.string()),
            pa.array(tags, pa.string()),
            pa.array(starts, pa.timestamp("us", tz="UTC")),
            pa.array(counts, pa.int64()),
            *(pa.array(column, pa.float64()) for column in numbers),
        ]

    return _parquet(path, schema, rows, columns)


def _pyarrow() -> tuple[Any, Any]:
    """The ``pyarrow`` and ``pyarrow.parquet`` modules."""
    return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")


def _parquet(path: Path, schema: Any, rows: Iterable[Any], columns: Any) -> int:
    pa, pq = _pyarrow()
    count = 0
    iterator = iter(rows)
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        while chunk := list(islice(iterator, PARQUET_ROWS)):
            writer.write_batch(pa.record_batch(columns(chunk), schema=schema))
            count += len(chunk)
    return count
