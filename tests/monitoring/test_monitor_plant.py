"""The whole chain on the demo plant in network namespaces, through otm's own command line.

Five devices over other libraries' stacks (pymodbus, python-snap7, cpppo,
bacpypes3, asyncua), each in its own namespace with a vendor MAC
(``otm.simulation``).  ``otm scan`` must identify each as its stack was
configured to present itself; ``otm monitor`` (a real process) polls their
tags while the test forces a value over its alarm limit, acknowledges from
another process, kills a device and restarts it; ``otm health``, ``otm
alarms`` and ``otm history`` must follow, and when the monitor is stopped
with SIGTERM every sample it received must be in the historian.  Then
``otm demo`` runs the same plant end to end and must leave nothing behind.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from otm.historian import Historian
from otm.simulation import RunningPlant

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]

IDENTITY = {
    # device: {inventory field: the spec's identity key it must show}
    "tank-plc": {"vendor": "vendor", "model": "model_name", "firmware": "revision"},
    "line-plc": {"model": "module_type", "firmware": "firmware", "serial": "serial"},
    "packer-plc": {"model": "product_name"},
    "ahu-1": {"vendor": "vendor_name", "model": "model_name", "firmware": "firmware"},
    "line-opcua": {"vendor": "manufacturer", "model": "product_name",
                   "firmware": "software_version"},
}  # fmt: skip
"""Which identity each stack was told to present, as the inventory names it."""

VENDORS = {"line-plc": "Siemens", "packer-plc": "Rockwell"}
"""Vendors the devices give as numbers or not at all (OUI / CIP vendor id 1)."""


def otm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "otm", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"otm {' '.join(args)} -> {done.returncode}: {done.stderr[-2000:]}")
    return done


def as_json(*args: str) -> Any:
    return json.loads(otm(*args, "--format", "json").stdout)


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def plant() -> Iterator[RunningPlant]:
    with RunningPlant(mode="netns") as running:
        yield running


def test_scan_identifies_and_monitor_follows_the_plant(plant: RunningPlant, tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    ips = {name: placed.ip for name, placed in plant.devices.items()}
    scan = ["scan", "--db", db, "--timeout", "1", "--retries", "0"]
    for network in plant.scan_allow():
        scan += ["--allow", network]
    for target in plant.scan_targets():
        scan += ["--target", target]
    otm(*scan)
    assets = {ip: a for a in as_json("assets", "--db", db) for ip in a["ips"]}
    for name, fields in IDENTITY.items():
        asset = assets[ips[name]]
        identity = plant.devices[name].device.identity
        for field, key in fields.items():
            assert asset[field] and identity[key] in asset[field], (name, field, asset[field])
        if name in VENDORS:
            assert VENDORS[name] in asset["vendor"], (name, asset["vendor"])
        assert asset["macs"] == [plant.devices[name].device.mac.lower()]

    tags = tmp_path / "tags.yaml"
    alarms = tmp_path / "alarms.yaml"
    tags.write_text(plant.tags_yaml(interval=0.25, timeout=1.0), encoding="utf-8")
    alarms.write_text(plant.alarms_yaml(), encoding="utf-8")
    monitor = subprocess.Popen(
        [sys.executable, "-m", "otm", "monitor", str(tags), "--alarms", str(alarms),
         "--db", db, "--flush", "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:

        def health() -> dict[str, str]:
            return {h["address"]: h["state"] for h in as_json("health", "--db", db)}

        def alarm(point: str) -> str | None:
            listed = as_json("alarms", "list", "--all", "--db", db)
            found = [a["state"] for a in listed if a["alarm"].split("#")[0] == point]
            return found[0] if found else None

        wait_for("every device up", lambda: set(health().values()) == {"up"}
                 and len(health()) == len(ips))  # fmt: skip

        plant.set("tank-plc", "TK1.LEVEL", 97.0)
        wait_for("HIHI", lambda: alarm("tank-level.hihi") == "unacknowledged")
        acked = otm("alarms", "ack", "tank-level.hihi", "--user", "ana", "--db", db)
        assert "unacknowledged -> acknowledged" in acked.stdout
        assert alarm("tank-level.hihi") == "acknowledged"

        plant.kill("line-plc")
        wait_for("line-plc down", lambda: health()[ips["line-plc"]] == "down")
        wait_for("its alarm", lambda: alarm("line-plc-down") == "unacknowledged")
        plant.restart("line-plc")
        wait_for("line-plc up again", lambda: health()[ips["line-plc"]] == "up")
        plant.release("tank-plc", "TK1.LEVEL")
        wait_for("HIHI back to normal", lambda: alarm("tank-level.hihi") == "normal")
    finally:
        monitor.send_signal(signal.SIGTERM)
        out, err = monitor.communicate(timeout=60)
    assert monitor.returncode == 0, err[-3000:]
    counts = re.search(r"(\d+) samples \((\d+) stored, (\d+) held, (\d+) dropped\)", out)
    assert counts is not None, out
    received, stored, held, dropped = (int(g) for g in counts.groups())
    assert received > 100 and stored == received and held == 0 and dropped == 0

    with Historian(db) as historian:
        in_store = sum(
            len(historian.query(tag, 0, time.time() + 60, None, asset_ip=ip))
            for ip, tag in historian.tags()
        )
        level = historian.query("TK1.LEVEL", 0, time.time() + 60, None).samples
    assert in_store == received
    assert 97.0 in {s.value for s in level}
    changes = [
        c["state"] for c in as_json("health", "--changes", "--device", ips["line-plc"], "--db", db)
    ]
    assert changes[0] == "up" and "down" in changes and changes[-1] == "up"
    journal = as_json("alarms", "journal", "--alarm", "tank-level", "--db", db)
    assert [e["user"] for e in journal if e["change"].endswith("-> acknowledged")] == ["ana"]
    polled = as_json("assets", "--db", db)
    assert {a["health"]["state"] for a in polled if a["health"]} == {"up"}


def _leftovers() -> list[str]:
    def out(*argv: str) -> str:
        return subprocess.run(argv, check=False, capture_output=True, text=True).stdout

    namespaces = out("ip", "netns", "list")
    links = out("ip", "-o", "link")
    procs = out("pgrep", "-f", "otm.simulation.serve")
    return [line for line in (namespaces + links).splitlines() if "otmdemo-" in line] + [
        p for p in procs.split() if p
    ]


def test_otm_demo_runs_end_to_end_and_leaves_nothing(tmp_path: Path) -> None:
    before = _leftovers()
    db = str(tmp_path / "demo.db")
    done = otm("demo", "--db", db, "--folder", str(tmp_path / "demo"), "--duration", "14")
    assert "demo plant stopped" in done.stderr
    assert (tmp_path / "demo" / "tags.yaml").is_file()
    assets = as_json("assets", "--db", db)
    identified = [a for a in assets if a["vendor"] and a["model"]]
    assert len(identified) == 5, [(a["ips"], a["vendor"], a["model"]) for a in assets]
    assert all(a["health"] and a["health"]["state"] == "up" for a in identified)
    links = as_json("links", "--db", db)
    assert {lk["protocol"] for lk in links} >= {"modbus", "s7comm", "enip", "bacnet", "opcua"}
    journal = as_json("alarms", "journal", "--alarm", "tank-level.hihi", "--db", db)
    assert any(e["user"] == "operator" for e in journal), journal
    assert _leftovers() == before
