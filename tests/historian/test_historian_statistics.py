"""PostgreSQL's statistics follow a growing historian, so the planner knows a tag's size.

Measured before this: a freshly loaded day of 200 tags, never analysed,
made the planner sort each tag's 86,400 rows for every page (932 ms a
tag); once analysed it walks the primary key (13 ms a page).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from historian_support import T0, ts

from db_fixtures import _empty_postgres
from otm.historian import Historian
from otm.historian.historian import ANALYZE_MIN


@pytest.fixture
def pg_url(postgres_database: str) -> str:
    _empty_postgres(postgres_database)
    return postgres_database


def _analysed(hist: Historian) -> bool:
    with hist.engine.connect() as conn:
        when = conn.execute(
            sa.text(
                "SELECT coalesce(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
                "WHERE relname = 'historian_samples'"
            )
        ).scalar()
    return when is not None


@pytest.mark.postgres
def test_a_growing_table_gets_analysed(pg_url: str) -> None:
    tags = 50
    seconds = ANALYZE_MIN // tags + 200
    with Historian(pg_url) as hist:
        hist.write([ts(T0 + s, f"t{i}", float(s)) for s in range(100) for i in range(tags)])
        assert not _analysed(hist)  # 5,000 samples: not yet
        for start in range(100, seconds, 200):
            hist.write(
                [ts(T0 + s, f"t{i}", float(s)) for s in range(start, start + 200)
                 for i in range(tags)]
            )  # fmt: skip
        assert _analysed(hist)
        written = 100 + 200 * len(range(100, seconds, 200))
        with hist.engine.connect() as conn:
            tag_id = conn.execute(
                sa.text("SELECT id FROM historian_tags WHERE tag = 't7'")
            ).scalar_one()
            plan = conn.execute(
                sa.text(
                    "EXPLAIN (FORMAT JSON) SELECT time_us, value FROM historian_samples "
                    "WHERE tag_id = :t AND time_us >= 0"
                ),
                {"t": tag_id},
            ).scalar_one()
        estimate = plan[0]["Plan"]["Plan Rows"]
        # The statistics know a tag has thousands of rows, not the few hundred of an
        # empty table's defaults: the planner's estimate is within a factor of two.
        assert written / 2 <= estimate <= written * 2, (estimate, written)
        assert len(hist.query("t7", T0, T0 + written, None)) == written
