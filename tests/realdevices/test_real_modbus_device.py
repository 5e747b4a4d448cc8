"""otm over a capture of a real Modbus stack (pymodbus server and client) on loopback.

dumpcap (installed with tshark) records the conversation on ``lo`` between a
pymodbus client and a pymodbus server that has a device identity; otm must
recover that identity and count the same function codes tshark sees.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from loopback_capture import recording
from pymodbus.client import ModbusTcpClient

from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.observations.records import Operation
from otm.sensing.engine import PassiveEngine

HERE = Path(__file__).parent
HOST = "127.0.0.77"  # a loopback alias of our own, so nothing else on port 502 interferes
PORT = 502


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    out = tmp_path / "modbus.pcapng"
    device = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "modbus_device.py"),
            HOST,
            str(PORT),
            "Acme Controls",
            "AC-500",
            "2.7.1",
            "Acme PLC 500",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with recording(f"host {HOST} and tcp port {PORT}", out):
            assert device.stdout is not None
            assert device.stdout.readline().strip() == "ready", (
                device.stderr.read() if device.stderr else ""
            )
            client = ModbusTcpClient(HOST, port=PORT, timeout=3)
            assert client.connect()
            info = client.read_device_information(read_code=1, object_id=0)
            assert not info.isError()
            for _ in range(5):
                assert not client.read_holding_registers(10, count=4).isError()
            assert not client.write_register(20, 1234).isError()
            client.close()
            time.sleep(0.5)  # let the last packets reach the capture
    finally:
        device.terminate()
        device.wait(timeout=10)
    return out


def test_identity_and_operations_from_a_real_modbus_stack(capture: Path, tshark: str) -> None:
    with open_capture(capture) as reader:
        result = PassiveEngine(ref=capture.name).run(reader)
    inv = build_inventory(result.observations)
    server = inv.find(HOST)
    assert server is not None
    assert server.value("vendor") == "Acme Controls"
    assert server.value("product_code") == "AC-500"
    assert server.value("firmware") == "2.7.1"
    assert server.role.value == "plc"
    ops = Counter()
    for obs in result.observations:
        if isinstance(obs, Operation) and obs.server_ip == HOST:
            ops[obs.name] += obs.count
    fields = subprocess.run(
        [
            tshark,
            "-n",
            "-r",
            str(capture),
            "-Y",
            f"modbus && ip.dst == {HOST}",
            "-T",
            "fields",
            "-e",
            "modbus.func_code",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    seen = Counter(int(code) for code in fields)
    assert ops["read_holding_registers"] == seen[3] == 5
    assert ops["write_single_register"] == seen[6] == 1
    assert ops["read_device_identification"] == seen[43] == 1
