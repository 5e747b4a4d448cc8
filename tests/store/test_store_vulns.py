"""The advisories table on SQLite and PostgreSQL: a row per advisory id, replaced only
by a newer revision (the caller's rule, applied inside the write), listed without
their text unless asked, found and removed by id in any case.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace

import pytest

from otm.store.vulns import PutOutcome, StoredAdvisory, VulnStore

ROW = StoredAdvisory(
    id="ICSA-22-104-06",
    title="Siemens PROFINET Stack Integrated on Interniche Stack",
    publisher="CISA",
    revision="1",
    initial_release=1_649_721_600.0,
    current_release=1_649_721_600.0,
    vulnerabilities=1,
    products=72,
    cves=("CVE-2022-25622",),
    source="/data/icsa-22-104-06.json",
    sha256="a" * 64,
    imported_at=1_700_000_000.0,
    body='{"document": {"title": "Siemens PROFINET Stack – “quoted” ünïcode"}}',
)


def newer(candidate: StoredAdvisory, stored: StoredAdvisory) -> bool:
    return int(candidate.revision) > int(stored.revision)


@pytest.fixture
def store(store_url: str) -> Iterator[VulnStore]:
    opened = VulnStore(store_url)
    try:
        yield opened
    finally:
        opened.close()


def test_import_update_unchanged_kept(store: VulnStore) -> None:
    assert store.put_advisory(ROW, newer) is PutOutcome.IMPORTED
    assert store.put_advisory(ROW, newer) is PutOutcome.UNCHANGED
    same_revision_other_bytes = replace(ROW, sha256="b" * 64, title="edited by hand")
    assert store.put_advisory(same_revision_other_bytes, newer) is PutOutcome.KEPT
    second = replace(ROW, revision="2", sha256="c" * 64, cves=("CVE-2022-25622", "CVE-2022-1"))
    assert store.put_advisory(second, newer) is PutOutcome.UPDATED
    assert store.put_advisory(ROW, newer) is PutOutcome.KEPT  # the older one comes again
    stored = store.advisory("icsa-22-104-06")
    assert stored is not None
    assert (stored.revision, stored.cves, stored.title) == ("2", second.cves, ROW.title)


def test_round_trip_with_and_without_text(store: VulnStore) -> None:
    other = replace(ROW, id="ICSA-18-310-02", cves=(), body="{}")
    store.put_advisory(other, newer)
    store.put_advisory(ROW, newer)
    listed = store.advisories()
    assert [a.id for a in listed] == ["ICSA-18-310-02", "ICSA-22-104-06"]
    assert all(a.body == "" for a in listed)
    full = store.advisories(with_body=True)
    assert full[1] == ROW
    assert full[0].cves == ()


def test_unknown_and_removed(store: VulnStore) -> None:
    assert store.advisory("ICSA-00-000-00") is None
    assert store.delete_advisory("ICSA-00-000-00") is False
    store.put_advisory(ROW, newer)
    assert store.delete_advisory("icsa-22-104-06") is True
    assert store.advisories() == []


def test_concurrent_imports_of_one_id_leave_the_newest(store_url: str) -> None:
    revisions = [replace(ROW, revision=str(n), sha256=f"{n:064d}") for n in range(1, 9)]
    outcomes: list[PutOutcome] = []

    def put(row: StoredAdvisory) -> None:
        with closing(VulnStore(store_url)) as own:
            outcomes.append(own.put_advisory(row, newer))

    threads = [threading.Thread(target=put, args=(r,)) for r in revisions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with closing(VulnStore(store_url)) as check:
        stored = check.advisory(ROW.id)
    assert stored is not None and stored.revision == "8"
    assert outcomes.count(PutOutcome.IMPORTED) == 1
