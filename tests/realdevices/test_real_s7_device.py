"""otm over a capture of a real S7comm stack: python-snap7's server and client.

The snap7 client connects to rack 0 slot 2 and reads the identification SZLs
(0x0011, 0x001C) from a snap7 server answering like an S7-300 CPU; dumpcap
records it on ``lo``; otm must recover order number, firmware, serial, name
and module type, the rack/slot component, and the same SZL reads as tshark.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import snap7
from loopback_capture import recording

from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.observations.records import Operation
from otm.sensing.engine import PassiveEngine

HERE = Path(__file__).parent
HOST = "127.0.0.79"  # a loopback alias of our own


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    out = tmp_path / "s7.pcapng"
    device = subprocess.Popen(
        [sys.executable, str(HERE / "s7_device.py"), HOST],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with recording(f"host {HOST} and tcp port 102", out):
            assert device.stdout is not None
            assert device.stdout.readline().strip() == "ready"
            client = snap7.Client()
            client.connect(HOST, 0, 2)
            client.read_szl(0x0011, 0)
            client.read_szl(0x001C, 0)
            client.disconnect()
            time.sleep(0.5)  # let the last packets reach the capture
    finally:
        device.terminate()
        device.wait(timeout=10)
    return out


def test_identity_from_a_real_s7_stack(capture: Path, tshark: str) -> None:
    with open_capture(capture) as reader:
        result = PassiveEngine(ref=capture.name).run(reader)
    inv = build_inventory(result.observations)
    cpu = inv.find(HOST)
    assert cpu is not None
    assert cpu.value("order_number") == "6ES7 315-2EH14-0AB0"
    assert cpu.value("firmware") == "V3.2.8"
    assert cpu.value("serial") == "S C-T7K123456789"
    assert cpu.value("name") == "Line 4 station"
    assert cpu.value("model") == "CPU 315-2 PN/DP"
    assert cpu.value("vendor") == "Siemens"
    assert cpu.role.value == "plc"
    assert cpu.components["rack 0 slot 2"].value("serial") == "S C-T7K123456789"
    reads = sum(
        o.count for o in result.observations if isinstance(o, Operation) and o.name == "read_szl"
    )
    szl = subprocess.run(
        [
            tshark,
            "-n",
            "-r",
            str(capture),
            "-Y",
            "s7comm.param.userdata.type == 4",
            "-T",
            "fields",
            "-e",
            "s7comm.data.userdata.szl_id",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Counter(szl) == Counter({"0x0011": 1, "0x001c": 1})
    assert reads == len(szl)
