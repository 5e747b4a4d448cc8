"""The demo plant on real stacks, watched with otm's own poller, alarms and scanner.

One plant per mode for the whole module (asyncua alone takes seconds to
start): in network namespaces (root only) and on loopback.  Tests that
change the plant put it back (``release``, ``restart``) before they end.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from sim_support import Watch, is_root, polling, tag_document

from otm.alarms.engine import AlarmEngine
from otm.alarms.loader import parse_alarms
from otm.observations.records import Identity
from otm.services.scan import ScanOptions, run_scan
from otm.simulation import DEFAULT_PLANT, RunningPlant, evaluate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["netns", "loopback"])
def plant(request: pytest.FixtureRequest) -> Iterator[RunningPlant]:
    if request.param == "netns" and not is_root():
        pytest.skip("netns mode needs root (network namespaces); loopback mode is tested")
    with RunningPlant(DEFAULT_PLANT, mode=request.param) as running:
        yield running


def _good(watch: Watch, tags: list[str]) -> bool:
    for tag in tags:
        last = watch.last(tag)
        if last is None or last.quality != "good":
            return False
    return True


def test_the_plant_reports_the_mode_it_got_and_where_each_device_is(plant: RunningPlant) -> None:
    assert plant.mode == plant.requested and plant.mode_reason
    assert set(plant.devices) == {d.name for d in DEFAULT_PLANT.devices}
    ips = [d.ip for d in plant.devices.values()]
    assert len(set(ips)) == len(ips)
    if plant.mode == "netns":
        assert plant.scan_ports() == {}
        assert plant.subnet is not None and plant.scan_allow() == [plant.subnet]
        assert plant.capture_interface == f"otmdemo-{plant.run_id}"
        assert {d.port for d in plant.devices.values()} == {502, 102, 44818, 47808, 4840}
    else:
        assert plant.scan_ports() == {"modbus": 5020, "s7": 10102}
        assert plant.capture_interface is None and plant.run_id is None
        assert all(ip.startswith("127.77.") for ip in ips)


def test_every_device_answers_otms_poller_with_good_values(plant: RunningPlant) -> None:
    document = tag_document(plant)
    tags = [t.name for d in document.devices for t in d.tags]
    watch = asyncio.run(polling(document, lambda w: _good(w, tags), "a good value of every tag"))
    for device in plant.devices.values():
        assert watch.states(device.ip)[-1:] == ["up"], device.name
    level = watch.last("L1.TANK_LEVEL")
    assert level is not None and isinstance(level.value, float)
    expected = evaluate(level.time - plant.epoch, plant.plant.seed)["tank_level"]
    assert isinstance(expected, float)
    assert abs(level.value - expected) <= 3.0  # the tank moves 1.5 %/s between publications
    batch = watch.last("OPC.L1.BATCH")
    assert batch is not None and str(batch.value).startswith("B0")
    assert watch.last("AHU1.SETPOINT") is not None
    running = watch.last("PK1.RUN")
    assert running is not None and isinstance(running.value, bool)


def test_set_changes_polled_values_and_fires_the_plants_alarms(plant: RunningPlant) -> None:
    document = tag_document(plant, ["tank-plc", "line-opcua"])
    engine = AlarmEngine(parse_alarms(plant.alarms_yaml()))

    def forced(watch: Watch) -> bool:
        level, temp = watch.last("TK1.LEVEL"), watch.last("OPC.L1.TEMP")
        return (level is not None and level.value == 96.0 and temp is not None
                and temp.quality == "bad")  # fmt: skip

    plant.set("tank-plc", "TK1.LEVEL", 96)
    plant.set_bad("line-opcua", "OPC.L1.TEMP")
    try:
        watch = asyncio.run(polling(document, forced, "the forced values"))
        pump = watch.last("TK1.PUMP")
        assert pump is not None and pump.value is False  # the pump follows the forced level
        engine.feed(watch.observations)
        active = {s.alarm for s in engine.active()}
        assert {"tank-level.hi", "tank-level.hihi", "opc-l1-temp-quality"} <= active
    finally:
        plant.release("tank-plc", "TK1.LEVEL")
        plant.release("line-opcua", "OPC.L1.TEMP")

    def released(watch: Watch) -> bool:
        level = watch.last("TK1.LEVEL")
        return level is not None and level.value != 96.0 and _good(watch, ["OPC.L1.TEMP"])

    back = asyncio.run(polling(document, released, "released values"))
    level = back.last("TK1.LEVEL")
    assert level is not None and isinstance(level.value, float) and 20 <= level.value <= 80


def test_a_device_that_refuses_a_command_says_why(plant: RunningPlant) -> None:
    with pytest.raises(Exception, match="modbus carries no quality"):
        plant.set_bad("tank-plc", "TK1.LEVEL")
    with pytest.raises(Exception, match="has no point 'NOPE'"):
        plant.set("line-plc", "NOPE", 1)


def test_a_killed_device_goes_down_and_comes_back_up_after_restart(plant: RunningPlant) -> None:
    tank = plant.devices["tank-plc"]
    document = tag_document(plant, ["tank-plc"], backoff_max=0.5, health_interval=0.5)
    engine = AlarmEngine(parse_alarms(plant.alarms_yaml()))
    asyncio.run(polling(document, lambda w: w.states(tank.ip)[-1:] == ["up"], "up"))
    plant.kill("tank-plc")
    assert not plant.alive("tank-plc")
    with socket.socket() as s:
        s.settimeout(2.0)
        assert s.connect_ex((tank.ip, tank.port)) != 0
    try:
        down = asyncio.run(polling(document, lambda w: "down" in w.states(tank.ip), "down"))
        engine.feed(down.observations)
        assert "tank-plc-down" in {s.alarm for s in engine.active()}
    finally:
        plant.restart("tank-plc")
    assert plant.alive("tank-plc")
    asyncio.run(polling(document, lambda w: w.states(tank.ip)[-1:] == ["up"], "up again"))


def test_otms_scanner_identifies_every_device(plant: RunningPlant) -> None:
    options = ScanOptions(
        allow=plant.scan_allow(), targets=plant.scan_targets(),
        protocols=["modbus", "s7", "enip", "bacnet", "opcua"], ports=plant.scan_ports(),
        rate=500.0, device_rate=100.0, timeout=1.0, retries=0,
    )  # fmt: skip
    started = time.monotonic()
    result = run_scan(options)
    seconds = time.monotonic() - started
    said: dict[str, dict[str, str | int]] = {}
    for obs in result.observations:
        if isinstance(obs, Identity):
            said.setdefault(obs.ip, {}).update(obs.fields)
    by_name = {d.name: said.get(d.ip, {}) for d in plant.devices.values()}
    assert by_name["tank-plc"].get("vendor") == "Schneider Electric", by_name["tank-plc"]
    assert by_name["line-plc"].get("serial") == "S C-D4N728192024", by_name["line-plc"]
    assert by_name["packer-plc"].get("model") == "1756-L83E/B", by_name["packer-plc"]
    assert by_name["ahu-1"].get("vendor") == "Delta Controls", by_name["ahu-1"]
    assert by_name["line-opcua"].get("vendor") == "Beckhoff Automation", by_name["line-opcua"]
    assert seconds < 20, f"the scan took {seconds:.1f} s"


@pytest.mark.skipif(not is_root(), reason="vendor MACs exist only in netns mode (root)")
def test_devices_carry_vendor_macs_the_host_side_sees(plant: RunningPlant) -> None:
    if plant.mode != "netns":
        pytest.skip("vendor MACs exist only in netns mode")
    interface = plant.capture_interface
    assert interface is not None
    addr = subprocess.run(["ip", "-o", "-4", "addr", "show", "dev", interface],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert f"{plant.host_ip}/24" in addr
    ipv6 = subprocess.run(["ip", "-o", "-6", "addr", "show", "dev", interface],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert ipv6.strip() == ""
    for device in plant.devices.values():
        assert device.netns is not None
        link = subprocess.run(["ip", "-n", device.netns, "-o", "link", "show", "eth0"],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
        assert device.device.mac in link
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"\x00", (device.ip, 9))  # resolve its MAC from the host side
    time.sleep(0.2)
    neighbours = subprocess.run(["ip", "neigh", "show", "dev", interface],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
    for device in plant.devices.values():
        assert f"{device.ip} lladdr {device.device.mac}" in neighbours
