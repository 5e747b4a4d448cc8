"""Use case: ``otm demo`` - every capability of otm on a simulated plant, on any machine.

The plant is ``otm.simulation``'s: five devices over the stacks of other
libraries (pymodbus, python-snap7, cpppo, bacpypes3, asyncua), in network
namespaces when run as root, on loopback addresses otherwise.  The demo then
does what a user would do with a real plant, into one database:

1. **passive discovery**: a live sensor on the plant's uplink interface
   (namespaces only: loopback has no interface of its own to capture)
   keeps the inventory from the traffic for the whole run;
2. **active discovery**: a scan of the plant's network, within its
   allowlist, identifies every device (vendor, model, firmware ...);
3. **monitoring**: the plant's tag and alarm files (also written to
   ``folder`` so the user can run ``otm monitor`` on them later) are polled,
   stored in the historian, checked for alarms and device health;
4. **a scenario** so that something happens: the tank level is forced over
   its HI and HIHI limits, an operator acknowledges, the packer PLC dies and
   comes back, the level is released.

Everything stops cleanly at the end (or on ``stop``): the monitor flushes,
the sensor stores what it captured, the inventory is rebuilt once more and
the plant leaves no process, namespace or interface behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from otm.model.assets import Inventory
from otm.polling import parse_tags
from otm.services import alarms as alarm_service
from otm.services.analysis import rebuild_inventory
from otm.services.database import database_url
from otm.services.detection import DetectionSession
from otm.services.monitor import Monitor, MonitorEvent, MonitorOptions, MonitorStatus, describe
from otm.services.scan import ScanOptions, found_rows, scan_network
from otm.services.sensor import LiveError, Sensor, SensorStatus, open_sensor
from otm.simulation import RunningPlant
from otm.simulation.plant import Mode
from otm.store.combined import Store

Say = Callable[[str], None]


@dataclass(frozen=True)
class ScenarioStep:
    """Something the demo does to its plant ``at`` seconds into monitoring."""

    at: float
    what: str
    act: Callable[[RunningPlant, Store], str | None]


def _force_level(plant: RunningPlant, _store: Store) -> None:
    plant.set("tank-plc", "TK1.LEVEL", 97.0)


def _acknowledge(_plant: RunningPlant, store: Store) -> str:
    done = alarm_service.act(store, "acknowledge", "tank-level.hihi", "operator",
                             comment="demo: level seen, inlet pump checked", wait=10)  # fmt: skip
    return f"{done.status}: {done.result}"


def _kill_packer(plant: RunningPlant, _store: Store) -> None:
    plant.kill("packer-plc")


def _restart_packer(plant: RunningPlant, _store: Store) -> None:
    plant.restart("packer-plc")


def _release_level(plant: RunningPlant, _store: Store) -> None:
    plant.release("tank-plc", "TK1.LEVEL")


SCENARIO = (
    ScenarioStep(6, "force the tank level to 97 % (over HI 85 and HIHI 95)", _force_level),
    ScenarioStep(10, "operator acknowledges tank-level.hihi", _acknowledge),
    ScenarioStep(14, "kill the packer PLC (EtherNet/IP)", _kill_packer),
    ScenarioStep(26, "restart the packer PLC", _restart_packer),
    ScenarioStep(30, "release the tank level to the process", _release_level),
)
"""What happens during the demo; 36 s of monitoring shows all of it."""


@dataclass
class DemoOptions:
    """What ``otm demo`` takes besides the database."""

    mode: Mode = "auto"
    duration: float | None = 40.0
    folder: Path = Path("demo")
    scenario: bool = True
    poll_interval: float = 1.0


@dataclass
class DemoReport:
    """What the demo did, for the closing summary."""

    mode: str = ""
    mode_reason: str = ""
    devices: int = 0
    scanned: int = 0
    sensor: SensorStatus | None = None
    monitor: MonitorStatus | None = None
    inventory: Inventory | None = None
    files: list[Path] = field(default_factory=list)
    scenario: list[str] = field(default_factory=list)


def run_demo(
    db: str | None,
    options: DemoOptions,
    say: Say,
    stop: threading.Event,
    *,
    on_event: Callable[[MonitorEvent], None] | None = None,
) -> DemoReport:
    """Run the demo into the database ``db`` until ``duration`` passes or ``stop`` is set.

    Raises ``PlantError`` when the plant cannot start (nothing is left
    running), ``StoreError`` when the database cannot be opened.
    """
    url = database_url(db)
    report = DemoReport()
    store = Store(url)
    plant = RunningPlant(mode=options.mode)
    try:
        say(f"starting the demo plant ({options.mode} mode requested)")
        plant.start()
        report.mode, report.mode_reason = plant.mode or "", plant.mode_reason
        report.devices = len(plant.devices)
        say(f"plant running in {plant.mode} mode: {plant.mode_reason}")
        for line in plant.describe():
            say("  " + line)
        sensor, sensor_thread = _passive(plant, store, say, report)
        try:
            if not stop.is_set():
                _active(plant, store, say, report)
            if not stop.is_set():
                report.files = _write_files(plant, options)
                say("plant files: " + ", ".join(str(p) for p in report.files))
                report.monitor = _monitor(url, plant, store, options, say, stop, report, on_event)
        finally:
            if sensor is not None and sensor_thread is not None:
                sensor.stop()
                sensor_thread.join(60)
                say(f"passive: {report.sensor.frames if report.sensor else 0} frames captured")
        report.inventory = rebuild_inventory(store)
    finally:
        plant.stop()
        store.close()
        say("demo plant stopped: no device process, namespace or interface left")
    return report


def _passive(
    plant: RunningPlant, store: Store, say: Say, report: DemoReport
) -> tuple[Sensor | None, threading.Thread | None]:
    interface = plant.capture_interface
    if interface is None:
        say(
            "passive: skipped - loopback mode has no interface of its own to capture "
            "(run as root for namespaces, or try `otm demo-capture` and `otm analyze`)"
        )
        return None, None
    try:
        sensor = open_sensor(interface, store, interval=2.0, detection=DetectionSession(store))
    except LiveError as exc:
        say(f"passive: cannot capture on {interface}: {exc}")
        return None, None

    def capture() -> None:
        report.sensor = sensor.run()

    thread = threading.Thread(target=capture, name="otm-demo-sensor", daemon=True)
    thread.start()
    say(f"passive: capturing on {interface} for the whole run")
    return sensor, thread


def _active(plant: RunningPlant, store: Store, say: Say, report: DemoReport) -> None:
    options = ScanOptions(
        allow=plant.scan_allow(),
        targets=plant.scan_targets(),
        broadcast=plant.scan_broadcast(),
        ports=plant.scan_ports(),
        # A simulated plant on one host answers at once: a shorter timeout
        # and no retry keep the scan of every protocol on every device short.
        rate=20.0,
        device_rate=5.0,
        timeout=1.0,
        retries=0,
    )
    say(f"active: scanning {', '.join(options.targets)} (allowed: {', '.join(options.allow)})")
    outcome = scan_network(options, store)
    rows = found_rows(outcome.result, outcome.inventory)
    report.scanned = len(rows)
    for row in rows:
        fields = ", ".join(
            f"{k}={v}" for k, v in row.fields.items() if k in ("vendor", "model", "firmware")
        )
        say(f"  {row.ip}: {'/'.join(row.protocols)} {fields}")


def _write_files(plant: RunningPlant, options: DemoOptions) -> list[Path]:
    options.folder.mkdir(parents=True, exist_ok=True)
    tags = options.folder / "tags.yaml"
    alarms = options.folder / "alarms.yaml"
    tags.write_text(plant.tags_yaml(interval=options.poll_interval), encoding="utf-8")
    alarms.write_text(plant.alarms_yaml(), encoding="utf-8")
    return [tags, alarms]


def _monitor(
    url: str,
    plant: RunningPlant,
    store: Store,
    options: DemoOptions,
    say: Say,
    stop: threading.Event,
    report: DemoReport,
    on_event: Callable[[MonitorEvent], None] | None,
) -> MonitorStatus:
    tags_path, alarms_path = report.files
    monitor_options = MonitorOptions(
        parse_tags(tags_path.read_text(encoding="utf-8"), str(tags_path)),
        str(tags_path),
        alarms_path.read_text(encoding="utf-8"),
        str(alarms_path),
        duration=options.duration,
    )
    shown = on_event or (lambda event: say(describe(event)))
    monitor = Monitor(url, monitor_options, on_event=shown)
    length = "until stopped" if options.duration is None else f"for {options.duration:g} s"
    say(f"monitoring {len(plant.devices)} devices {length}")

    async def main() -> MonitorStatus:
        done = asyncio.Event()
        watch = asyncio.create_task(_watch(stop, done))
        story = asyncio.create_task(_scenario(plant, store, options, say, report, done))
        try:
            return await monitor.run(done)
        finally:
            done.set()
            story.cancel()
            await watch

    return asyncio.run(main())


async def _watch(stop: threading.Event, done: asyncio.Event) -> None:
    """Carry the caller's (thread) stop into the loop's event."""
    while not stop.is_set() and not done.is_set():
        await asyncio.sleep(0.2)
    done.set()


async def _scenario(
    plant: RunningPlant,
    store: Store,
    options: DemoOptions,
    say: Say,
    report: DemoReport,
    done: asyncio.Event,
) -> None:
    if not options.scenario:
        return
    started = time.monotonic()
    for step in SCENARIO:
        if options.duration is not None and step.at >= options.duration:
            return
        delay = started + step.at - time.monotonic()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), delay)
                return
        say(f"scenario: {step.what}")
        try:
            outcome = await asyncio.to_thread(step.act, plant, store)
        except Exception as exc:  # a demo step failing must not stop the demo
            outcome = f"failed: {exc}"
        line = step.what if outcome is None else f"{step.what} -> {outcome}"
        report.scenario.append(line)
        if outcome is not None:
            say(f"scenario: {outcome}")
