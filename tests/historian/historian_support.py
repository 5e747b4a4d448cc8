"""Samples for the historian tests, and the obvious (slow) rollup the fast one must equal."""

from __future__ import annotations

import math
from collections.abc import Iterable

from otm.observations.records import Evidence, TagSample

EV = Evidence("poll", "test-poller")

T0 = 1_767_225_600.0
"""2026-01-01T00:00:00Z, a whole hour."""


def ts(
    time: float,
    tag: str = "flow",
    value: float | int | bool | str = 1.0,
    quality: str = "good",
    ip: str = "10.0.0.1",
) -> TagSample:
    """One tag sample from the test poller."""
    return TagSample(time, ip, tag, value, quality, EV)


def reference(
    samples: Iterable[TagSample], width: float
) -> dict[tuple[str, str, float], tuple[int, float, float, float, float]]:
    """(ip, tag, bucket start s) -> (count, min, max, avg, last), the slow way.

    The first sample of a (tag, time) wins, as in the historian; text, NaN
    and bad quality do not count; times are taken at microseconds.
    """
    first: dict[tuple[str, str, int], TagSample] = {}
    for sample in samples:
        first.setdefault((sample.asset_ip, sample.tag, round(sample.time * 1e6)), sample)
    groups: dict[tuple[str, str, float], list[tuple[int, float]]] = {}
    step = round(width * 1e6)
    for (ip, tag, micros), sample in first.items():
        value = sample.value
        if isinstance(value, str) or sample.quality == "bad":
            continue
        number = float(value)
        if math.isnan(number):
            continue
        bucket = (micros - micros % step) / 1e6
        groups.setdefault((ip, tag, bucket), []).append((micros, number))
    out = {}
    for key, points in groups.items():
        numbers = [v for _, v in points]
        last = max(points)[1]
        out[key] = (len(numbers), min(numbers), max(numbers), sum(numbers) / len(numbers), last)
    return out
