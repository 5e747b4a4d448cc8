"""otm over a capture of a real EtherNet/IP stack: cpppo's server, pycomm3 as the client.

cpppo serves an Identity object configured as a ControlLogix controller;
pycomm3 sends ListIdentity and reads the Identity object (Get_Attributes_All).
dumpcap records it on ``lo``; otm must recover the identity both ways and
count the same encapsulation commands as tshark.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from loopback_capture import recording
from pycomm3 import CIPDriver

from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.observations.records import Identity, Operation
from otm.sensing.engine import PassiveEngine

HOST = "127.0.0.78"  # a loopback alias of our own
CONFIG = """[Identity]
Vendor Number = 1
Device Type = 14
Product Code Number = 166
Product Revision = 2836
Serial Number = 19088743
Product Name = 1756-L83E/B
"""
"""cpppo wants decimal integers; the revision packs major 20 in the low byte, minor 11 high."""


def wait_for_port(host: str, port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port}")


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    (tmp_path / "cpppo.cfg").write_text(CONFIG)
    out = tmp_path / "enip.pcapng"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cpppo.server.enip",
            "--config",
            "cpppo.cfg",
            "--address",
            f"{HOST}:44818",
            "SCADA=INT[10]",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with recording(f"host {HOST}", out):
            wait_for_port(HOST, 44818, 15)
            found = CIPDriver.list_identity(HOST)
            assert found and found["product_name"] == "1756-L83E/B"
            with CIPDriver(HOST) as driver:
                reply = driver.generic_message(
                    service=0x01,
                    class_code=1,
                    instance=1,
                    connected=False,
                    unconnected_send=False,
                    name="identity",
                )
                assert reply.error is None
            time.sleep(0.5)  # let the last packets reach the capture
    finally:
        server.terminate()
        server.wait(timeout=10)
    return out


def test_identity_and_commands_from_a_real_enip_stack(capture: Path, tshark: str) -> None:
    with open_capture(capture) as reader:
        result = PassiveEngine(ref=capture.name).run(reader)
    inv = build_inventory(result.observations)
    device = inv.find(HOST)
    assert device is not None
    assert device.value("vendor") == "Rockwell Automation/Allen-Bradley"
    assert device.value("model") == "1756-L83E/B"
    assert device.value("firmware") == "20.011"
    assert device.value("serial") == "0x01234567"
    assert device.role.value == "plc"
    said = {
        obs.evidence.message
        for obs in result.observations
        if isinstance(obs, Identity) and obs.ip == HOST and obs.fields.get("serial") == "0x01234567"
    }
    assert said == {"enip list_identity reply", "cip get_attributes_all identity reply"}
    ops = Counter()
    for obs in result.observations:
        if isinstance(obs, Operation) and obs.server_ip == HOST:
            ops[obs.name] += obs.count
    commands = subprocess.run(
        [
            tshark,
            "-n",
            "-r",
            str(capture),
            "-Y",
            f"enip && ip.dst == {HOST}",
            "-T",
            "fields",
            "-e",
            "enip.command",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    seen = Counter(int(c, 16) for c in commands)
    assert ops["list_identity"] == seen[0x63] >= 1
    assert ops["register_session"] == seen[0x65] >= 1
    assert ops["send_rr_data"] == seen[0x6F] >= 1
    assert ops["get_attributes_all"] >= 1
