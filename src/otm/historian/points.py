"""What the historian gives back: samples, rollup buckets, series; and how times are kept.

Times cross the API as float seconds since the epoch, UTC, like every
observation; the tables keep integer microseconds (``to_us``/``from_us``),
so a time keeps microsecond resolution and anything finer is rounded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

US = 1_000_000
"""Microseconds in a second."""

QUALITY_CODES: dict[str, int] = {"good": 0, "uncertain": 1, "bad": 2}
"""Sample quality as stored (``historian_samples.quality``)."""

QUALITY_NAMES: dict[int, str] = {code: name for name, code in QUALITY_CODES.items()}

BAD = QUALITY_CODES["bad"]


class Level(StrEnum):
    """Where a series comes from: raw samples or one of the rollups."""

    RAW = "raw"
    MINUTE = "1m"
    HOUR = "1h"


WIDTH_US: dict[Level, int] = {Level.MINUTE: 60 * US, Level.HOUR: 3600 * US}
"""Bucket width of each rollup level, in microseconds."""


def to_us(seconds: float) -> int:
    """Float seconds to integer microseconds, rounded to the nearest."""
    if not math.isfinite(seconds):
        raise ValueError(f"time {seconds!r} is not a finite number of seconds")
    return round(seconds * US)


def from_us(micros: int) -> float:
    """Integer microseconds to float seconds."""
    return micros / US


def bucket_start(micros: int, width: int) -> int:
    """Start of the bucket of ``width`` holding ``micros`` (floor, also before 1970)."""
    return micros - micros % width


@dataclass(frozen=True, slots=True)
class Sample:
    """One stored sample: numbers (bools as 0/1, ints) come back as float."""

    time: float
    value: float | str
    quality: str


@dataclass(frozen=True, slots=True)
class Bucket:
    """One rollup bucket starting at ``start`` (seconds), over finite good and uncertain numbers.

    ``last`` is the value of the bucket's latest sample.
    """

    start: float
    count: int
    min: float
    max: float
    avg: float
    last: float


@dataclass(frozen=True, slots=True)
class Series:
    """A query's answer: ``samples`` when ``level`` is raw, else ``buckets``."""

    asset_ip: str
    tag: str
    level: Level
    samples: tuple[Sample, ...] = ()
    buckets: tuple[Bucket, ...] = ()

    def __len__(self) -> int:
        return len(self.samples) if self.level is Level.RAW else len(self.buckets)
