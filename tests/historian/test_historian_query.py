"""Queries: half-open ranges, fixed levels, and what ``auto`` picks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from historian_support import T0, ts

from otm.historian import Historian, Level, Retention
from otm.historian.query import AUTO_POINTS


@pytest.fixture
def hist(store_url: str) -> Iterator[Historian]:
    with Historian(store_url, retention=Retention(raw=3600, minute=86_400, hour=None)) as h:
        yield h


def test_raw_range_is_half_open(hist: Historian) -> None:
    hist.write([ts(T0 + s, value=float(s)) for s in range(10)])
    assert [s.value for s in hist.query("flow", T0 + 2, T0 + 5).samples] == [2.0, 3.0, 4.0]
    assert hist.query("flow", T0 + 5, T0 + 5).samples == ()
    assert hist.query("flow", T0 + 9, T0 + 2).samples == ()


def test_rollup_range_ends_before_end(hist: Historian) -> None:
    hist.write([ts(T0 + s, value=1.0) for s in range(0, 600, 5)])
    starts = [b.start - T0 for b in hist.query("flow", T0 + 59, T0 + 180, "1m").buckets]
    assert starts == [0.0, 60.0, 120.0]
    starts = [b.start - T0 for b in hist.query("flow", T0 + 59, T0 + 180.000001, "1m").buckets]
    assert starts == [0.0, 60.0, 120.0, 180.0]


def test_auto_gives_raw_for_a_short_range(hist: Historian) -> None:
    hist.write([ts(T0 + s, value=float(s)) for s in range(600)])
    series = hist.query("flow", T0, T0 + 600, "auto")
    assert series.level is Level.RAW
    assert len(series) == 600


def test_auto_goes_to_minutes_when_raw_has_too_many_points(hist: Historian) -> None:
    hist.write([ts(T0 + s / 2, value=float(s)) for s in range(2 * AUTO_POINTS)])
    assert hist.query("flow", T0, T0 + AUTO_POINTS / 2, "auto").level is Level.RAW
    series = hist.query("flow", T0, T0 + AUTO_POINTS, "auto")
    assert series.level is Level.MINUTE
    assert sum(b.count for b in series.buckets) == 2 * AUTO_POINTS


def test_auto_goes_to_hours_for_long_ranges(hist: Historian) -> None:
    hist.write([ts(T0 + h * 1800, value=float(h)) for h in range(48 * 40)])  # 40 days
    series = hist.query("flow", T0, T0 + 40 * 86_400, "auto")
    assert series.level is Level.HOUR
    assert len(series) == 40 * 24
    # Few samples fit raw, however long the range.
    assert hist.query("flow", T0, T0 + 20 * 86_400, "auto").level is Level.RAW


def test_auto_skips_a_level_retention_has_cut(hist: Historian) -> None:
    hist.write([ts(T0 + s * 10, value=float(s)) for s in range(720)])  # two hours, 10 s apart
    assert hist.query("flow", T0, T0 + 600, "auto").level is Level.RAW
    hist.apply_retention(now=T0 + 7200)  # keeps the last hour raw
    series = hist.query("flow", T0, T0 + 600, "auto")
    assert series.level is Level.MINUTE
    assert [b.count for b in series.buckets] == [6] * 10
    assert hist.query("flow", T0 + 3600, T0 + 4200, "auto").level is Level.RAW
    hist.apply_retention(now=T0 + 86_400 + 3600)  # minutes of the first hour gone too
    assert hist.query("flow", T0, T0 + 600, "auto").level is Level.HOUR


def test_empty_series_of_each_level(hist: Historian) -> None:
    hist.write([ts(T0, value=1.0)])
    for aggregate, level in ((None, Level.RAW), ("1m", Level.MINUTE), ("1h", Level.HOUR)):
        series = hist.query("flow", T0 + 7200, T0 + 9000, aggregate)
        assert series.level is level
        assert len(series) == 0


def test_long_series_come_in_pages(hist: Historian, monkeypatch: pytest.MonkeyPatch) -> None:
    from otm.historian import query as query_module

    monkeypatch.setattr(query_module, "FETCH", 7)
    hist.write([ts(T0 + s, value=float(s)) for s in range(200)])
    assert [s.value for s in hist.query("flow", T0 + 3, T0 + 199).samples] == [
        float(s) for s in range(3, 199)
    ]
    assert [b.count for b in hist.query("flow", T0, T0 + 200, "1m").buckets] == [60, 60, 60, 20]
    hist.write([ts(T0 + s * 60, value=1.0) for s in range(200, 300)])
    assert len(hist.query("flow", T0, T0 + 300 * 60, "1m").buckets) == 4 + 100
