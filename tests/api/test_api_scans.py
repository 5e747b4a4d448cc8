"""Console scans (``/api/v1/scans``, ``otm.services.scan_jobs``): only inside the console's
own allowlist, one at a time, engineers only, stored like ``otm scan`` - against a real
pymodbus device on loopback."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from otm.api.app import create_app
from otm.model.access import Role
from otm.services import access
from otm.services.scan import ScanOptions
from otm.services.scan_jobs import ScanJobs, ScanRefusedError, inside, parse_networks
from otm.store.combined import Store

POLLING = Path(__file__).resolve().parents[1] / "polling"
if str(POLLING) not in sys.path:  # the test folders are not packages
    sys.path.insert(0, str(POLLING))

from poll_support import HOST, REAL_DEVICES, DeviceProcess, free_port, python  # noqa: E402


def test_a_network_must_lie_inside_an_allowed_one() -> None:
    allowed = parse_networks(["10.1.0.0/16", "fd00::/64"])
    assert inside(parse_networks(["10.1.2.0/24", "10.1.0.7/32"]), allowed) == []
    outside = inside(parse_networks(["10.0.0.0/8", "10.2.0.0/24", "fd00::1/128"]), allowed)
    assert [str(n) for n in outside] == ["10.0.0.0/8", "10.2.0.0/24"]
    with pytest.raises(ScanRefusedError):
        parse_networks(["not-a-net"])


def test_a_console_without_an_allowlist_scans_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "otm.db") as store:
        jobs = ScanJobs(store, [])
        with pytest.raises(ScanRefusedError, match="allowed no network"):
            jobs.start(ScanOptions(allow=["127.0.0.1/32"]), "eng")
        with pytest.raises(ScanRefusedError, match="outside"):
            ScanJobs(store, ["127.0.0.0/30"]).plan(ScanOptions(allow=["127.0.0.0/24"]))
        assert jobs.jobs() == []


@pytest.fixture
def device() -> Iterator[int]:
    port = free_port()
    proc = DeviceProcess(
        python(REAL_DEVICES / "modbus_device.py", HOST, str(port), "Acme", "AC-1", "2.3", "PLC")
    ).start()
    try:
        yield port
    finally:
        proc.stop()


def _client(store: Store, role: Role) -> TestClient:
    client = TestClient(create_app(store, scan_allow=["127.0.0.1/32"]))
    access.add_user(store, f"u-{role.value}", role, time.time(), "a long password 1")
    _, token = access.create_token(store, f"u-{role.value}", "t", None, time.time())
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_an_engineer_scans_a_real_device_inside_the_allowlist(tmp_path: Path, device: int) -> None:
    with Store(tmp_path / "otm.db") as store:
        engineer = _client(store, Role.ENGINEER)
        body = {
            "allow": ["127.0.0.1/32"],
            "protocols": ["modbus"],
            "ports": {"modbus": device},
            "rate": 50,
            "device_rate": 20,
            "timeout": 2,
        }
        planned = engineer.post("/api/v1/scans", json={**body, "dry_run": True})
        assert planned.status_code == 200 and planned.json()["requests"]
        assert store.sources() == []  # a dry run sends and stores nothing
        wider = engineer.post("/api/v1/scans", json={**body, "allow": ["127.0.0.0/24"]})
        assert wider.status_code == 409 and "outside" in wider.json()["detail"]
        analyst = _client(store, Role.ANALYST)
        assert analyst.post("/api/v1/scans", json=body).status_code == 403
        started = engineer.post("/api/v1/scans", json=body)
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        deadline = time.monotonic() + 60
        while (job := engineer.get(f"/api/v1/scans/{job_id}").json())["state"] == "running":
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["state"] == "done", job
        assert [d["ip"] for d in job["found"]] == [HOST]
        (source,) = store.sources()
        assert (source.kind, source.key) == ("scan", job["source"])
        asset = store.load_inventory().find(HOST)
        assert asset is not None and asset.value("vendor") == "Acme"  # what the device says
        audit = [e.action for e in store.audit_entries(20)]
        assert "POST /api/v1/scans" in audit
