"""Live probe tests in a namespaced plant: start real devices, run one probe, read back.

Builds on ``tests/live/plant_netns.py`` (imported, not copied) and the device
scripts in ``tests/realdevices``.  A probe runs inside a client namespace
through ``scan_probe_client.py`` (otm's registry, ``GuardedTransport`` around
the real ``AsyncioTransport``), which prints observations as JSON lines.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from live.plant_netns import Plant
from otm.observations.records import Identity, Observation
from otm.observations.serialization import loads

HERE = Path(__file__).parent
DEVICES = HERE.parent / "realdevices"
CLIENT = HERE / "scan_probe_client.py"
RESPONDER = HERE / "scan_dcp_responder.py"
PY = sys.executable
SNMPD = shutil.which("snmpd") or ("/usr/sbin/snmpd" if Path("/usr/sbin/snmpd").exists() else None)
"""Debian's net-snmp agent (``apt-get install snmpd``), the SNMP device of these tests."""

ENV = dict(os.environ, PYTHONUNBUFFERED="1")


def _wait_for(proc: subprocess.Popen[str], marker: str, what: str, timeout: float) -> None:
    """Read the device's output until a line holds ``marker``; fail with its output.

    A thread reads, so that a device that prints nothing never blocks the test;
    the thread then drains the rest of the output so the device never blocks
    on a full pipe.
    """
    stream = proc.stdout
    assert stream is not None
    seen: list[str] = []
    found = threading.Event()

    ended = threading.Event()

    def read() -> None:
        for line in stream:
            if not found.is_set():
                seen.append(line.rstrip())
                if marker in line:
                    found.set()
        ended.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not found.wait(0.1) and not ended.is_set() and time.monotonic() < deadline:
        pass
    if not found.is_set():
        proc.kill()
        raise AssertionError(f"{what} did not start: {seen[-20:]}")


@contextmanager
def devices() -> Iterator[list[subprocess.Popen[str]]]:
    """A list to put device processes in; each is ended (by its pid) on exit."""
    procs: list[subprocess.Popen[str]] = []
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def start(
    procs: list[subprocess.Popen[str]],
    p: Plant,
    host: str,
    argv: list[str],
    *,
    marker: str = "ready",
    what: str = "",
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 30.0,
) -> subprocess.Popen[str]:
    """Start ``argv`` in ``host``'s namespace and wait for ``marker`` on its output."""
    proc = subprocess.Popen(
        p.run_in(host, argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=env or ENV, cwd=cwd,
    )  # fmt: skip
    procs.append(proc)
    _wait_for(proc, marker, what or argv[-1], timeout)
    return proc


def bacnet_device(
    procs: list[subprocess.Popen[str]], p: Plant, host: str, instance: int = 1001
) -> None:
    """bacpypes3 device (vendor 999, model AHU-500, firmware 3.1.4) at ``host``."""
    argv = [PY, str(DEVICES / "bacnet_device.py"), f"{p.ip(host)}/24", str(instance), "999",
            "AHU-500", "3.1.4"]  # fmt: skip
    start(procs, p, host, argv, what="bacpypes3")


def opcua_device(procs: list[subprocess.Popen[str]], p: Plant, host: str) -> None:
    """asyncua server with a BuildInfo at ``host``:4840 (policy None, anonymous)."""
    argv = [PY, str(DEVICES / "opcua_device.py"), p.ip(host), "4840"]
    start(procs, p, host, argv, what="asyncua")


SNMPD_CONF = """\
agentAddress udp:{ip}:161
rocommunity plant-ro default
sysDescr Acme RTU-9 industrial router, firmware 5.1.2
sysObjectID .1.3.6.1.4.1.4329.6.1.2
sysLocation Substation 4, bay 2
sysContact ops@acme.example
sysName rtu-9
sysServices 78
createUser monitor
rouser -s usm monitor noauth
"""
"""net-snmp agent configuration: community ``plant-ro`` (not ``public``), a v3
user ``monitor`` allowed without authentication, a Siemens sysObjectID."""


def snmp_agent(procs: list[subprocess.Popen[str]], p: Plant, host: str, state: Path) -> None:
    """net-snmp's snmpd at ``host``:161, state (engine id, users) kept in ``state``."""
    assert SNMPD is not None
    state.mkdir(parents=True, exist_ok=True)
    conf = state / "snmpd.conf"
    conf.write_text(SNMPD_CONF.format(ip=p.ip(host)))
    env = dict(ENV, SNMP_PERSISTENT_DIR=str(state), MIBS="")
    argv = [SNMPD, "-f", "-Lo", "-C", "-c", str(conf), "-M", "/dev/null"]
    start(procs, p, host, argv, marker="NET-SNMP version", what="snmpd", env=env)


def dcp_device(
    procs: list[subprocess.Popen[str]], p: Plant, host: str, capture: Path, frame: int
) -> None:
    """A device answering DCP Identify with frame ``frame`` of ``capture`` (see the script)."""
    argv = [PY, str(RESPONDER), "eth0", str(capture), str(frame)]
    start(procs, p, host, argv, what="dcp responder")


def run_probe(
    p: Plant, host: str, spec: dict[str, Any], timeout: float = 120.0
) -> tuple[list[Observation], dict[str, int]]:
    """Run a probe from ``host``'s namespace; its observations and traffic counts."""
    done = subprocess.run(
        p.run_in(host, [PY, str(CLIENT), json.dumps(spec)]),
        capture_output=True, text=True, env=ENV, timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines and lines[-1].startswith('{"stats"'), done.stdout[-2000:] + done.stderr[-2000:]
    stats: dict[str, int] = json.loads(lines[-1])["stats"]
    return [loads(line) for line in lines[:-1]], stats


def identity(
    observations: Iterable[Observation], *, ip: str | None = None, mac: str | None = None
) -> dict[str, str | int]:
    """The identity fields the observations give a device (by ip or mac), merged."""
    fields: dict[str, str | int] = {}
    for obs in observations:
        if (
            isinstance(obs, Identity)
            and (ip is None or obs.ip == ip)
            and (mac is None or obs.mac == mac)
        ):
            fields.update(obs.fields)
    return fields


def run_scan(
    p: Plant, host: str, spec: dict[str, Any], timeout: float = 180.0
) -> tuple[list[Observation], dict[str, Any]]:
    """Run otm's whole scanner from ``host``'s namespace (``spec`` with ``protocols``
    and ``hosts``); its observations, and ``{"stats": ScanStats, "errors": [...]}``."""
    done = subprocess.run(
        p.run_in(host, [PY, str(CLIENT), json.dumps(spec)]),
        capture_output=True, text=True, env=ENV, timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines and lines[-1].startswith('{"stats"'), done.stdout[-2000:] + done.stderr[-2000:]
    summary: dict[str, Any] = json.loads(lines[-1])
    return [loads(line) for line in lines[:-1]], summary
