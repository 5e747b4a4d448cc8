"""The poller against a real Modbus/TCP device: pymodbus's server in its own process.

The device is ``../realdevices/modbus_device.py`` on a loopback port; the test
changes values with pymodbus's client (an HMI writing), the poller must see
them with the right types, word orders and scaling, in batched reads; a
killed device goes degraded then down, and comes back up when restarted.
"""

from __future__ import annotations

import asyncio
import struct

import pytest
from poll_support import (
    HOST,
    REAL_DEVICES,
    Collector,
    DeviceProcess,
    assert_good_unless_lost,
    close_to,
    free_port,
    python,
)
from pymodbus.client import AsyncModbusTcpClient

from otm.polling import parse_tags, poll
from otm.polling.drivers.modbus import ModbusDriver
from otm.polling.drivers.values import bytes_to_registers

pytestmark = pytest.mark.slow


def _device(port: int) -> DeviceProcess:
    return DeviceProcess(
        python(REAL_DEVICES / "modbus_device.py", HOST, str(port), "Acme", "AC-1", "1.0", "PLC")
    )


def _config(port: int, **extra: object) -> str:
    options = "".join(f"    {k}: {v}\n" for k, v in extra.items())
    return f"""
schema: otm.tags/1
devices:
  - name: line3-plc
    protocol: modbus
    host: {HOST}
    port: {port}
    interval: 0.1
    timeout: 0.5
    backoff_max: 0.4
    health_interval: 0.5
{options}    tags:
      - {{name: L3.LEVEL, address: "hr:40001", type: int16}}
      - {{name: L3.TOTAL, address: "hr:40003", type: uint32}}
      - {{name: L3.TEMP, address: "hr:40005", type: float32, word_order: little}}
      - {{name: L3.FLOW, address: "hr:40010", type: uint16, scale: 0.1, offset: -5}}
      - {{name: L3.ALARM, address: "hr:40012.3"}}
      - {{name: L3.RUN, address: "co:00004"}}
      - {{name: L3.PRESS, address: "ir:30020", type: uint16}}
"""


async def _write(port: int) -> None:
    client = AsyncModbusTcpClient(HOST, port=port)
    assert await client.connect()
    try:
        await client.write_register(0, (-1234) & 0xFFFF)
        await client.write_registers(2, [0x0001, 0x0002])
        await client.write_registers(
            4, bytes_to_registers(struct.pack(">f", 42.5), "big", "little")
        )
        await client.write_register(9, 1234)
        await client.write_register(11, 0b1000)
        await client.write_coil(3, True)
    finally:
        client.close()


def test_poll_modbus_sees_the_values_the_device_gets() -> None:
    port = free_port()
    device = _device(port).start()
    config = parse_tags(_config(port))
    driver_plan = ModbusDriver(config.devices[0]).plan
    assert [(s.key, s.start, s.size) for s in driver_plan] == [
        ("co", 3, 1), ("hr", 0, 12), ("ir", 19, 1)
    ]  # fmt: skip

    async def scenario() -> Collector:
        got = Collector()
        stop = asyncio.Event()
        task = asyncio.create_task(poll(config, got, stop))
        try:
            await got.wait_for("first samples", lambda: got.last("L3.PRESS") is not None)
            await _write(port)
            await got.wait_for("the written level", lambda: got.value("L3.LEVEL") == -1234)
            await got.wait_for("the written flow", lambda: close_to(got.value("L3.FLOW"), 118.4))
        finally:
            stop.set()
            summary = await task
        assert summary.errors == 0
        return got

    try:
        got = asyncio.run(scenario())
    finally:
        device.stop()
    assert got.value("L3.TOTAL") == 0x0001_0002
    assert close_to(got.value("L3.TEMP"), 42.5)
    assert got.value("L3.ALARM") is True
    assert got.value("L3.RUN") is True
    assert got.value("L3.PRESS") == 19  # the device's initial data: register n holds n
    assert_good_unless_lost(got)
    assert {s.evidence.source for s in got.samples()} == {"poll"}
    assert got.message("L3.LEVEL") == "modbus read_holding_registers"
    assert got.states()[-1:] == ["up"]  # a slow first answer may show "degraded" first
    health = got.health()[-1]
    assert health.asset_ip == HOST and health.protocol == "modbus" and health.errors == 0


def test_poll_modbus_device_killed_goes_degraded_then_down_and_comes_back_up() -> None:
    port = free_port()
    device = _device(port).start()
    config = parse_tags(_config(port))

    async def scenario() -> Collector:
        got = Collector()
        stop = asyncio.Event()
        task = asyncio.create_task(poll(config, got, stop))
        try:
            await got.wait_for("up", lambda: got.states()[-1:] == ["up"])
            got.mark = len(got.states())
            device.stop()
            await got.wait_for("down", lambda: "down" in got.states())
            bad = got.last("L3.LEVEL")
            assert bad is not None and bad.quality == "bad" and bad.value == 0  # last good value
            await asyncio.to_thread(device.start)
            await got.wait_for("up again", lambda: got.states()[-1:] == ["up"] and
                               len(got.story()) > 3, timeout=15)  # fmt: skip
            await got.wait_for("good samples", lambda: got.quality("L3.LEVEL") == "good")
        finally:
            stop.set()
            await task
        return got

    try:
        got = asyncio.run(scenario())
    finally:
        device.stop()
    assert got.story() == ["up", "degraded", "down", "degraded", "up"]
    down = [h for h in got.health() if h.state == "down"]
    assert all(h.rtt_ms is None and h.errors == h.requests for h in down)
    assert down[0].last_good is not None and down[0].last_good < down[0].time
