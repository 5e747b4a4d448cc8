"""``otm scan`` against real device stacks in a namespaced plant, watched from the bridge.

pymodbus, python-snap7 (with real S7-300 SZL data) and cpppo run in their own
namespaces with vendor MACs (tests/live/plant_netns.py, tests/realdevices/*).
``otm scan`` runs in a fifth namespace and must identify each device, with its
MAC, while dumpcap on the bridge proves it sent nothing to the device left out
of the scope and no broadcast unless a broadcast domain was named.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import scan_support
from plant_netns import Plant, namespaces_available, plant

from otm.store import SqlStore

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(namespaces_available() is not None, reason=str(namespaces_available())),
    pytest.mark.skipif(shutil.which("dumpcap") is None, reason="needs dumpcap (tshark)"),
]

DEVICES = scan_support.TESTS / "realdevices"
SCAN = [sys.executable, str(Path(__file__).with_name("scan_cli.py")), "scan"]
CPPPO = """[Identity]
Vendor Number = 1
Device Type = 14
Product Code Number = 166
Product Revision = 2836
Serial Number = 19088743
Product Name = 1756-L83E/B
"""
MACS = {
    "modbus": "00:80:f4:00:00:10",  # Schneider Electric OUI      10.77.0.10
    "s7": "00:1b:1b:00:00:11",  # Siemens                          10.77.0.11
    "enip": "00:00:bc:00:00:12",  # Rockwell                       10.77.0.12
    "outside": "00:80:f4:00:00:13",  # a Modbus device not allowed 10.77.0.13
    "scanner": "02:00:00:00:00:14",  #                             10.77.0.14
}


@contextmanager
def devices(p: Plant, tmp: Path) -> Iterator[None]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    (tmp / "cpppo.cfg").write_text(CPPPO)
    procs: list[subprocess.Popen[str]] = []

    def start(name: str, argv: list[str], ready: bool = True) -> None:
        proc = subprocess.Popen(
            p.run_in(name, argv), cwd=tmp, env=env, text=True,
            stdout=subprocess.PIPE if ready else subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        procs.append(proc)
        if ready:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", f"{name} did not start"

    try:
        modbus = [sys.executable, str(DEVICES / "modbus_device.py")]
        start("modbus", [*modbus, p.ip("modbus"), "502", "Acme Controls", "AC-500", "2.7.1",
                         "Acme PLC 500"])  # fmt: skip
        start("outside", [*modbus, p.ip("outside"), "502", "Other", "X", "1.0", "Other PLC"])
        start("s7", [sys.executable, str(DEVICES / "s7_device.py"), p.ip("s7")])
        start("enip", [sys.executable, "-m", "cpppo.server.enip", "--config", "cpppo.cfg",
                       "--address", "0.0.0.0:44818", "SCADA=INT[10]"], ready=False)  # fmt: skip
        time.sleep(2.0)  # cpppo prints nothing when ready
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def bridge_capture(p: Plant, out: Path) -> Iterator[Path]:
    proc = subprocess.Popen(
        p.on_switch(["dumpcap", "-q", "-i", p.bridge, "-w", str(out)]),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("Capturing on"), line + proc.stderr.read()
        yield out
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


def packets(capture: Path) -> list[tuple[str, str, str]]:
    """(ip.dst, arp target, eth.dst) of every frame the scanner's MAC sent (outer headers)."""
    out = subprocess.run(
        ["tshark", "-n", "-r", str(capture), "-Y", f"eth.src == {MACS['scanner']}",
         "-T", "fields", "-E", "occurrence=f",
         "-e", "ip.dst", "-e", "arp.dst.proto_ipv4", "-e", "eth.dst"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return [tuple(line.split("\t")) for line in out.splitlines() if line.strip()]  # type: ignore[misc]


def scan(p: Plant, args: list[str]) -> dict[str, object]:
    done = subprocess.run(
        p.run_in("scanner", [*SCAN, *args, "--format", "json"]),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def test_scan_identifies_each_device_and_stays_inside_its_scope(tmp_path: Path) -> None:
    db = tmp_path / "scan.db"
    with plant(MACS) as p, devices(p, tmp_path):
        with bridge_capture(p, tmp_path / "bridge.pcapng") as capture:
            args = ["--allow", "10.77.0.10/31", "--allow", "10.77.0.12/32",
                    "--protocol", "modbus,enip,s7", "--timeout", "1", "--db", str(db)]  # fmt: skip
            data = scan(p, args)
        sent = packets(capture)
    found = {d["ip"]: d for d in data["devices"]}  # type: ignore[attr-defined]
    assert set(found) == {"10.77.0.10", "10.77.0.11", "10.77.0.12"}, data
    modbus, s7, enip = found["10.77.0.10"], found["10.77.0.11"], found["10.77.0.12"]
    assert modbus["protocols"] == ["modbus"] and modbus["mac"] == MACS["modbus"]
    assert modbus["fields"]["vendor"] == "Acme Controls"
    assert modbus["fields"]["firmware"] == "2.7.1"
    assert s7["protocols"] == ["s7comm"] and s7["mac"] == MACS["s7"]
    assert s7["fields"]["model"] == "CPU 315-2 PN/DP"
    assert s7["fields"]["serial"] == "S C-T7K123456789"
    assert enip["protocols"] == ["enip"] and enip["mac"] == MACS["enip"]
    assert enip["fields"]["model"] == "1756-L83E/B"
    assert enip["fields"]["serial"] == "0x01234567"
    assert enip["fields"]["vendor"] == "Rockwell Automation/Allen-Bradley"
    # Stayed inside: nothing to the device outside the scope, no IP or ARP broadcast.
    assert sent, "the capture saw the scan"
    assert {dst for dst, _, _ in sent if dst} <= {"10.77.0.10", "10.77.0.11", "10.77.0.12"}
    assert all(target != p.ip("outside") for _, target, _ in sent)
    assert not any(dst.endswith(".255") for dst, _, _ in sent)
    with SqlStore(db) as store:
        asset = store.asset("10.77.0.11")
        assert [s.kind for s in store.sources()] == ["scan"]
    assert asset is not None and MACS["s7"] in asset.macs
    assert asset.value("order_number") == "6ES7 315-2EH14-0AB0"


def test_broadcast_discovery_only_in_a_named_broadcast_domain(tmp_path: Path) -> None:
    with plant(MACS) as p, devices(p, tmp_path):
        with bridge_capture(p, tmp_path / "closed.pcapng") as closed:
            args = ["--allow", "10.77.0.0/24", "--target", p.ip("modbus"), "--protocol", "enip",
                    "--timeout", "1", "--db", str(tmp_path / "a.db")]  # fmt: skip
            quiet = scan(p, args)
        with bridge_capture(p, tmp_path / "open.pcapng") as open_:
            heard = scan(p, ["--allow", "10.77.0.0/24", "--broadcast", "10.77.0.0/24",
                             "--target", p.ip("modbus"), "--protocol", "enip", "--timeout", "1",
                             "--db", str(tmp_path / "b.db")])  # fmt: skip
        closed_sent = packets(closed)
        open_sent = packets(open_)
    assert quiet["devices"] == []
    assert not any(dst == "10.77.0.255" for dst, _, _ in closed_sent)
    assert any(dst == "10.77.0.255" for dst, _, _ in open_sent)
    found = {d["ip"]: d for d in heard["devices"]}  # type: ignore[attr-defined]
    assert list(found) == [p.ip("enip")], "found by broadcast, though not a target"
    assert found[p.ip("enip")]["fields"]["model"] == "1756-L83E/B"
