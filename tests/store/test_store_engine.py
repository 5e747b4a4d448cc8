"""Database locations: which backend and driver each form of URL or path selects."""

from __future__ import annotations

from pathlib import Path

import pytest

from otm.store import StoreError
from otm.store.engine import database_url, display, is_sqlite


@pytest.mark.parametrize(
    ("location", "database"),
    [
        ("otm.db", "otm.db"),
        ("/var/lib/otm/otm.db", "/var/lib/otm/otm.db"),
        ("sqlite:///relative/otm.db", "relative/otm.db"),
        ("sqlite:////absolute/otm.db", "/absolute/otm.db"),
        ("sqlite+pysqlite:////absolute/otm.db", "/absolute/otm.db"),
        (Path("/srv/otm.db"), "/srv/otm.db"),
    ],
)
def test_sqlite_locations(location: str | Path, database: str) -> None:
    url = database_url(location)
    assert is_sqlite(url)
    assert url.drivername == "sqlite+pysqlite"
    assert url.database == database


@pytest.mark.parametrize(
    "location",
    [
        "postgresql://otm:pw@db.plant:5433/otm",
        "postgres://otm:pw@db.plant:5433/otm",
        "postgresql+psycopg://otm:pw@db.plant:5433/otm",
    ],
)
def test_postgresql_locations_use_psycopg(location: str) -> None:
    url = database_url(location)
    assert not is_sqlite(url)
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "otm",
        "pw",
        "db.plant",
        5433,
        "otm",
    )
    assert "pw" not in display(url)


@pytest.mark.parametrize(
    "location",
    ["", "mysql://root@localhost/otm", "oracle+cx://x", "postgresql+psycopg2://u@h/db", "x://"],
)
def test_unsupported_locations(location: str) -> None:
    with pytest.raises(StoreError):
        database_url(location)
