"""The tag and alarm files of a plant load with otm's own loaders, with every device and point."""

from __future__ import annotations

import dataclasses

from otm.alarms.definitions import DeviceDownAlarm, LimitAlarm
from otm.alarms.loader import parse_alarms
from otm.polling.tags import parse_address, parse_tags
from otm.simulation.config import alarms_yaml, tags_yaml
from otm.simulation.network import Slot
from otm.simulation.spec import DEFAULT_PLANT, HIGH_PORTS, STANDARD_PORTS, DemoDevice


def _placed(loopback: bool) -> list[tuple[DemoDevice, Slot]]:
    out = []
    for d in DEFAULT_PLANT.devices:
        ip = f"127.77.9.{d.host}" if loopback else f"10.77.100.{d.host}"
        port = (HIGH_PORTS if loopback else STANDARD_PORTS)[d.kind]
        out.append((d, Slot("" if loopback else f"ns-{d.name}", ip, port, ip)))
    return out


def test_tag_file_lists_every_point_at_its_device_address_and_port() -> None:
    placed = _placed(loopback=True)
    doc = parse_tags(tags_yaml(placed, "127.77.9.1/32:47809", interval=0.5))
    assert doc.bacnet_address == "127.77.9.1/32:47809"
    by_name = {d.name: d for d in doc.devices}
    for device, slot in placed:
        spec = by_name[device.name]
        assert (spec.protocol, spec.host, spec.target_port, spec.interval) == (
            device.kind, slot.ip, slot.port, 0.5)  # fmt: skip
        assert [t.name for t in spec.tags] == [p.tag for p in device.points]
        for tag in spec.tags:
            parse_address(spec.protocol, tag)
    assert by_name["tank-plc"].target_port == 5020
    assert by_name["line-plc"].target_port == 10102
    assert (by_name["line-plc"].rack, by_name["line-plc"].slot) == (0, 2)
    assert by_name["line-opcua"].opcua_url == "opc.tcp://127.77.9.14:4840"
    temp = next(t for t in by_name["tank-plc"].tags if t.name == "TK1.TEMP")
    assert (temp.type, temp.scale, temp.unit) == ("int16", 0.1, "degC")


def test_tag_file_is_the_same_text_for_the_same_plant() -> None:
    placed = _placed(loopback=False)
    assert tags_yaml(placed, None) == tags_yaml(placed, None)
    assert "bacnet_address" not in tags_yaml(placed, None)


def test_alarm_file_loads_with_limits_quality_and_a_device_down_per_device() -> None:
    placed = _placed(loopback=False)
    config = parse_alarms(alarms_yaml(placed), source="demo-alarms.yaml")
    keys = {p.key for p in config.points()}
    assert {"tank-level.hi", "tank-level.hihi", "tank-level.lo", "line-temp-low.lo",
            "room-temp-deviation", "opc-l1-temp-quality"} <= keys  # fmt: skip
    downs = {d.device for d in config.definitions if isinstance(d, DeviceDownAlarm)}
    assert downs == {slot.ip for _, slot in placed}
    tank = next(d for d in config.definitions if d.name == "tank-level")
    assert isinstance(tank, LimitAlarm)
    assert (tank.device, tank.tag) == ("10.77.100.10", "TK1.LEVEL")
    assert tank.hihi is not None and tank.hihi.limit == 95


def test_alarm_file_of_a_plant_without_a_tank_has_no_tank_alarm() -> None:
    placed = [(d, s) for d, s in _placed(loopback=True) if d.kind in ("s7", "enip")]
    placed = [(dataclasses.replace(d, points=d.points[1:]), s) for d, s in placed]
    config = parse_alarms(alarms_yaml(placed))
    names = {d.name for d in config.definitions}
    assert "tank-level" not in names and "line-temp-low" in names
    assert {"line-plc-down", "packer-plc-down"} <= names
