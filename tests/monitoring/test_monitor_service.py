"""``otm monitor``'s service against a real device: pymodbus's server in its own process.

The monitor polls, stores, tracks health and raises alarms while the test
plays the plant: an HMI writes a level above its limit, the device dies and
comes back, an operator acknowledges, the database goes away for a while.
What the monitor stored is read back through the store and the historian,
never from the monitor's own counters alone, and every sample the poller
produced must be in the historian at the end.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pymodbus.client import AsyncModbusTcpClient

from db_fixtures import _empty_postgres
from otm.alarms import AlarmFileError
from otm.historian import Historian
from otm.polling import parse_tags
from otm.services import alarms as alarm_service
from otm.services.monitor import Monitor, MonitorEvent, MonitorOptions, MonitorStatus, Problem
from otm.store.monitoring import EngineBusyError, MonitoringStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "polling"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "historian"))

from poll_support import HOST, REAL_DEVICES, DeviceProcess, free_port, python
from test_historian_outage import outage

pytestmark = pytest.mark.slow


def _device(port: int) -> DeviceProcess:
    return DeviceProcess(
        python(REAL_DEVICES / "modbus_device.py", HOST, str(port), "Acme", "AC-1", "1.0", "PLC")
    )


def _tags(port: int) -> str:
    return f"""
schema: otm.tags/1
devices:
  - name: tank-plc
    protocol: modbus
    host: {HOST}
    port: {port}
    interval: 0.1
    timeout: 0.4
    backoff_max: 0.4
    health_interval: 0.3
    tags:
      - {{name: LEVEL, address: "hr:40001", type: int16}}
      - {{name: FLOW, address: "hr:40002", type: uint16, scale: 0.1}}
"""


def _alarms() -> str:
    return f"""
schema: otm.alarms/1
flood: null
alarms:
  - {{name: tank, kind: limit, device: {HOST}, tag: LEVEL, hi: 50, deadband: 1}}
  - {{name: plc-down, kind: device_down, device: {HOST}, priority: high}}
"""


async def _write(port: int, value: int) -> None:
    client = AsyncModbusTcpClient(HOST, port=port)
    assert await client.connect()
    try:
        await client.write_register(0, value)
    finally:
        client.close()


class Running:
    """A monitor running in its own thread (its own event loop), stopped on exit."""

    def __init__(self, url: str, options: MonitorOptions) -> None:
        self.events: list[MonitorEvent] = []
        self.monitor = Monitor(url, options, on_event=self.events.append)
        self.status: MonitorStatus | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def go() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._started.set()
            self.status = await self.monitor.run(self._stop)

        try:
            asyncio.run(go())
        except BaseException as exc:  # handed to the test
            self.error = exc
        finally:
            self._started.set()

    def start(self) -> Running:
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> MonitorStatus:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the monitor did not stop"
        if self.error is not None:
            raise self.error
        assert self.status is not None
        return self.status


@contextmanager
def running(url: str, options: MonitorOptions) -> Iterator[Running]:
    run = Running(url, options).start()
    try:
        yield run
    finally:
        if run._thread.is_alive():
            run.stop()


def wait_for(what: str, check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _health(url: str) -> str | None:
    with MonitoringStore(url) as store:
        found = [h.state for h in store.health() if h.asset_ip == HOST]
    return found[0] if found else None


def _alarm_state(url: str, point: str) -> str | None:
    with MonitoringStore(url) as store:
        home = alarm_service.restore(store)
        return None if home is None else str(home.engine.status(point).state)


def _last_level(url: str) -> float | str | None:
    with Historian(url) as historian:
        found = historian.query("LEVEL", 0, time.time() + 60, None, asset_ip=HOST).samples
    return found[-1].value if found else None


def _stored_samples(url: str) -> int:
    with Historian(url) as historian:
        return sum(
            len(historian.query(tag, 0, time.time() + 60, None, asset_ip=ip))
            for ip, tag in historian.tags()
        )


def test_monitor_follows_a_real_device_through_alarm_death_and_return(tmp_path: Path) -> None:
    url = str(tmp_path / "otm.db")
    port = free_port()
    device = _device(port).start()
    options = MonitorOptions(
        parse_tags(_tags(port)), "tags.yaml", _alarms(), "alarms.yaml", flush_interval=0.2,
        heartbeat=0.5,
    )  # fmt: skip
    try:
        with running(url, options) as run:
            wait_for("the device up", lambda: _health(url) == "up")
            asyncio.run(_write(port, 77))
            wait_for("the HI alarm", lambda: _alarm_state(url, "tank.hi") == "unacknowledged")

            done = alarm_service.act(MonitoringStore(url), "acknowledge", "tank.hi", "ana")
            assert done.status == "done", done.result
            assert "unacknowledged -> acknowledged" in done.result
            assert _alarm_state(url, "tank.hi") == "acknowledged"

            device.stop()
            wait_for("the device down", lambda: _health(url) == "down")
            wait_for("plc-down", lambda: _alarm_state(url, "plc-down") == "unacknowledged")
            assert _alarm_state(url, "tank.hi") == "suppressed"

            device = _device(port).start()
            wait_for("the device up again", lambda: _health(url) == "up")
            wait_for("the HI alarm normal", lambda: _alarm_state(url, "tank.hi") == "normal")
            asyncio.run(_write(port, 10))
            wait_for("10 in the historian", lambda: _last_level(url) == 10.0)
            status = run.stop()
    finally:
        device.stop()

    assert status.samples > 20
    assert status.stored == status.samples and status.pending == 0 and status.dropped == 0
    assert _stored_samples(url) == status.samples
    with MonitoringStore(url) as store:
        changes = [c.state for c in store.health_changes(HOST)]
        assert changes[0] == "up" and "down" in changes and changes[-1] == "up"
        assert changes.index("down") > 0
        journal = store.alarm_journal("tank")
        acks = [e for e in journal if e.after == "acknowledged"]
        assert [e.user for e in acks] == ["ana"]
        assert store.live_run(time.time()) is None  # released at stop
        assets = [a for a in store.assets() if HOST in a.ips]
        assert assets, "a polled device is in the inventory"
    with Historian(url) as historian:
        levels = historian.query("LEVEL", 0, time.time() + 60, None, asset_ip=HOST).samples
        assert 77.0 in {s.value for s in levels} and levels[-1].value == 10.0
        assert {"good", "bad"} <= {s.quality for s in levels}


@pytest.fixture
def pg_url(postgres_database: str) -> str:
    """An empty PostgreSQL database: its outage can be real (connections refused)."""
    _empty_postgres(postgres_database)
    return postgres_database


@pytest.mark.postgres
def test_no_sample_is_lost_while_the_database_is_away(pg_url: str) -> None:
    store_url = pg_url
    port = free_port()
    device = _device(port).start()
    options = MonitorOptions(
        parse_tags(_tags(port)), "tags.yaml", _alarms(), "alarms.yaml", flush_interval=0.2,
        heartbeat=0.5,
    )  # fmt: skip
    try:
        with running(store_url, options) as run:
            wait_for("the device up", lambda: _health(store_url) == "up")
            with outage(None, store_url, "postgresql"):  # type: ignore[arg-type]
                time.sleep(1.5)
                asyncio.run(_write(port, 88))
                time.sleep(1.0)
                wait_for("the outage noticed", lambda: any(
                    isinstance(e, Problem) and not e.recovered for e in run.events))  # fmt: skip
            wait_for(
                "the store back",
                lambda: any(isinstance(e, Problem) and e.recovered for e in run.events),
            )
            wait_for("the HI alarm", lambda: _alarm_state(store_url, "tank.hi") == "unacknowledged")
            status = run.stop()
    finally:
        device.stop()
    assert status.store_errors > 0
    assert status.stored == status.samples and status.pending == 0 and status.dropped == 0
    assert _stored_samples(store_url) == status.samples


def test_a_second_monitor_on_the_database_is_refused(tmp_path: Path) -> None:
    url = str(tmp_path / "otm.db")
    port = free_port()  # nothing listens: the monitor polls a dead device, which is fine
    options = MonitorOptions(parse_tags(_tags(port)), "tags.yaml", flush_interval=0.2)
    with running(url, options) as first:
        wait_for("the first run", lambda: MonitoringStore(url).live_run(time.time()) is not None)
        second = Monitor(url, MonitorOptions(parse_tags(_tags(port)), "other.yaml"))
        with pytest.raises(EngineBusyError, match="already runs"):
            asyncio.run(second.run(asyncio.Event()))
        first.stop()
    assert MonitoringStore(url).live_run(time.time()) is None


def test_a_bad_alarm_file_stops_before_any_poll(tmp_path: Path) -> None:
    url = str(tmp_path / "otm.db")
    options = MonitorOptions(
        parse_tags(_tags(free_port())),
        "tags.yaml",
        "schema: otm.alarms/1\nalarms: [{}]\n",
        "a.yaml",
    )
    with pytest.raises(AlarmFileError, match=r"a\.yaml"):
        asyncio.run(Monitor(url, options).run(asyncio.Event()))
    with MonitoringStore(url) as store:
        assert store.monitor_runs() == [] and store.health() == []
