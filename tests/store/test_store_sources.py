"""Sources and their observations: storing, replacing by key, streaming back in order."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from store_samples import observations

from otm.model.repository import Source
from otm.observations.records import Observation
from otm.observations.serialization import dumps
from otm.store import SqlStore


def test_put_source_then_find_it(store_url: str) -> None:
    obs = observations(12)
    with SqlStore(store_url) as store:
        assert store.find_source("sha-a") is None
        put = store.put_source("capture", "sha-a", "plant.pcap", 345, obs, 1_700_000_123.25)
        assert put == Source(put.id, "capture", "sha-a", "plant.pcap", 345, 12, 1_700_000_123.25)
        assert store.find_source("sha-a") == put
        assert store.sources() == [put]
        assert list(store.observations()) == obs


def test_error_of_a_source_is_kept(store_url: str) -> None:
    with SqlStore(store_url) as store:
        put = store.put_source("capture", "k", "bad.pcap", 3, [], 5.0, error="truncated record")
        assert put.observations == 0
        assert store.find_source("k") == put
        assert put.error == "truncated record"


def test_observations_keep_type_and_time_columns(store_url: str) -> None:
    """The copied-out columns agree with the bodies they came from."""
    obs = observations(6)
    with SqlStore(store_url) as store:
        store.put_source("capture", "k", "plant.pcap", 6, obs, 1.0)
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT seq, type, time, body FROM observations ORDER BY seq")
            ).all()
    assert [row.body for row in rows] == [dumps(o) for o in obs]
    assert [row.seq for row in rows] == list(range(6))
    assert [row.type for row in rows] == [
        "asset_seen",
        "identity",
        "communication",
        "operation",
        "parse_anomaly",
        "tag_sample",
    ]
    assert [row.time for row in rows] == [
        getattr(o, "time", None) or getattr(o, "first_seen", None) for o in obs
    ]


def test_same_key_replaces_observations_and_keeps_place(store_url: str) -> None:
    first, second, redo = observations(5, "a.pcap"), observations(3, "b.pcap"), observations(2)
    with SqlStore(store_url) as store:
        a = store.put_source("capture", "sha-a", "a.pcap", 50, first, 10.0)
        b = store.put_source("capture", "sha-b", "b.pcap", 30, second, 20.0)
        again = store.put_source("capture", "sha-a", "a-renamed.pcap", 51, redo, 30.0)
        assert again.id == a.id
        assert again == Source(a.id, "capture", "sha-a", "a-renamed.pcap", 51, 2, 30.0)
        assert store.sources() == [again, b]
        # The replaced source keeps its place in the replay order.
        assert list(store.observations()) == redo + second
        with store.engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM observations")).scalar()
        assert count == 5


def test_stream_sees_one_state_while_a_writer_adds(store_url: str) -> None:
    with SqlStore(store_url) as store:
        store.put_source("capture", "k1", "a.pcap", 1, observations(3000), 1.0)
        stream = store.observations()
        head = [next(stream) for _ in range(10)]
        store.put_source("capture", "k2", "b.pcap", 1, observations(7), 2.0)
        rest = list(stream)
        assert len(head) + len(rest) == 3000
        assert len(list(store.observations())) == 3007


def test_abandoned_stream_releases_its_connection(store_url: str) -> None:
    with SqlStore(store_url) as store:
        store.put_source("capture", "k1", "a.pcap", 1, observations(50), 1.0)
        for _ in range(20):  # more than the pool holds, were connections leaked
            stream = store.observations()
            next(stream)
            stream.close()
        assert store.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_observations_are_consumed_lazily(store_url: str) -> None:
    """A generator source is read batch by batch, not materialised first."""
    produced: list[int] = []

    def lazy() -> Iterator[Observation]:
        for i, obs in enumerate(observations(12_000)):
            produced.append(i)
            yield obs

    with SqlStore(store_url) as store:
        put = store.put_source("capture", "k", "x.pcap", 1, lazy(), 1.0)
        assert put.observations == 12_000 == len(produced)
        assert sum(1 for _ in store.observations()) == 12_000


FULL_SIZE = bool(os.environ.get("OTM_STORE_FULL_SIZE"))
"""Run the bulk checks at the target sizes (slow: tens of seconds on two cores)."""


@pytest.mark.parametrize(
    "count",
    [
        25_000,
        pytest.param(
            100_000,
            marks=[
                pytest.mark.slow,
                pytest.mark.skipif(not FULL_SIZE, reason="set OTM_STORE_FULL_SIZE=1"),
            ],
        ),
    ],
)
def test_bulk_observations(store_url: str, count: int, capsys: pytest.CaptureFixture[str]) -> None:
    """Sanity of the bulk path: many observations go in and come back, in order."""
    obs = observations(count)
    with SqlStore(store_url) as store:
        start = time.perf_counter()
        put = store.put_source("capture", "big", "big.pcap", count, obs, 1.0)
        stored = time.perf_counter() - start
        start = time.perf_counter()
        back = list(store.observations())
        read = time.perf_counter() - start
    assert put.observations == count
    assert back == obs
    with capsys.disabled():
        print(f"\n[{store_url}] {count} observations: put {stored:.2f}s, read {read:.2f}s")
