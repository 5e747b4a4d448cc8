"""The console's API under test: the real application (``otm.api.app.create_app``) over a
real store, through FastAPI's ``TestClient``.

The store holds what a user has after analysing two shared captures with otm's own
services and running detection: ``snap7_s300_everything.pcapng`` (an engineering
workstation stopping, restarting and uploading from an S7-300, so alerts) and
``mb2.pcap`` (a SCADA server polling some thirty Modbus, S7 and EtherNet/IP devices),
then a plant file (``PLANT``: two declared zones, a process), the health of two polled
devices, and one user of each role (``USERS``).  Tests read their expectations from that
store, never from figures copied from a run.

``api`` gives each test a fresh copy, on SQLite and on PostgreSQL (``store_url``);
``shared_api`` one copy a module on each backend, for tests that change nothing (a
PostgreSQL store takes a second or two to make: migrations and analysis);
``sqlite_api`` a fresh copy on SQLite only, for what does not depend on the database.

argon2id at its RFC 9106 parameters takes about 0.4 s a hash or a check on the two-core
test machine; these tests are about the API, not the hash (``tests/access`` keeps the
real parameters), so ``cheap_hashing`` gives argon2id its smallest cost while a test
runs, and the template store is made with it too.
"""

from __future__ import annotations

import ipaddress
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy.engine import make_url

from otm.api.app import API, create_app
from otm.api.security import COOKIE, CSRF_HEADER
from otm.model.access import Role
from otm.model.plant import Level, PlantConfig, ProcessSpec, Selector, ZoneSpec
from otm.observations.records import DeviceHealth, Evidence
from otm.services import access
from otm.services.analysis import analyze_captures
from otm.services.detection import detect_sources
from otm.store.combined import Store

PCAPS = Path(__file__).resolve().parents[2].parent / "shared" / "pcaps"
CAPTURES = ("snap7_s300_everything.pcapng", "mb2.pcap")

T0 = 1_800_000_000.0
"""When the captures were analysed (the sources' ``added_at``)."""

CELL, LAB = "141.81.0.0/24", "134.217.61.0/24"
PROCESS = ("Acme", "Works", "Line1")
PLANT = PlantConfig(
    zones=[
        ZoneSpec("cell", Level.BASIC_CONTROL, subnets=[CELL]),
        ZoneSpec("lab", subnets=[LAB]),
    ],
    processes=[ProcessSpec(PROCESS, 4, [Selector("cidr", "141.81.0.0/28")])],
)
"""The plant file: zone ``cell`` (level 1) holds mb2's network, ``lab`` the S7-300's."""

USERS: dict[Role, tuple[str, str]] = {
    role: (role.value, f"{role.value} pass phrase") for role in Role
}
"""A user of each role: name and password."""

HEALTH_STATES = ("up", "down")
"""The states given to the first two Modbus devices of the inventory (``seed``)."""

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@contextmanager
def cheap_hashes() -> Iterator[None]:
    """argon2id at its lowest cost inside the block (module docstring)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(access, "_hasher", CHEAP)
        yield


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    """argon2id at its lowest cost for the duration of a test (module docstring)."""
    with cheap_hashes():
        yield


def modbus_servers(store: Store) -> list[str]:
    """The addresses of the inventory's Modbus servers, in address order."""
    ips = [
        ip
        for a in store.load_inventory().assets.values()
        if any(s.name == "modbus" and s.role == "server" for s in a.services)
        for ip in a.ips
    ]
    return sorted(ips, key=ipaddress.ip_address)


def seed(store: Store) -> None:
    """Fill an empty store as the module docstring says."""
    with cheap_hashes():
        analyze_captures([PCAPS / c for c in CAPTURES], store, T0)
        detect_sources(store, [s.key for s in store.sources()], T0)
        store.save_plant_config(PLANT)
        polled = modbus_servers(store)[: len(HEALTH_STATES)]
        store.record_health(
            DeviceHealth(T0 + 10, ip, state, 10, 0, 10 * (state == "down"), None, None,
                         Evidence("poll", "api-tests"), "modbus")
            for ip, state in zip(polled, HEALTH_STATES, strict=True)
        )  # fmt: skip
        for role, (name, password) in USERS.items():
            access.add_user(store, name, role, T0, password)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database seeded once (``seed``), copied for each test."""
    path = tmp_path_factory.mktemp("api") / "template.db"
    with Store(f"sqlite:///{path}") as store:
        seed(store)
    return path


def copy_template(template: Path, url: str) -> None:
    """Put a copy of the template at an ``sqlite:///`` URL."""
    target = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{template}{suffix}").exists():
            shutil.copy(f"{template}{suffix}", f"{target}{suffix}")


@dataclass
class Browser:
    """A signed-in browser: its own cookie jar, and the CSRF token the sign-in gave."""

    client: TestClient
    csrf: str

    def call(self, method: str, path: str, *, csrf: bool = True, **kwargs: Any) -> Any:
        """A request under ``/api/v1`` with the session cookie (and the CSRF header)."""
        headers = {CSRF_HEADER: self.csrf} if csrf else {}
        return self.client.request(method, API + path, headers=headers, **kwargs)


@dataclass
class Api:
    """The application over one store, with a token of each role on demand."""

    app: FastAPI
    client: TestClient
    store: Store
    tokens: dict[Role, str] = field(default_factory=dict)

    def token(self, role: Role = Role.ADMIN) -> dict[str, str]:
        """An ``Authorization`` header with a token of the user of ``role``."""
        if role not in self.tokens:
            _, text = access.create_token(self.store, USERS[role][0], f"{role} token", None, T0)
            self.tokens[role] = text
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def call(self, method: str, path: str, who: Role | None = Role.ADMIN, **kwargs: Any) -> Any:
        """A request under ``/api/v1`` with a token of role ``who`` (None: no credentials)."""
        headers = {**(self.token(who) if who is not None else {}), **kwargs.pop("headers", {})}
        return self.client.request(method, API + path, headers=headers, **kwargs)

    def get(self, path: str, /, who: Role = Role.ADMIN, **params: Any) -> Any:
        """The JSON of a GET as ``who`` that must succeed."""
        response = self.call("GET", path, who, params=params)
        assert response.status_code == 200, f"GET {path} {params}: {response.text}"
        return response.json()

    def sign_in(self, name: str, password: str) -> Browser:
        """A new browser signed in as ``name``."""
        client = TestClient(self.app)
        response = client.post(f"{API}/session", json={"name": name, "password": password})
        assert response.status_code == 200, response.text
        assert client.cookies.get(COOKIE)
        return Browser(client, response.json()["csrf"])

    def browser(self, role: Role) -> Browser:
        """A new browser signed in as the user of ``role``."""
        return self.sign_in(*USERS[role])


@contextmanager
def console_over(store: Store) -> Iterator[Api]:
    """The application over ``store`` (closed with it)."""
    app = create_app(store)
    with TestClient(app) as client:
        yield Api(app, client, store)


@pytest.fixture
def api(store_url: str, template: Path) -> Iterator[Api]:
    """A fresh seeded store and its console, on each backend."""
    if store_url.startswith("sqlite:///"):
        copy_template(template, store_url)
        store = Store(store_url)
    else:
        store = Store(store_url)
        seed(store)
    with console_over(store) as console:
        yield console


@contextmanager
def extra_database(base: str, suffix: str) -> Iterator[str]:
    """A new PostgreSQL database beside ``base`` (a URL), dropped afterwards: its URL."""
    url = make_url(base)
    name = f"{url.database}_{suffix}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(
    scope="module",
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def shared_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, template: Path
) -> Iterator[Api]:
    """A seeded store and its console shared by a module's tests that change nothing."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'otm.db'}"
        copy_template(template, url)
        with console_over(Store(url)) as console:
            yield console
        return
    base: str = request.getfixturevalue("postgres_database")
    with extra_database(base, "shared") as url:
        store = Store(url)
        seed(store)
        with console_over(store) as console:
            yield console


@pytest.fixture
def sqlite_api(tmp_path: Path, template: Path) -> Iterator[Api]:
    """A fresh seeded store and its console, on SQLite only."""
    url = f"sqlite:///{tmp_path / 'otm.db'}"
    copy_template(template, url)
    with console_over(Store(url)) as console:
        yield console


def audit_entries(store: Store, n: int = 1000) -> list[Any]:
    """The newest audit entries, oldest first."""
    return list(reversed(store.audit_entries(n)))
