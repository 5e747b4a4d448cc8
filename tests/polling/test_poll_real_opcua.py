"""The poller against a real OPC UA server: asyncua's, in its own process.

Values written on the server reach the poller with the server's types; a
status code the server gives a value becomes the sample's quality.
"""

from __future__ import annotations

import asyncio

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

pytestmark = pytest.mark.slow


def test_poll_opcua_sees_values_and_status_codes() -> None:
    port = free_port()
    device = DeviceProcess(python(DEVICES, "opcua", HOST, str(port))).start()
    config = parse_tags(f"""
schema: otm.tags/1
devices:
  - name: line3-gateway
    protocol: opcua
    host: {HOST}
    endpoint: opc.tcp://{HOST}:{port}/otm/
    interval: 0.1
    timeout: 2.0
    tags:
      - {{name: L3.TT101, address: "ns=2;s=Line3.TT101", scale: 2}}
      - {{name: L3.RUN, address: "ns=2;s=Line3.RUN"}}
      - {{name: L3.COUNT, address: "ns=2;s=Line3.COUNT"}}
      - {{name: L3.NAME, address: "ns=2;s=Line3.NAME"}}
      - {{name: SERVER.STATE, address: "i=2259"}}
      - {{name: NOWHERE, address: "ns=2;s=No.Such.Node"}}
""")

    async def scenario() -> Collector:
        got = Collector()
        stop = asyncio.Event()
        task = asyncio.create_task(poll(config, got, stop))
        try:
            await got.wait_for("first values", lambda: close_to(got.value("L3.TT101"), 43.0))
            assert got.value("L3.RUN") is True and got.value("L3.COUNT") == 7
            assert got.value("L3.NAME") == "batch-1" and got.value("SERVER.STATE") == 0
            await asyncio.to_thread(device.send, "set Line3.TT101 -4.25")
            await asyncio.to_thread(device.send, "set Line3.COUNT 8")
            await asyncio.to_thread(device.send, "set Line3.RUN false")

            def changed() -> bool:
                return (
                    close_to(got.value("L3.TT101"), -8.5)
                    and got.value("L3.COUNT") == 8
                    and got.value("L3.RUN") is False
                )

            await got.wait_for("new values", changed)
            await asyncio.to_thread(device.send, "status Line3.COUNT 40000000")  # Uncertain
            await got.wait_for("uncertain", lambda: got.quality("L3.COUNT") == "uncertain")
            await asyncio.to_thread(device.send, "status Line3.COUNT 80000000")  # Bad
            await got.wait_for("bad", lambda: got.quality("L3.COUNT") == "bad")
        finally:
            stop.set()
            await task
        return got

    try:
        got = asyncio.run(scenario())
    finally:
        device.stop()
    assert {s.quality for s in got.samples("NOWHERE")} == {"bad"}
    assert_good_unless_lost(got, "L3.TT101")
    assert got.value("L3.COUNT") == 8  # bad carries the last good
    assert got.states()[-1:] == ["up"]  # a slow first answer may show "degraded" first
    assert got.message("L3.RUN") == "opcua read"
