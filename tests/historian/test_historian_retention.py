"""Retention: each level on its own horizon; aggregates survive their raw samples."""

from __future__ import annotations

import pytest
from historian_support import T0, ts

from otm.historian import Historian, Level, Retention
from otm.historian import retention as retention_module

HOUR, DAY = 3600.0, 86_400.0


def _fill(hist: Historian, hours: int) -> None:
    """Two tags, one sample a minute (value = minutes since T0), ``hours`` hours."""
    hist.write(
        ts(T0 + m * 60, tag=tag, value=float(m)) for m in range(hours * 60) for tag in ("a", "b")
    )


def test_defaults() -> None:
    policy = Retention()
    assert (policy.raw, policy.minute, policy.hour) == (7 * DAY, 90 * DAY, None)


@pytest.mark.parametrize("keep", [0, -1.0, float("nan")])
def test_horizons_must_be_positive(keep: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Retention(raw=keep)


def test_each_level_has_its_own_horizon(store_url: str) -> None:
    policy = Retention(raw=2 * HOUR, minute=4 * HOUR, hour=6 * HOUR)
    with Historian(store_url, retention=policy) as hist:
        _fill(hist, 8)
        deleted = hist.apply_retention(now=T0 + 8 * HOUR)
        assert deleted == {Level.RAW: 2 * 6 * 60, Level.MINUTE: 2 * 4 * 60, Level.HOUR: 2 * 2}
        raw = hist.query("a", T0, T0 + 9 * HOUR).samples
        assert (raw[0].time, len(raw)) == (T0 + 6 * HOUR, 120)
        minutes = hist.query("a", T0, T0 + 9 * HOUR, "1m").buckets
        assert (minutes[0].start, len(minutes)) == (T0 + 4 * HOUR, 240)
        hours = hist.query("a", T0, T0 + 9 * HOUR, "1h").buckets
        assert [b.start for b in hours] == [T0 + h * HOUR for h in range(2, 8)]
        # The hours whose raw samples are gone still hold their aggregates.
        assert (hours[0].count, hours[0].min, hours[0].max, hours[0].last) == (60, 120, 179, 179)
        assert hist.apply_retention(now=T0 + 8 * HOUR) == dict.fromkeys(Level, 0)


def test_a_bucket_goes_only_once_it_has_ended(store_url: str) -> None:
    with Historian(store_url, retention=Retention(raw=None, minute=HOUR, hour=HOUR)) as hist:
        _fill(hist, 3)
        hist.apply_retention(now=T0 + 2.5 * HOUR)  # cutoff in the middle of hour 1
        hours = hist.query("a", T0, T0 + 3 * HOUR, "1h").buckets
        assert [b.start for b in hours] == [T0 + HOUR, T0 + 2 * HOUR]
        minutes = hist.query("a", T0, T0 + 3 * HOUR, "1m").buckets
        assert minutes[0].start == T0 + 1.5 * HOUR  # the minute ending at the cutoff went
        assert len(hist.query("a", T0, T0 + 3 * HOUR).samples) == 180


def test_none_keeps_a_level_forever(store_url: str) -> None:
    with Historian(store_url, retention=Retention(raw=None, minute=None, hour=None)) as hist:
        _fill(hist, 2)
        assert hist.apply_retention(now=T0 + 1000 * DAY) == {}
        assert len(hist.query("b", T0, T0 + 2 * HOUR).samples) == 120


def test_purge_runs_in_turns_of_tags(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention_module, "TAGS_PER_TRANSACTION", 1)
    from otm.historian import historian as historian_module

    monkeypatch.setattr(historian_module, "TAGS_PER_TRANSACTION", 1)
    with Historian(store_url, retention=Retention(raw=HOUR, minute=None, hour=None)) as hist:
        _fill(hist, 2)
        assert hist.apply_retention(now=T0 + 2 * HOUR) == {Level.RAW: 120}


def test_rebuild_after_retention_keeps_purged_hours(store_url: str) -> None:
    with Historian(store_url, retention=Retention(raw=1.5 * HOUR, minute=None)) as hist:
        _fill(hist, 4)
        hist.apply_retention(now=T0 + 4 * HOUR)  # raw from T0 + 2.5 h
        before = hist.query("a", T0, T0 + 4 * HOUR, "1h").buckets
        hist.rebuild_rollups()
        assert hist.query("a", T0, T0 + 4 * HOUR, "1h").buckets == before
        assert [b.count for b in before] == [60, 60, 60, 60]


def test_cutoff_only_moves_forward(store_url: str) -> None:
    with Historian(store_url, retention=Retention(raw=HOUR, minute=None)) as hist:
        _fill(hist, 3)
        hist.apply_retention(now=T0 + 3 * HOUR)
        hist.apply_retention(now=T0 + 2 * HOUR)  # a clock gone back changes nothing
        with hist.engine.connect() as conn:
            cut = conn.exec_driver_sql("SELECT cutoff_us FROM historian_retention").scalar()
        assert cut == round((T0 + 2 * HOUR) * 1e6)
