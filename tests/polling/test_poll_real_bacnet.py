"""The poller against a real BACnet/IP device: bacpypes3's application in its own process.

ReadPropertyMultiple with Status_Flags: values written on the device reach
the poller; a fault flag makes a sample bad, out-of-service uncertain.  A
device that stops answering (UDP: silence, not a refused connection) goes
degraded then down and comes back up.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from poll_support import DEVICES, HOST, Collector, DeviceProcess, close_to, free_port, python

from otm.polling import parse_tags, poll

pytestmark = pytest.mark.slow


def _setup() -> tuple[DeviceProcess, str]:
    device_port = free_port(socket.SOCK_DGRAM)
    poller_port = free_port(socket.SOCK_DGRAM)
    device = DeviceProcess(python(DEVICES, "bacnet", f"{HOST}/32:{device_port}", "1001"))
    config = f"""
schema: otm.tags/1
bacnet_address: "{HOST}/32:{poller_port}"
devices:
  - name: ahu-1
    protocol: bacnet
    host: {HOST}
    port: {device_port}
    interval: 0.1
    timeout: 0.5
    backoff_max: 0.4
    health_interval: 0.5
    tags:
      - {{name: AHU1.SAT, address: "analog-value,1"}}
      - {{name: AHU1.FAN, address: "binary-value,2"}}
      - {{name: AHU1.OAT, address: "analog-input,3", scale: 10}}
      - {{name: AHU1.MODE, address: "multi-state-value,4"}}
      - {{name: AHU1.NAME, address: "device,1001/object-name"}}
      - {{name: AHU1.GHOST, address: "analog-value,99"}}
"""
    return device, config


def test_poll_bacnet_sees_values_and_status_flags() -> None:
    device, text = _setup()
    device.start()
    config = parse_tags(text)

    async def scenario() -> Collector:
        got = Collector()
        stop = asyncio.Event()
        task = asyncio.create_task(poll(config, got, stop))
        try:
            await got.wait_for("first values", lambda: close_to(got.value("AHU1.SAT"), 21.5))
            assert got.value("AHU1.FAN") is True and close_to(got.value("AHU1.OAT"), 70.0)
            assert got.value("AHU1.MODE") == 2 and got.value("AHU1.NAME") == "AHU-1001"
            await asyncio.to_thread(device.send, "set analog-value,1 18.25")
            await asyncio.to_thread(device.send, "set binary-value,2 inactive")
            await got.wait_for("new values", lambda: close_to(got.value("AHU1.SAT"), 18.25)
                               and got.value("AHU1.FAN") is False)  # fmt: skip
            await asyncio.to_thread(device.send, "oos analog-input,3 1")
            await got.wait_for("uncertain", lambda: got.quality("AHU1.OAT") == "uncertain")
            await asyncio.to_thread(device.send, "fault analog-input,3 1")
            await got.wait_for("bad", lambda: got.quality("AHU1.OAT") == "bad")
        finally:
            stop.set()
            await task
        return got

    try:
        got = asyncio.run(scenario())
    finally:
        device.stop()
    assert {s.quality for s in got.samples("AHU1.GHOST")} == {"bad"}
    sat = got.samples("AHU1.SAT")
    # A good point reads good; only an answer lost on a loaded machine (counted
    # in the device's health) may make a cycle's sample bad.
    if any(s.quality != "good" for s in sat):
        assert any(h.timeouts or h.errors for h in got.health())
    assert sat[-1].quality == "good"
    assert got.message("AHU1.SAT") == "bacnet read_property_multiple"
    assert got.states()[-1:] == ["up"]


def test_poll_bacnet_device_silent_goes_down_and_comes_back_up() -> None:
    device, text = _setup()
    device.start()
    config = parse_tags(text)

    async def scenario() -> Collector:
        got = Collector()
        stop = asyncio.Event()
        task = asyncio.create_task(poll(config, got, stop))
        try:
            await got.wait_for("up", lambda: got.states()[-1:] == ["up"])
            got.mark = len(got.states())
            device.stop()
            await got.wait_for("down", lambda: "down" in got.states(), timeout=15)
            await asyncio.to_thread(device.start)
            await got.wait_for("up again", lambda: len(got.story()) > 3
                               and got.states()[-1] == "up", timeout=15)  # fmt: skip
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
    assert down and all(h.timeouts > 0 and h.rtt_ms is None for h in down)
