"""Drivers over fake links: batching, requests in flight, splitting, failures, qualities.

Each driver takes a connection factory; these fakes stand in for the client
libraries so every path (exception replies, timeouts, refused connections,
a refused service) runs in milliseconds and deterministically.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Sequence

import pytest

from otm.polling import parse_tags
from otm.polling.drivers import DriverSet
from otm.polling.drivers.bacnet import BacnetDriver, BacnetHub, BacnetValue, PropertyError
from otm.polling.drivers.base import Cycle, DeviceError, LinkDownError, RequestError
from otm.polling.drivers.enip import EnipDriver
from otm.polling.drivers.modbus import ModbusDriver
from otm.polling.drivers.opcua import OpcuaDriver
from otm.polling.drivers.s7 import S7Driver
from otm.polling.tags import DeviceSpec, TagSpec


def _device(
    protocol: str, tags: list[tuple[str, str, dict[str, object]]], **kw: object
) -> DeviceSpec:
    specs = [TagSpec.model_validate({"name": n, "address": a, **o}) for n, a, o in tags]
    return DeviceSpec.model_validate(
        {"name": "dev", "protocol": protocol, "host": "10.0.0.9", "tags": specs, **kw}
    )


class FakeModbus:
    """A Modbus server: register n holds n, ``holes`` are unmapped, optional delay/hang/refusal."""

    def __init__(self, holes: Sequence[int] = (), delay: float = 0.0) -> None:
        self.holes = set(holes)
        self.delay = delay
        self.hang = False
        self.refuse = False
        self.reads: list[tuple[str, int, int]] = []
        self.connects = 0
        self.in_flight = 0
        self.peak = 0

    async def connect(self, device: DeviceSpec) -> FakeModbus.Link:
        self.connects += 1
        if self.refuse:
            raise LinkDownError("connection refused")
        return FakeModbus.Link(self)

    class Link:
        def __init__(self, server: FakeModbus) -> None:
            self.server = server

        async def read(self, table: str, address: int, count: int, unit: int) -> Sequence[int]:
            s = self.server
            s.reads.append((table, address, count))
            s.in_flight += 1
            s.peak = max(s.peak, s.in_flight)
            try:
                if s.hang:
                    await asyncio.sleep(3600)
                await asyncio.sleep(s.delay)
                if s.holes & set(range(address, address + count)):
                    raise DeviceError("exception 2 (illegal data address)", 2)
                return [n & 0xFFFF for n in range(address, address + count)]
            finally:
                s.in_flight -= 1

        async def close(self) -> None:
            return None


def test_poll_modbus_batches_contiguous_registers_into_one_read() -> None:
    tags = [(f"T{i}", f"hr:{4 * i}", {"type": "uint32"}) for i in range(30)]
    tags += [("C", "co:3", {}), ("I", "ir:7", {"type": "int16"})]
    fake = FakeModbus()
    driver = ModbusDriver(_device("modbus", tags), fake.connect)
    result = asyncio.run(driver.read())
    assert sorted(fake.reads) == [("co", 3, 1), ("hr", 0, 118), ("ir", 7, 1)]
    assert result.stats.requests == 4 and result.stats.answered == 3 and result.stats.ok == 3
    assert [r.value for r in result.readings[:2]] == [(0 << 16) | 1, (4 << 16) | 5]
    assert result.readings[-2].value is True and result.readings[-1].value == 7


def test_poll_modbus_never_more_requests_in_flight_than_allowed() -> None:
    tags = [(f"T{i}", f"hr:{10 * i}", {}) for i in range(12)]
    for limit in (1, 3):
        fake = FakeModbus(delay=0.01)
        device = _device("modbus", tags, max_gap=0, max_in_flight=limit)
        driver = ModbusDriver(device, fake.connect)

        async def twice(driver: ModbusDriver = driver) -> None:
            await driver.read()
            await driver.read()

        asyncio.run(twice())
        assert len(fake.reads) == 24
        assert fake.peak == limit == driver.peak_in_flight
        assert fake.connects == limit  # one connection per request in flight, kept


def test_poll_modbus_splits_a_read_refused_for_a_hole() -> None:
    tags = [("A", "hr:0", {}), ("B", "hr:5", {}), ("C", "hr:10", {})]
    fake = FakeModbus(holes=[7])
    driver = ModbusDriver(_device("modbus", tags), fake.connect)
    result = asyncio.run(driver.read())
    assert fake.reads == [("hr", 0, 11), ("hr", 0, 1), ("hr", 5, 1), ("hr", 10, 1)]
    assert [r.value for r in result.readings] == [0, 5, 10]
    assert result.stats.errors == 1
    fake.reads.clear()
    asyncio.run(driver.read())
    assert fake.reads == [("hr", 0, 1), ("hr", 5, 1), ("hr", 10, 1)]  # the split is kept


def test_poll_modbus_unmapped_tag_is_bad_and_alone() -> None:
    tags = [("A", "hr:0", {}), ("B", "hr:5", {})]
    fake = FakeModbus(holes=[5])
    result = asyncio.run(ModbusDriver(_device("modbus", tags), fake.connect).read())
    assert [(r.quality, r.value) for r in result.readings] == [("good", 0), ("bad", None)]
    assert "illegal data address" in result.readings[1].error


def test_poll_modbus_timeout_ends_the_cycle_and_drops_the_connection() -> None:
    tags = [(f"T{i}", f"hr:{200 * i}", {}) for i in range(3)]
    fake = FakeModbus()
    fake.hang = True
    driver = ModbusDriver(_device("modbus", tags, timeout=0.05), fake.connect)
    result = asyncio.run(driver.read())
    stats = result.stats
    assert (stats.requests, stats.answered, stats.timeouts) == (2, 0, 1)  # connect + one read
    assert {r.quality for r in result.readings} == {"bad"}
    assert sum("skipped" in r.error for r in result.readings) == 2
    fake.hang = False
    result = asyncio.run(driver.read())
    assert fake.connects == 2 and {r.quality for r in result.readings} == {"good"}


def test_poll_modbus_refused_connection_is_a_failed_cycle() -> None:
    fake = FakeModbus()
    fake.refuse = True
    result = asyncio.run(ModbusDriver(_device("modbus", [("A", "hr:0", {})]), fake.connect).read())
    assert (result.stats.requests, result.stats.answered, result.stats.errors) == (1, 0, 1)
    assert result.readings[0].quality == "bad" and "refused" in result.readings[0].error


class FakeS7:
    def __init__(self) -> None:
        self.memory = {("DB", 1): bytearray(range(64)), ("M", 0): bytearray(64)}
        self.reads: list[tuple[str, int, int, int]] = []

    async def connect(self, device: DeviceSpec) -> FakeS7:
        return self

    async def read_area(self, area: str, db: int, start: int, size: int) -> bytes:
        self.reads.append((area, db, start, size))
        if (area, db) not in self.memory:
            raise DeviceError("Read operation failed: object does not exist (0x0a)")
        return bytes(self.memory[(area, db)][start : start + size])

    async def close(self) -> None:
        return None


def test_poll_s7_batches_bytes_per_area() -> None:
    fake = FakeS7()
    tags = [("A", "DB1.DBW0", {}), ("B", "DB1.DBX3.1", {}), ("C", "DB1.DBD60", {"type": "uint32"}),
            ("D", "MB0", {}), ("E", "DB2.DBW0", {})]  # fmt: skip
    result = asyncio.run(S7Driver(_device("s7", tags, max_gap=60), fake.connect).read())
    assert sorted(fake.reads) == [("DB", 1, 0, 64), ("DB", 2, 0, 2), ("M", 0, 0, 1)]
    values = [r.value for r in result.readings]
    assert values[:4] == [0x0001, True, 0x3C3D3E3F, 0]
    assert result.readings[4].quality == "bad" and result.stats.errors == 1


class FakeOpcua:
    def __init__(self, answers: dict[str, tuple[object, int]]) -> None:
        self.answers = answers
        self.calls: list[int] = []

    async def connect(self, device: DeviceSpec) -> FakeOpcua:
        return self

    async def read(self, node_ids: Sequence[str]) -> list[tuple[object, int]]:
        self.calls.append(len(node_ids))
        return [self.answers.get(n, (None, 0x80340000)) for n in node_ids]

    async def close(self) -> None:
        return None


def test_poll_opcua_status_codes_are_qualities() -> None:
    fake = FakeOpcua({"i=1": (1.5, 0), "i=2": (2, 0x40000000), "i=3": (3, 0x80000000),
                      "i=4": ([1, 2], 0)})  # fmt: skip
    tags = [(f"T{i}", f"i={i}", {}) for i in range(1, 6)]
    result = asyncio.run(OpcuaDriver(_device("opcua", tags), fake.connect).read())
    assert [(r.value, str(r.quality)) for r in result.readings] == [
        (1.5, "good"), (2, "uncertain"), (None, "bad"), ("[1, 2]", "good"), (None, "bad")
    ]  # fmt: skip
    assert fake.calls == [5]


class FakeBacnet:
    def __init__(self, rpm: bool = True) -> None:
        self.rpm = rpm
        self.values: dict[tuple[str, str], BacnetValue] = {
            ("analog-value,1", "present-value"): 21.5,
            ("analog-value,1", "status-flags"): [0, 0, 0, 0],
            ("binary-value,2", "present-value"): True,
            ("binary-value,2", "status-flags"): [0, 0, 0, 1],
            ("analog-input,3", "present-value"): 7.0,
            ("analog-input,3", "status-flags"): [1, 1, 0, 0],
        }
        self.calls: list[str] = []

    async def connect(self, device: DeviceSpec) -> FakeBacnet:
        return self

    async def read_multiple(
        self, specs: Sequence[tuple[str, Sequence[str]]]
    ) -> list[tuple[str, str, BacnetValue]]:
        self.calls.append("rpm")
        if not self.rpm:
            raise DeviceError("RejectPDU: unrecognized-service")
        return [(o, p, self.values.get((o, p), PropertyError("object: unknown-object")))
                for o, ps in specs for p in ps]  # fmt: skip

    async def read_property(self, obj: str, prop: str) -> BacnetValue:
        self.calls.append("rp")
        if (obj, prop) not in self.values:
            raise DeviceError("Error: unknown-object")
        return self.values[(obj, prop)]

    async def close(self) -> None:
        return None


BACNET_TAGS = [("SAT", "analog-value,1", {}), ("FAN", "binary-value,2", {}),
               ("OAT", "analog-input,3", {}), ("X", "analog-value,9", {})]  # fmt: skip


@pytest.mark.parametrize("rpm", [True, False])
def test_poll_bacnet_flags_and_fallback_to_read_property(rpm: bool) -> None:
    fake = FakeBacnet(rpm=rpm)
    driver = BacnetDriver(_device("bacnet", BACNET_TAGS), BacnetHub(), fake.connect)
    result = asyncio.run(driver.read())
    qualities = [str(r.quality) for r in result.readings]
    if rpm:
        assert fake.calls == ["rpm"]
        assert qualities == ["good", "uncertain", "bad", "bad"]
    else:  # no status flags without ReadPropertyMultiple
        assert fake.calls == ["rpm", "rp", "rp", "rp", "rp"] and not driver.use_rpm
        assert qualities == ["good", "good", "good", "bad"]
    assert [r.value for r in result.readings[:3]] == [21.5, True, 7.0]


class FakeLogix:
    def __init__(self, answers: list[tuple[object, str]]) -> None:
        self.answers = answers

    async def connect(self, device: DeviceSpec) -> FakeLogix:
        return self

    async def read(self, paths: Sequence[str]) -> list[tuple[object, str]]:
        return self.answers[: len(paths)]

    async def close(self) -> None:
        return None


def test_poll_enip_per_tag_errors() -> None:
    fake = FakeLogix([(10, ""), (None, "Tag doesn't exist"), (2.5, "")])
    tags = [("A", "A", {"type": "int16"}), ("B", "B", {"type": "int16"}),
            ("C", "C", {"type": "float32", "scale": 2})]  # fmt: skip
    result = asyncio.run(EnipDriver(_device("enip", tags), fake.connect).read())
    assert [(r.value, str(r.quality)) for r in result.readings] == [
        (10, "good"), (None, "bad"), (5.0, "good")
    ]  # fmt: skip


def test_poll_driver_set_builds_each_protocol_and_shares_the_bacnet_socket() -> None:
    doc = parse_tags("""
schema: otm.tags/1
bacnet_address: 127.0.0.1/32:47999
devices:
  - {name: a, protocol: bacnet, host: 10.0.0.1, tags: [{name: a1, address: "analog-value,1"}]}
  - {name: b, protocol: bacnet, host: 10.0.0.2, tags: [{name: b1, address: "analog-value,1"}]}
  - {name: m, protocol: modbus, host: 10.0.0.3, tags: [{name: m1, address: "hr:0"}]}
  - {name: s, protocol: s7, host: 10.0.0.4, tags: [{name: s1, address: "MW0"}]}
  - {name: o, protocol: opcua, host: 10.0.0.5, tags: [{name: o1, address: "i=2258"}]}
  - {name: e, protocol: enip, host: 10.0.0.6, tags: [{name: e1, address: "Speed"}]}
""")
    factory = DriverSet(doc)
    built = [factory(device) for device in doc.devices]
    assert [type(d).__name__ for d in built] == [
        "BacnetDriver", "BacnetDriver", "ModbusDriver", "S7Driver", "OpcuaDriver", "EnipDriver"
    ]  # fmt: skip
    a, b = built[0], built[1]
    assert isinstance(a, BacnetDriver) and isinstance(b, BacnetDriver)
    assert a._hub is b._hub and a._hub.local_address == "127.0.0.1/32:47999"


def test_poll_client_libraries_load_only_when_a_device_needs_them() -> None:
    code = (
        "import sys, otm.polling, otm.polling.drivers;"
        "print(sorted(m for m in ('pymodbus', 'snap7', 'asyncua', 'bacpypes3', 'pycomm3')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_poll_a_library_that_absorbs_cancellation_cannot_stretch_the_cycle() -> None:
    finished: list[bool] = []

    async def stubborn() -> int:
        for _ in range(50):
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue  # keeps its request alive, as some retry loops do
        finished.append(True)
        return 1

    async def scenario() -> None:
        cycle = Cycle(0.05)
        with pytest.raises(RequestError) as failed:
            await cycle.request(stubborn)
        assert failed.value.kind == "timeout"
        # The cycle gave up on the request; it did not wait for the library to finish.
        assert not finished

    asyncio.run(scenario())


class Odd(BaseException):
    """What bacpypes3 raises for error PDUs derives from BaseException, not Exception."""


def test_poll_library_cancellations_and_odd_exceptions_are_lost_links() -> None:
    async def cancelled_inside() -> int:
        raise asyncio.CancelledError

    async def odd() -> int:
        raise Odd("error PDU")

    async def scenario() -> list[str]:
        kinds = []
        for call in (cancelled_inside, odd):
            cycle = Cycle(1.0)
            with pytest.raises(RequestError) as failed:
                await cycle.request(call)
            kinds.append(failed.value.kind)
            assert cycle.stats.errors == 1 and cycle.ended
        return kinds

    assert asyncio.run(scenario()) == ["down", "down"]
