"""The plant as data, the command protocol and the stacks' byte layouts (no processes)."""

from __future__ import annotations

import dataclasses
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otm.simulation.commands import QUIT, Forcing, execute
from otm.simulation.servers.base import encode, raw_value, registers
from otm.simulation.servers.enip import identity_section
from otm.simulation.servers.modbus import slot as modbus_slot
from otm.simulation.servers.s7 import firmware_words, szl_components, szl_module
from otm.simulation.servers.s7 import slot as s7_slot
from otm.simulation.spec import DEFAULT_PLANT, TANK_PLC, DemoDevice, DemoPlant, Point


def test_every_default_device_travels_as_json_unchanged() -> None:
    for device in DEFAULT_PLANT.devices:
        assert DemoDevice.from_json(device.to_json()) == device


def test_default_plant_has_one_device_of_each_stack_with_a_vendor_mac() -> None:
    kinds = [d.kind for d in DEFAULT_PLANT.devices]
    assert sorted(kinds) == ["bacnet", "enip", "modbus", "opcua", "s7"]
    ouis = {d.kind: d.mac[:8] for d in DEFAULT_PLANT.devices}
    assert ouis == {"modbus": "00:80:f4", "s7": "00:1b:1b", "enip": "00:00:bc",
                    "bacnet": "00:40:ae", "opcua": "00:01:05"}  # fmt: skip


def test_a_plant_refuses_duplicate_names_octets_and_tags() -> None:
    twin = dataclasses.replace(TANK_PLC, name="tank-plc-2", mac="00:80:f4:4d:00:20", host=20)
    with pytest.raises(ValueError, match=r"tag name 'TK1\.LEVEL' appears twice"):
        DemoPlant((TANK_PLC, twin))
    with pytest.raises(ValueError, match="host octet 10 appears twice"):
        DemoPlant((TANK_PLC, dataclasses.replace(twin, host=10, points=())))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Tank PLC"}, "lower-case"),
        ({"mac": "01:80:f4:00:00:01"}, "multicast"),
        ({"mac": "0080f4000001"}, "not aa:bb"),
        ({"host": 1}, "otm's"),
    ],
)
def test_a_device_refuses_what_a_network_cannot_hold(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(TANK_PLC, **change)  # type: ignore[arg-type]


def test_a_point_names_a_known_variable() -> None:
    with pytest.raises(ValueError, match="unknown process variable"):
        Point("X", "no_such_variable", "hr:0")


def test_commands_force_release_and_refuse() -> None:
    forcing = Forcing()
    assert execute("set TK1.LEVEL 96", TANK_PLC, forcing, quality=False) == "ok"
    assert forcing.overrides == {"tank_level": 96.0}
    assert execute("set pump_running on", TANK_PLC, forcing, quality=False) == "ok"
    assert execute("release TK1.PUMP", TANK_PLC, forcing, quality=False) == "ok"
    assert forcing.overrides == {"tank_level": 96.0}
    assert execute("set TK1.LEVEL bad", TANK_PLC, forcing, quality=False).startswith(
        "error modbus carries no quality"
    )
    assert execute("set TK1.LEVEL bad", TANK_PLC, forcing, quality=True) == "ok"
    assert forcing.bad == {"TK1.LEVEL"}
    assert execute("release tank_level", TANK_PLC, forcing, quality=True) == "ok"
    assert forcing == Forcing()
    assert execute("set NOPE 1", TANK_PLC, forcing, quality=False).startswith("error tank-plc has")
    assert execute("set TK1.PUMP maybe", TANK_PLC, forcing, quality=False).startswith("error")
    assert execute("frobnicate", TANK_PLC, forcing, quality=False).startswith("error unknown")
    assert execute("quit", TANK_PLC, forcing, quality=False) == QUIT


def test_modbus_points_find_their_registers() -> None:
    found = {p.tag: modbus_slot(p) for p in TANK_PLC.points}
    assert (found["TK1.LEVEL"].table, found["TK1.LEVEL"].address, found["TK1.LEVEL"].count) == (
        "hr", 0, 2)  # fmt: skip
    assert (found["TK1.PUMP"].table, found["TK1.PUMP"].dtype) == ("co", "bool")
    assert modbus_slot(Point("X", "tank_level", "hr:40001", "float32")).address == 0
    with pytest.raises(ValueError):
        modbus_slot(Point("X", "tank_level", "hr:0", "string"))


def test_a_scaled_point_is_published_in_raw_units() -> None:
    temp = TANK_PLC.point("TK1.TEMP")  # int16, scale 0.1
    assert raw_value(temp, 45.26) == 453
    assert registers(encode("int16", 453)) == [453]
    assert registers(encode("float32", 96.0)) == list(struct.unpack(">HH", struct.pack(">f", 96.0)))


@given(st.floats(min_value=-1e12, max_value=1e12))
def test_integers_saturate_instead_of_failing(value: float) -> None:
    (got,) = struct.unpack(">h", encode("int16", value))
    assert -32768 <= got <= 32767


def test_s7_identity_lists_have_the_layout_of_an_s7_300() -> None:
    line = next(d for d in DEFAULT_PLANT.devices if d.kind == "s7")
    module = szl_module({"order_code": "6ES7 315-2EH14-0AB0", "firmware": "3.2.8"})
    assert struct.unpack_from(">HH", module) == (28, 3)
    assert struct.unpack_from(">H20sHHH", module, 4 + 2 * 28) == (
        7, b" " * 20, 0x00C0, 0x5603, 0x0208)  # fmt: skip
    components = szl_components({**dict.fromkeys(
        ("station_name", "module_name", "plant_id", "copyright", "serial", "module_type"), "x"),
        **line.identity})  # fmt: skip
    assert struct.unpack_from(">HH", components) == (34, 6)
    assert components[4 + 4 * 34 + 2 :].startswith(b"S C-D4N728192024\x00")
    assert firmware_words("3.2.8") == (0x5603, 0x0208)
    with pytest.raises(ValueError):
        firmware_words("3.2")


def test_s7_points_find_their_memory() -> None:
    line = next(d for d in DEFAULT_PLANT.devices if d.kind == "s7")
    found = {p.tag: s7_slot(p) for p in line.points}
    assert (found["L1.TEMP"].index, found["L1.TEMP"].start, found["L1.TEMP"].dtype) == (
        1, 4, "float32")  # fmt: skip
    assert (found["L1.RUN"].start, found["L1.RUN"].bit) == (8, 0)
    assert (found["L1.AUTO"].index, found["L1.AUTO"].start, found["L1.AUTO"].bit) == (0, 22, 0)
    with pytest.raises(ValueError, match="does not fit"):
        s7_slot(Point("X", "tank_level", "DB1.DBW0", "float32"))


def test_enip_identity_becomes_cpppo_decimal_config() -> None:
    section = identity_section({"revision": "32.11", "serial": "0x00c0ffee"})
    assert section["Product Revision"] == str(32 | 11 << 8)
    assert section["Serial Number"] == str(0x00C0FFEE)
    assert section["Product Name"] == "1756-L83E/B"
    with pytest.raises(ValueError, match="unknown EtherNet/IP identity keys: colour"):
        identity_section({"colour": "red"})
