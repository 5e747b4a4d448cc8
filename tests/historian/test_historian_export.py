"""Exports: CSV and Parquet of raw samples and of rollups, same columns in both."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from historian_support import T0, ts

from otm.historian import Historian
from otm.historian import export as export_module


@pytest.fixture
def hist(store_url: str) -> Iterator[Historian]:
    with Historian(store_url) as h:
        h.write(
            [
                ts(T0 + 0.25, tag="flow", value=1.5),
                ts(T0 + 1, tag="flow", value=math.nan, quality="uncertain"),
                ts(T0 + 2, tag="flow", value=2.5, quality="bad"),
                ts(T0 + 61, tag="flow", value=-3),
                ts(T0 + 1, tag="state", value='RUN, "auto"', ip="10.0.0.2"),
                ts(T0 + 1, tag="level", value=7.0, ip="10.0.0.3"),
                ts(T0 + 9999, tag="flow", value=1.0),  # outside the range
            ]
        )
        yield h


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_raw_csv(hist: Historian, tmp_path: Path) -> None:
    out = tmp_path / "raw.csv"
    assert hist.export_csv(out, T0, T0 + 3600) == 6
    rows = _csv(out)
    assert list(rows[0]) == ["asset_ip", "tag", "time", "value", "text", "quality"]
    assert [tuple(r.values()) for r in rows] == [
        ("10.0.0.1", "flow", "2026-01-01T00:00:00.250000Z", "1.5", "", "good"),
        ("10.0.0.1", "flow", "2026-01-01T00:00:01.000000Z", "NaN", "", "uncertain"),
        ("10.0.0.1", "flow", "2026-01-01T00:00:02.000000Z", "2.5", "", "bad"),
        ("10.0.0.1", "flow", "2026-01-01T00:01:01.000000Z", "-3.0", "", "good"),
        ("10.0.0.2", "state", "2026-01-01T00:00:01.000000Z", "", 'RUN, "auto"', "good"),
        ("10.0.0.3", "level", "2026-01-01T00:00:01.000000Z", "7.0", "", "good"),
    ]


def test_rollup_csv_of_chosen_tags(hist: Historian, tmp_path: Path) -> None:
    out = tmp_path / "minutes.csv"
    assert hist.export_csv(out, T0, T0 + 3600, tags=["flow", "state"], aggregate="1m") == 2
    assert [tuple(r.values()) for r in _csv(out)] == [
        ("10.0.0.1", "flow", "2026-01-01T00:00:00.000000Z", "1", "1.5", "1.5", "1.5", "1.5"),
        ("10.0.0.1", "flow", "2026-01-01T00:01:00.000000Z", "1", "-3.0", "-3.0", "-3.0", "-3.0"),
    ]
    assert list(_csv(out)[0]) == ["asset_ip", "tag", "start", "count", "min", "max", "avg", "last"]


def test_raw_parquet(hist: Historian, tmp_path: Path) -> None:
    out = tmp_path / "raw.parquet"
    assert hist.export_parquet(out, T0, T0 + 3600) == 6
    table = pq.read_table(out)
    assert table.column_names == ["asset_ip", "tag", "time", "value", "text", "quality"]
    rows = table.to_pylist()
    assert rows[0] == {
        "asset_ip": "10.0.0.1",
        "tag": "flow",
        "time": datetime(2026, 1, 1, 0, 0, 0, 250000, tzinfo=UTC),
        "value": 1.5,
        "text": None,
        "quality": "good",
    }
    assert math.isnan(rows[1]["value"])
    assert rows[1]["quality"] == "uncertain"
    assert (rows[4]["value"], rows[4]["text"]) == (None, 'RUN, "auto"')
    assert str(table.schema.field("time").type) == "timestamp[us, tz=UTC]"


def test_hourly_parquet(hist: Historian, tmp_path: Path) -> None:
    out = tmp_path / "hours.parquet"
    assert hist.export_parquet(out, T0, T0 + 3600, aggregate="1h") == 2
    rows = pq.read_table(out).to_pylist()
    assert rows == [
        {
            "asset_ip": "10.0.0.1",
            "tag": "flow",
            "start": datetime(2026, 1, 1, tzinfo=UTC),
            "count": 2,
            "min": -3.0,
            "max": 1.5,
            "avg": -0.75,
            "last": -3.0,
        },
        {
            "asset_ip": "10.0.0.3",
            "tag": "level",
            "start": datetime(2026, 1, 1, tzinfo=UTC),
            "count": 1,
            "min": 7.0,
            "max": 7.0,
            "avg": 7.0,
            "last": 7.0,
        },
    ]


def test_empty_exports_still_have_their_columns(hist: Historian, tmp_path: Path) -> None:
    assert hist.export_csv(tmp_path / "e.csv", 0, 1) == 0
    assert (tmp_path / "e.csv").read_text() == "asset_ip,tag,time,value,text,quality\n"
    assert hist.export_parquet(tmp_path / "e.parquet", 0, 1, aggregate="1m") == 0
    assert pq.read_table(tmp_path / "e.parquet").column_names[2] == "start"


def test_parquet_row_groups(
    hist: Historian, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "PARQUET_ROWS", 4)
    hist.write(ts(T0 + 100 + s, tag="many", value=float(s)) for s in range(10))
    out = tmp_path / "many.parquet"
    assert hist.export_parquet(out, T0, T0 + 3600, tags=["many"]) == 10
    assert pq.ParquetFile(out).metadata.num_row_groups == 3
    assert pq.read_table(out).column("value").to_pylist() == [float(s) for s in range(10)]


def test_iso_is_exact_before_and_after_1970() -> None:
    assert export_module.iso(-1) == "1969-12-31T23:59:59.999999Z"
    assert export_module.iso(1_767_225_600_123_456) == "2026-01-01T00:00:00.123456Z"


def test_bad_aggregate(hist: Historian, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aggregate"):
        hist.export_csv(tmp_path / "x.csv", 0, 1, aggregate="auto")
