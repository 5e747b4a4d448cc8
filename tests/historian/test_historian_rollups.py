"""Rollups: per minute and per hour, kept exact by every write, equal to recomputing from raw."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import pytest
from historian_support import T0, reference, ts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.historian import Bucket, Historian, Level
from otm.historian.rollups import accumulate, coarsen, merge
from otm.observations.records import TagSample


@pytest.fixture
def hist(store_url: str) -> Iterator[Historian]:
    with Historian(store_url) as h:
        yield h


def _buckets(hist: Historian, level: str, tag: str = "flow", ip: str = "10.0.0.1") -> dict:
    series = hist.query(tag, -1e10, 1e11, level, asset_ip=ip)
    return {(ip, tag, b.start): (b.count, b.min, b.max, b.avg, b.last) for b in series.buckets}


def _same(got: dict, want: dict) -> None:
    """Equal, averages within float rounding (sums merge in another order)."""
    assert got.keys() == want.keys()
    for key, (n, lo, hi, avg, last) in want.items():
        gn, glo, ghi, gavg, glast = got[key]
        assert (gn, glo, ghi, glast) == (n, lo, hi, last), key
        assert gavg == pytest.approx(avg, rel=1e-12, abs=1e-12), key


def test_minute_and_hour_buckets(hist: Historian) -> None:
    samples = [ts(T0 + s, value=float(s)) for s in range(0, 7200, 10)]
    hist.write(samples)
    minutes = hist.query("flow", T0, T0 + 120, "1m").buckets
    assert minutes == (
        Bucket(T0, 6, 0.0, 50.0, 25.0, 50.0),
        Bucket(T0 + 60, 6, 60.0, 110.0, 85.0, 110.0),
    )
    hours = hist.query("flow", T0, T0 + 7200, "1h").buckets
    assert [(b.start, b.count, b.min, b.max, b.last) for b in hours] == [
        (T0, 360, 0.0, 3590.0, 3590.0),
        (T0 + 3600, 360, 3600.0, 7190.0, 7190.0),
    ]
    assert hours[0].avg == pytest.approx(1795.0)


def test_bucket_holding_start_is_included_whole(hist: Historian) -> None:
    hist.write([ts(T0 + s, value=float(s)) for s in range(120)])
    (bucket,) = hist.query("flow", T0 + 30, T0 + 60, "1m").buckets
    assert (bucket.start, bucket.count) == (T0, 60)
    assert hist.query("flow", T0 + 30, T0 + 60).samples[0].time == T0 + 30  # raw is exact


def test_last_is_the_latest_sample_whatever_the_write_order(hist: Historian) -> None:
    hist.write([ts(T0 + 50, value=5.0)])
    hist.write([ts(T0 + 10, value=1.0)])  # late, older sample
    hist.write([ts(T0 + 30, value=3.0), ts(T0 + 59.5, value=9.0), ts(T0 + 20, value=2.0)])
    (bucket,) = hist.query("flow", T0, T0 + 60, "1m").buckets
    assert (bucket.count, bucket.min, bucket.max, bucket.last) == (5, 1.0, 9.0, 9.0)
    assert bucket.avg == pytest.approx(4.0)
    (hour,) = hist.query("flow", T0, T0 + 60, "1h").buckets
    assert hour.last == 9.0


def test_duplicates_do_not_count_twice(hist: Historian) -> None:
    batch = [ts(T0 + s, value=float(s)) for s in range(60)]
    hist.write(batch)
    hist.write(batch)
    hist.write([ts(T0 + 5, value=1000.0)])  # same time, other value: first one stays
    (bucket,) = hist.query("flow", T0, T0 + 60, "1m").buckets
    assert (bucket.count, bucket.max) == (60, 59.0)


def test_text_bad_nan_and_infinity_stay_out_of_rollups(hist: Historian) -> None:
    hist.write(
        [
            ts(T0 + 0, value=2.0),
            ts(T0 + 1, value=1000.0, quality="bad"),
            ts(T0 + 2, value="FAULT"),
            ts(T0 + 3, value=math.nan),
            ts(T0 + 4, value=math.inf),
            ts(T0 + 5, value=-math.inf),
            ts(T0 + 6, value=4.0, quality="uncertain"),
            ts(T0 + 7, value=True),
        ]
    )
    (bucket,) = hist.query("flow", T0, T0 + 60, "1m").buckets
    assert bucket == Bucket(T0, 3, 1.0, 4.0, 7 / 3, 1.0)
    assert len(hist.query("flow", T0, T0 + 60)) == 8  # all kept raw


def test_a_tag_with_only_text_has_no_buckets(hist: Historian) -> None:
    hist.write([ts(T0 + s, tag="state", value="RUN") for s in range(10)])
    assert hist.query("state", T0, T0 + 60, "1m").buckets == ()
    assert hist.query("state", T0, T0 + 60, "1h").buckets == ()


def test_times_before_1970_fall_in_the_right_bucket(hist: Historian) -> None:
    hist.write([ts(-30.0, value=1.0), ts(-90.5, value=2.0), ts(0.0, value=3.0)])
    starts = [b.start for b in hist.query("flow", -200, 60, "1m").buckets]
    assert starts == [-120.0, -60.0, 0.0]


def test_rebuild_equals_incremental(hist: Historian) -> None:
    samples = [
        ts(
            T0 + s * 7.3,
            tag=f"t{s % 4}",
            value=math.sin(s) * 100,
            quality=("good", "bad")[s % 9 == 0],
        )
        for s in range(2000)
    ]
    backwards = samples[::-1]
    for start in range(0, len(backwards), 333):
        hist.write(backwards[start : start + 333])
    before = {
        (level, tag): _buckets(hist, level, tag) for level in ("1m", "1h") for tag in ("t0", "t3")
    }
    assert hist.rebuild_rollups() == sum(1 for s in samples if s.quality != "bad")
    for (level, tag), got in before.items():
        _same(got, _buckets(hist, level, tag))
        _same(got, reference([s for s in samples if s.tag == tag], 60 if level == "1m" else 3600))


def test_rebuild_repairs_damaged_rollups(hist: Historian) -> None:
    hist.write([ts(T0 + s, value=float(s)) for s in range(300)])
    with hist.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE historian_rollup_1m SET count = 1, max_value = -1")
        conn.exec_driver_sql("DELETE FROM historian_rollup_1h")
    assert hist.rebuild_rollups(T0, T0 + 300) == 300
    assert [b.count for b in hist.query("flow", T0, T0 + 300, "1m").buckets] == [60] * 5
    assert [b.count for b in hist.query("flow", T0, T0 + 300, "1h").buckets] == [300]


def test_rebuild_of_an_empty_historian(hist: Historian) -> None:
    assert hist.rebuild_rollups() == 0


# -- properties ------------------------------------------------------------------

_values = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.integers(-1000, 1000),
    st.booleans(),
    st.just(math.nan),
    st.sampled_from(["ON", "OFF"]),
)
_samples = st.lists(
    st.builds(
        lambda t, tag, v, q: ts(T0 + t / 4, tag=tag, value=v, quality=q),
        st.integers(0, 4 * 7500),
        st.sampled_from(["a", "b"]),
        _values,
        st.sampled_from(["good", "uncertain", "bad"]),
    ),
    max_size=120,
)
_device = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(samples=_samples, cuts=st.lists(st.integers(0, 120), max_size=4))
def test_any_batches_give_the_reference_rollups(
    hist: Historian, samples: list[TagSample], cuts: list[int]
) -> None:
    """Any samples, duplicates and order, cut into any batches: rollups equal the slow sum.

    One historian for all examples; each example writes as a device of its own.
    """
    ip = f"10.9.{next(_device)}.1"
    mine = [ts(s.time, s.tag, s.value, s.quality, ip) for s in samples]
    edges = [0, *sorted(cuts), len(mine)]
    for start, end in itertools.pairwise(edges):
        hist.write(mine[start:end])
    for tag in ("a", "b"):
        for level, width in (("1m", 60), ("1h", 3600)):
            want = reference([s for s in mine if s.tag == tag], width)
            _same(_buckets(hist, level, tag, ip), want)


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 10_000_000), st.floats(-1e9, 1e9)),
        max_size=60,
    ),
    st.integers(1, 59),
)
def test_partials_merge_like_one_pass(rows: list[tuple[int, int, float]], cut: int) -> None:
    """Accumulating in two parts then merging equals one pass (sums within rounding)."""
    rows = list({(tag, time): (tag, time, value) for tag, time, value in rows}.values())
    whole = accumulate(rows, 60_000_000)
    first, second = accumulate(rows[:cut], 60_000_000), accumulate(rows[cut:], 60_000_000)
    for key, partial in second.items():
        if key in first:
            merge(first[key], partial)
        else:
            first[key] = partial
    assert first.keys() == whole.keys()
    for key, (n, lo, hi, total, last, last_us) in whole.items():
        assert first[key][:3] == [n, lo, hi]
        assert first[key][4:] == [last, last_us]
        assert first[key][3] == pytest.approx(total, rel=1e-9, abs=1e-6)
    hours = coarsen(whole, 3_600_000_000)
    assert sum(p[0] for p in hours.values()) == len(rows)


def test_levels_are_named_as_the_api_takes_them() -> None:
    assert [level.value for level in Level] == ["raw", "1m", "1h"]
