"""Benchmark: historian insert rate and query times on SQLite or PostgreSQL.

Writes ``--tags`` tags sampled every second for ``--seconds`` seconds (the
issue's case is 1,000 tags for a day, 86.4 M samples; pass a size that fits
the machine), ``--batch`` seconds of all tags per ``Historian.write`` call,
as a poller would hand them over.  Values are smooth signals (a sine per
tag, seeded), so the rollups have something to do; one tag in fifty is a
text state and one sample in a thousand is bad.  Samples are built before
each timed call: the figure is the historian's (encode, check, insert,
rollups, commit), not the generator's.

Prints: samples/s overall and for the slowest tenth of the run (what is
sustained as the tables grow), then the median and max time over
``--queries`` tags of: the last hour raw, the whole range raw, the whole
range per minute and per hour, ``auto``; a CSV and a Parquet export of
all tags' minute rollups; a rollup rebuild of one hour; the database size
in bytes and per sample.  Figures only, nothing asserted.

Usage::

    python bench/historian.py --tags 1000 --seconds 3600
    python bench/historian.py --backend postgresql --tags 1000 --seconds 3600

PostgreSQL: a database ``otm_bench_<random>`` is created on ``--pg`` (an
admin URL, default the test server) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import make_url

from otm.historian import Historian, Retention
from otm.observations.records import Evidence, TagSample

T0 = 1_767_225_600.0
"""2026-01-01T00:00:00Z: the first sample's time."""

EVIDENCE = Evidence("poll", "bench")


def tag_names(tags: int) -> list[tuple[str, str, bool]]:
    """(asset_ip, tag, is_text): 20 tags a device."""
    return [
        (f"10.1.{i // 20 // 250}.{i // 20 % 250 + 1}", f"tag{i:05d}", i % 50 == 49)
        for i in range(tags)
    ]


def samples(
    names: list[tuple[str, str, bool]], first: int, seconds: int, seed: int
) -> list[TagSample]:
    """All tags for ``seconds`` seconds from second ``first``."""
    rng = random.Random(seed + first)
    out: list[TagSample] = []
    for second in range(first, first + seconds):
        at = T0 + second
        for index, (ip, tag, text) in enumerate(names):
            if text:
                value: float | str = ("RUN", "STOP", "FAULT")[(second // 600 + index) % 3]
            else:
                value = 50.0 + 40.0 * math.sin(second / 300.0 + index) + rng.random()
            quality = "bad" if rng.random() < 0.001 else "good"
            out.append(TagSample(at, ip, tag, value, quality, EVIDENCE))
    return out


@contextmanager
def database(backend: str, admin: str, keep: bool) -> Iterator[str]:
    """The URL of an empty database for the run."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="otm-bench-") as folder:
            path = Path(folder) / "historian.db"
            yield str(path)
            if keep:
                print(f"kept: {path} (the folder goes now; copy it first)")
        return
    name = f"otm_bench_{uuid.uuid4().hex[:10]}"
    conninfo = make_url(admin).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield make_url(admin).set(database=name).render_as_string(False)
        finally:
            if keep:
                print(f"kept: database {name}")
            else:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def size_bytes(hist: Historian, url: str, backend: str) -> int:
    """The database's size on disk (SQLite: file and WAL; PostgreSQL: historian tables)."""
    if backend == "sqlite":
        with hist.engine.connect() as conn:  # fold the WAL into the file first
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(url)
        return sum(p.stat().st_size for p in (path, Path(f"{url}-wal")) if p.exists())
    with hist.engine.connect() as conn:
        query = sa.text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "WHERE c.relname LIKE 'historian_%' AND c.relkind = 'r'"
        )
        return int(conn.execute(query).scalar_one())


def timed(run: Callable[[], object], repeat: int = 1) -> list[float]:
    """Seconds each of ``repeat`` runs took."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        out.append(time.perf_counter() - start)
    return out


def show(label: str, seconds: list[float], extra: str = "") -> None:
    """One line: median and max in milliseconds."""
    median, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
    print(f"  {label:<34} median {median:9.1f} ms   max {worst:9.1f} ms {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--tags", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--batch", type=int, default=10, help="seconds of samples per write")
    parser.add_argument("--queries", type=int, default=20, help="tags queried")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    names = tag_names(args.tags)
    total = args.tags * args.seconds
    print(
        f"historian bench: {args.backend}, {args.tags:,} tags x {args.seconds:,} s = "
        f"{total:,} samples, {args.batch} s ({args.batch * args.tags:,} samples) a write"
    )
    with database(args.backend, args.pg, args.keep) as url:
        hist = Historian(url, retention=Retention(raw=None, minute=None, hour=None))
        rates: list[float] = []
        spent = 0.0
        for first in range(0, args.seconds, args.batch):
            chunk = samples(names, first, min(args.batch, args.seconds - first), args.seed)
            start = time.perf_counter()
            stored = hist.write(chunk)
            took = time.perf_counter() - start
            spent += took
            rates.append(stored / took)
        rates.sort()
        slow = rates[: max(1, len(rates) // 10)]
        print(f"insert: {total / spent:,.0f} samples/s overall ({spent:.1f} s)")
        print(f"        {statistics.mean(slow):,.0f} samples/s in the slowest tenth of the writes")
        again = hist.write(samples(names, 0, min(args.batch, args.seconds), args.seed))
        print(f"        rewrite of the first batch stored {again} new samples (idempotent)")

        size = size_bytes(hist, url, args.backend)
        print(f"size:   {size:,} bytes, {size / total:.1f} bytes a sample (with rollups)")

        rng = random.Random(args.seed)
        numeric = [(ip, tag) for ip, tag, text in names if not text]
        picked = rng.sample(numeric, min(args.queries, len(numeric)))
        end = T0 + args.seconds
        last_hour = max(T0, end - 3600)
        print(f"queries over {len(picked)} tags:")
        for label, start, aggregate in (
            ("last hour raw", last_hour, None),
            ("whole range raw", T0, None),
            ("whole range 1m", T0, "1m"),
            ("whole range 1h", T0, "1h"),
            ("whole range auto", T0, "auto"),
        ):
            points: list[int] = []
            times: list[float] = []
            for ip, tag in picked:
                began = time.perf_counter()
                series = hist.query(tag, start, end, aggregate, asset_ip=ip)
                times.append(time.perf_counter() - began)
                points.append(len(series))
            show(label, times, f"({statistics.median(points):,.0f} points)")
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder)
            rows: list[int] = []
            show(
                "export 1m, all tags, CSV",
                timed(lambda: rows.append(hist.export_csv(out / "a.csv", T0, end, aggregate="1m"))),
                f"({rows[-1]:,} rows, {(out / 'a.csv').stat().st_size:,} bytes)",
            )
            show(
                "export 1m, all tags, Parquet",
                timed(
                    lambda: rows.append(
                        hist.export_parquet(out / "a.parquet", T0, end, aggregate="1m")
                    )
                ),
                f"({rows[-1]:,} rows, {(out / 'a.parquet').stat().st_size:,} bytes)",
            )
        counted: list[int] = []
        show(
            "rebuild rollups, first hour",
            timed(lambda: counted.append(hist.rebuild_rollups(T0, min(end, T0 + 3600)))),
            f"({counted[-1]:,} samples)",
        )
        hist.close()


if __name__ == "__main__":
    main()
