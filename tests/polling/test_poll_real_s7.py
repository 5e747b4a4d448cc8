"""The poller against a real S7 device: python-snap7's server in its own process.

The device (``poll_devices.py s7``) holds DB1 and the merkers; the test
changes bytes on it, the poller must read them through snap7's client in
batched Read Var requests, big-endian, bits and strings included.
"""

from __future__ import annotations

import asyncio
import struct

import pytest
from poll_support import (
    DEVICES,
    HOST,
    Collector,
    DeviceProcess,
    assert_good_unless_lost,
    close_to,
    free_port,
    python,
)

from otm.polling import parse_tags, poll
from otm.polling.drivers.s7 import S7Driver

pytestmark = pytest.mark.slow


def test_poll_s7_sees_the_values_the_device_gets() -> None:
    port = free_port()
    device = DeviceProcess(python(DEVICES, "s7", HOST, str(port))).start()
    config = parse_tags(f"""
schema: otm.tags/1
devices:
  - name: line4-cpu
    protocol: s7
    host: {HOST}
    port: {port}
    rack: 0
    slot: 2
    interval: 0.1
    timeout: 1.0
    tags:
      - {{name: L4.RUN, address: DB1.DBX0.1}}
      - {{name: L4.TEMP, address: DB1.DBD4, type: float32}}
      - {{name: L4.DELTA, address: DB1.DBW8}}
      - {{name: L4.BATCH, address: DB1.DBB20, type: string, length: 8}}
      - {{name: L4.SPEED, address: MW10, type: uint16, scale: 0.5}}
      - {{name: L4.FLAG, address: M2.7}}
""")
    plan = S7Driver(config.devices[0]).plan
    assert [(s.key, s.start, s.size) for s in plan] == [(("DB", 1), 0, 30), (("M", 0), 2, 10)]

    async def scenario() -> Collector:
        got = Collector()
        stop = asyncio.Event()
        task = asyncio.create_task(poll(config, got, stop))
        try:
            await got.wait_for("first values", lambda: close_to(got.value("L4.TEMP"), 21.5))
            assert got.value("L4.RUN") is True and got.value("L4.DELTA") == -7
            assert got.value("L4.SPEED") == 617.0 and got.value("L4.FLAG") is False
            text = b"\x08\x05" + b"LOT42"
            await asyncio.to_thread(device.send, f"set DB1 20 {text.hex()}")
            await asyncio.to_thread(device.send, f"set DB1 4 {struct.pack('>f', -3.25).hex()}")
            await asyncio.to_thread(device.send, "set DB1 0 00")
            await asyncio.to_thread(device.send, "set M 2 80")
            await got.wait_for("the new values", lambda: got.value("L4.BATCH") == "LOT42"
                               and close_to(got.value("L4.TEMP"), -3.25))  # fmt: skip
            await got.wait_for("the bits", lambda: got.value("L4.RUN") is False
                               and got.value("L4.FLAG") is True)  # fmt: skip
        finally:
            stop.set()
            summary = await task
        assert summary.errors == 0
        return got

    try:
        got = asyncio.run(scenario())
    finally:
        device.stop()
    assert_good_unless_lost(got)
    assert got.states()[-1:] == ["up"]  # a slow first answer may show "degraded" first
    assert got.message("L4.TEMP") == "s7comm read_var"


def test_poll_s7_unknown_data_block_is_a_bad_tag_not_a_dead_device() -> None:
    port = free_port()
    device = DeviceProcess(python(DEVICES, "s7", HOST, str(port))).start()
    config = parse_tags(f"""
schema: otm.tags/1
devices:
  - name: cpu
    protocol: s7
    host: {HOST}
    port: {port}
    interval: 0.1
    health: {{max_error_rate: 0.5}}
    tags:
      - {{name: OK, address: DB1.DBW8}}
      - {{name: MISSING, address: DB9.DBW0}}
""")

    async def scenario() -> Collector:
        got = Collector()
        stop = asyncio.Event()
        task = asyncio.create_task(poll(config, got, stop))
        try:
            await got.wait_for("both tags", lambda: got.last("MISSING") is not None
                               and got.last("OK") is not None)  # fmt: skip
            await asyncio.sleep(0.3)
        finally:
            stop.set()
            await task
        return got

    try:
        got = asyncio.run(scenario())
    finally:
        device.stop()
    assert_good_unless_lost(got, "OK")
    assert {s.quality for s in got.samples("MISSING")} == {"bad"}
    assert got.states()[-1:] == ["up"]  # a slow first answer may show "degraded" first
    assert got.health()[-1].errors > 0
