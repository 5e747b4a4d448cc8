"""The historian: tag samples over time, rollups, retention, queries, exports.

``Historian(url)`` keeps ``TagSample`` observations in the store's database
(its own tables, created by the store's migrations): raw samples keyed by
(tag, time), per-minute and per-hour rollups (count, min, max, avg, last)
kept current by every write, retention per level, queries by tag and time
range, and CSV and Parquet exports.
"""

from __future__ import annotations

from otm.historian.historian import (
    BATCH,
    Historian,
    HistorianRejectedError,
    HistorianUnavailableError,
)
from otm.historian.points import Bucket, Level, Sample, Series
from otm.historian.retention import Retention

__all__ = [
    "BATCH",
    "Bucket",
    "Historian",
    "HistorianRejectedError",
    "HistorianUnavailableError",
    "Level",
    "Retention",
    "Sample",
    "Series",
]
