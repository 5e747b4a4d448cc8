"""The poller against a real EtherNet/IP device: cpppo's Logix simulator in its own process.

pycomm3 reads the tags by name over a CIP connection; cpppo publishes no tag
list, so the tag file declares each tag's type.  Values are changed with
cpppo's own client (another library's client, as an HMI would); killing the
simulator makes the device go down, restarting it brings it back up.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from poll_support import HOST, Collector, DeviceProcess, close_to, free_port, tcp_open

from otm.polling import parse_tags, poll
from otm.polling.drivers.enip import declared_types

pytestmark = pytest.mark.slow

TAGS = ["SCADA=INT[10]", "TEMP=REAL", "COUNT=DINT"]


def _device(port: int) -> DeviceProcess:
    argv = [sys.executable, "-m", "cpppo.server.enip", "--address", f"{HOST}:{port}", *TAGS]
    return DeviceProcess(argv, ready=tcp_open(port))


def _write(port: int, *assignments: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "cpppo.server.enip.client", "--address", f"{HOST}:{port}",
         *assignments],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


def test_poll_enip_reads_declared_logix_tags_and_follows_the_device() -> None:
    port = free_port()
    device = _device(port).start()
    config = parse_tags(f"""
schema: otm.tags/1
devices:
  - name: line1-logix
    protocol: enip
    host: {HOST}
    port: {port}
    interval: 0.2
    timeout: 1.0
    backoff_max: 0.5
    health_interval: 0.5
    tags:
      - {{name: L1.SPEED, address: "SCADA[1]", type: int16}}
      - {{name: L1.LEVEL, address: "SCADA[3]", type: int16, scale: 0.5}}
      - {{name: L1.TEMP, address: TEMP, type: float32}}
      - {{name: L1.COUNT, address: COUNT, type: int32}}
""")
    declared = declared_types(config.devices[0].tags)
    assert declared is not None and declared["SCADA"]["dimensions"] == [4, 0, 0]

    async def scenario() -> Collector:
        got = Collector()
        stop = asyncio.Event()
        task = asyncio.create_task(poll(config, got, stop))
        try:
            await got.wait_for("first values", lambda: got.value("L1.COUNT") == 0)
            await asyncio.to_thread(
                _write, port, "SCADA[1]=(INT)1500", "SCADA[3]=(INT)-40", "TEMP=(REAL)71.25",
                "COUNT=(DINT)123456",
            )  # fmt: skip
            await got.wait_for("new values", lambda: got.value("L1.SPEED") == 1500
                               and close_to(got.value("L1.LEVEL"), -20.0)
                               and close_to(got.value("L1.TEMP"), 71.25)
                               and got.value("L1.COUNT") == 123456)  # fmt: skip
            assert got.states()[-1:] == ["up"]
            got.mark = len(got.states())
            device.stop()
            await got.wait_for("down", lambda: "down" in got.states(), timeout=15)
            await asyncio.to_thread(device.start)
            await got.wait_for("up again", lambda: len(got.story()) > 3
                               and got.states()[-1] == "up", timeout=20)  # fmt: skip
        finally:
            stop.set()
            await task
        return got

    try:
        got = asyncio.run(scenario())
    finally:
        device.stop()
    assert got.story() == ["up", "degraded", "down", "degraded", "up"]
    assert got.message("L1.TEMP") == "enip read_tag"
    assert got.quality("L1.COUNT") == "good"
