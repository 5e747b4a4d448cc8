"""Writing samples: values and qualities round-trip, writes are idempotent, bad input is refused."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from historian_support import T0, ts

from otm.historian import BATCH, Historian, Level, Sample


@pytest.fixture
def hist(store_url: str) -> Iterator[Historian]:
    with Historian(store_url) as h:
        yield h


def test_values_and_qualities_round_trip(hist: Historian) -> None:
    written = [
        ts(T0 + 0, value=1.5),
        ts(T0 + 1, value=-7),
        ts(T0 + 2, value=True, quality="uncertain"),
        ts(T0 + 3, value=False, quality="bad"),
        ts(T0 + 4, value="RUNNING"),
        ts(T0 + 5, value=math.inf),
        ts(T0 + 6, value=-math.inf),
        ts(T0 + 7, value=2**53),
        ts(T0 + 8, value=""),
        ts(T0 + 9, value="1.5"),  # text that looks like a number stays text
        ts(T0 + 10, value="Zürich ✓"),
    ]
    assert hist.write(written) == len(written)
    series = hist.query("flow", T0, T0 + 60)
    assert series.level is Level.RAW
    assert series.asset_ip == "10.0.0.1"
    assert [(s.value, s.quality) for s in series.samples] == [
        (1.5, "good"),
        (-7.0, "good"),
        (1.0, "uncertain"),
        (0.0, "bad"),
        ("RUNNING", "good"),
        (math.inf, "good"),
        (-math.inf, "good"),
        (float(2**53), "good"),
        ("", "good"),
        ("1.5", "good"),
        ("Zürich ✓", "good"),
    ]
    assert all(isinstance(s.value, float | str) for s in series.samples)


def test_nan_round_trips_as_nan(hist: Historian) -> None:
    hist.write([ts(T0, value=math.nan), ts(T0 + 1, value=2.0)])
    first, second = hist.query("flow", T0, T0 + 2).samples
    assert isinstance(first.value, float)
    assert math.isnan(first.value)
    assert second.value == 2.0


def test_times_keep_microseconds(hist: Historian) -> None:
    times = [T0 + 0.000001, T0 + 0.123456, T0 + 0.9999994, -1.5, 0.0]
    hist.write([ts(t) for t in times])
    back = [round(s.time * 1e6) for s in hist.query("flow", -10, T0 + 10).samples]
    whole = round(T0) * 1_000_000
    assert back == [-1_500_000, 0, whole + 1, whole + 123_456, whole + 999_999]


def test_nul_and_lone_surrogates_are_replaced_not_refused(hist: Historian) -> None:
    hist.write([ts(T0, value="AB\x00\x00"), ts(T0 + 1, value="bad\udcff byte")])
    values = [s.value for s in hist.query("flow", T0, T0 + 2).samples]
    assert values == ["AB\ufffd\ufffd", "bad\ufffd byte"]


def test_writing_the_same_samples_twice_stores_them_once(hist: Historian) -> None:
    batch = [ts(T0 + i, value=float(i)) for i in range(100)]
    assert hist.write(batch) == 100
    assert hist.write(batch) == 0
    assert hist.write([*batch[50:], ts(T0 + 100, value=100.0)]) == 1
    assert len(hist.query("flow", T0, T0 + 1000)) == 101


def test_first_value_of_a_tag_and_time_wins(hist: Historian) -> None:
    hist.write([ts(T0, value=1.0), ts(T0, value=2.0)])  # within one batch
    hist.write([ts(T0, value=3.0)])  # across batches
    assert [s.value for s in hist.query("flow", T0, T0 + 1).samples] == [1.0]


def test_same_tag_name_on_two_devices_is_two_tags(hist: Historian) -> None:
    hist.write([ts(T0, value=1.0, ip="10.0.0.1"), ts(T0, value=2.0, ip="10.0.0.2")])
    assert hist.tags() == [("10.0.0.1", "flow"), ("10.0.0.2", "flow")]
    with pytest.raises(ValueError, match=r"several devices \(10\.0\.0\.1, 10\.0\.0\.2\)"):
        hist.query("flow", T0, T0 + 1)
    series = hist.query("flow", T0, T0 + 1, asset_ip="10.0.0.2")
    assert series.samples == (Sample(T0, 2.0, "good"),)
    assert series.asset_ip == "10.0.0.2"


def test_unknown_tag_is_an_empty_series(hist: Historian) -> None:
    series = hist.query("nothing", T0, T0 + 1)
    assert len(series) == 0
    assert series.samples == () and series.buckets == ()


@pytest.mark.parametrize(
    ("sample", "words"),
    [
        (ts(T0, quality="GOOD"), "quality 'GOOD'"),
        (ts(T0, quality="stale"), "quality 'stale'"),
        (ts(T0, value=[1, 2]), "neither a number nor text"),  # type: ignore[arg-type]
        (ts(math.nan), "not a finite"),
        (ts(T0, value=10**400), "does not fit"),
    ],
)
def test_invalid_samples_are_refused_before_anything_is_written(
    hist: Historian, sample: object, words: str
) -> None:
    good = [ts(T0 + i) for i in range(5)]
    with pytest.raises(ValueError, match=words):
        hist.write([*good, sample])  # type: ignore[list-item]
    assert hist.pending == 0
    assert len(hist.query("flow", T0, T0 + 10)) == 0


def test_many_tags_over_several_batches(hist: Historian) -> None:
    samples = [
        ts(T0 + second, tag=f"t{i:03d}", value=float(second), ip=f"10.0.{i % 3}.1")
        for second in range(30)
        for i in range(700)
    ]
    assert len(samples) > 2 * BATCH
    assert hist.write(samples) == len(samples)
    assert len(hist.tags()) == 700
    assert [s.value for s in hist.query("t042", T0, T0 + 30).samples] == [
        float(s) for s in range(30)
    ]
    assert hist.write(samples[::7]) == 0


def test_two_historians_share_one_database(store_url: str) -> None:
    with Historian(store_url) as a, Historian(store_url) as b:
        assert a.write([ts(T0, tag="x"), ts(T0 + 1, tag="y")]) == 2
        assert b.write([ts(T0, tag="x"), ts(T0 + 2, tag="y"), ts(T0, tag="z")]) == 2
        assert a.write([ts(T0 + 3, tag="z")]) == 1
        assert a.tags() == b.tags() == [("10.0.0.1", "x"), ("10.0.0.1", "y"), ("10.0.0.1", "z")]


def test_empty_write_is_fine(hist: Historian) -> None:
    assert hist.write([]) == 0
    assert hist.flush() == 0


def test_a_generator_is_accepted(hist: Historian) -> None:
    assert hist.write(ts(T0 + i) for i in range(10)) == 10


def test_bad_arguments(store_url: str, hist: Historian) -> None:
    with pytest.raises(ValueError, match="batch"):
        Historian(store_url, batch=0)
    with pytest.raises(ValueError, match="buffer limit"):
        Historian(store_url, buffer_limit=0)
    with pytest.raises(ValueError, match="aggregate '5m'"):
        hist.query("flow", T0, T0 + 1, "5m")
    with pytest.raises(ValueError, match="aggregate 'raw'"):
        hist.query("flow", T0, T0 + 1, "raw")
