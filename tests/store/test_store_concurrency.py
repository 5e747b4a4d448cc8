"""Several writers at once: each write is whole, none is lost or mixed with another."""

from __future__ import annotations

import threading
from collections.abc import Callable

from store_samples import big_inventory, observations, sample_inventory

from otm.model.assets import Inventory
from otm.store import SqlStore


def _together(jobs: list[Callable[[], None]]) -> list[BaseException]:
    """Run the jobs in threads released at the same moment; their exceptions."""
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_first_stores_of_one_key(store_url: str) -> None:
    with SqlStore(store_url) as store:

        def storing(n: int) -> Callable[[], None]:
            def job() -> None:
                store.put_source("capture", "same", f"{n}.pcap", n, observations(n), n)

            return job

        assert _together([storing(n) for n in (300, 700, 1100)]) == []
        (only,) = store.sources()
        assert only.key == "same"
        assert sum(1 for _ in store.observations()) == only.observations == only.packets


def test_concurrent_snapshot_saves_never_mix(store_url: str) -> None:
    one, two = sample_inventory(), big_inventory(300, 2000)
    with SqlStore(store_url) as store, SqlStore(store_url) as other:
        for _ in range(3):
            assert (
                _together([lambda: store.save_inventory(one), lambda: other.save_inventory(two)])
                == []
            )
            assert store.load_inventory() in (one, two)
        store.save_inventory(Inventory())
        assert other.load_inventory() == Inventory()
