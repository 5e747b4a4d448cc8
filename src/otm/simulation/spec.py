"""What the demo plant is made of: devices, their identities, MACs, addresses and points.

A ``DemoPlant`` is data, not running code: the launcher (``plant``) starts
it, the device servers (``servers``) serve each ``DemoDevice``, and the
configuration writer (``config``) turns it into otm's tag and alarm files.
Each device's ``points`` are the one table all three read: the tag name otm
polls, the process variable behind it, and its address in the syntax of
otm's tag documents (``otm.polling.tags``), so what a server publishes and
what the poller reads cannot drift apart.

A device travels to its server process as JSON (``to_json``/``from_json``),
so a plant of one's own (other tags, other identities) needs no code.

The MACs carry the IEEE OUI of each vendor (Schneider's 00:80:F4
Telemecanique block, Siemens 00:1B:1B, Rockwell 00:00:BC, Delta Controls
00:40:AE, Beckhoff 00:01:05), so OUI lookup has something true to find.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from otm.simulation.process import VARIABLES

DeviceKind = Literal["modbus", "s7", "enip", "bacnet", "opcua"]
KINDS: tuple[DeviceKind, ...] = ("modbus", "s7", "enip", "bacnet", "opcua")

STANDARD_PORTS: Mapping[DeviceKind, int] = {
    "modbus": 502,
    "s7": 102,
    "enip": 44818,
    "bacnet": 47808,
    "opcua": 4840,
}
"""Each stack's well-known port: where devices listen in their own namespaces."""

HIGH_PORTS: Mapping[DeviceKind, int] = {
    "modbus": 5020,
    "s7": 10102,
    "enip": 44818,
    "bacnet": 47808,
    "opcua": 4840,
}
"""Ports an unprivileged user may bind (above 1023): where devices listen on loopback."""

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclass(frozen=True, slots=True)
class Point:
    """One published value: otm's tag name, the process variable, its address on the device.

    ``address`` and ``type`` are in ``otm.tags/1`` syntax for the device's
    protocol (``hr:0`` float32, ``DB1.DBD4`` float32, ``ns=2;s=Line1.Speed``,
    ``analog-value,1``, ``Speed`` float32).  The wire holds ``value / scale``
    (the tag document's ``scale`` turns it back).
    """

    tag: str
    variable: str
    address: str
    type: str | None = None
    scale: float = 1.0
    unit: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if self.variable not in VARIABLES:
            raise ValueError(f"point {self.tag}: unknown process variable {self.variable!r}")
        if self.scale == 0:
            raise ValueError(f"point {self.tag}: scale must not be 0")


@dataclass(frozen=True, slots=True)
class DemoDevice:
    """One device of the plant.

    ``host`` is the last octet of its address on the plant subnet (netns) and
    on its loopback network (loopback mode); ``identity`` holds the fields the
    device's stack reports, keys as its server module documents them (a
    missing key takes the server's default).
    """

    name: str
    kind: DeviceKind
    mac: str
    host: int
    identity: Mapping[str, str] = field(default_factory=dict)
    points: tuple[Point, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"device name {self.name!r}: lower-case letters, digits, '-'")
        if self.kind not in KINDS:
            raise ValueError(f"device {self.name}: unknown kind {self.kind!r}")
        if not _MAC.match(self.mac):
            raise ValueError(f"device {self.name}: MAC {self.mac!r} is not aa:bb:cc:dd:ee:ff")
        if int(self.mac[:2], 16) & 1:
            raise ValueError(f"device {self.name}: {self.mac} is a multicast MAC")
        if not 2 <= self.host <= 254:
            raise ValueError(f"device {self.name}: host octet {self.host} (2-254; .1 is otm's)")

    def point(self, name: str) -> Point:
        """The point with tag name or process variable ``name``; KeyError if none."""
        for point in self.points:
            if name in (point.tag, point.variable):
                return point
        raise KeyError(f"{self.name} has no point {name!r}")

    def to_json(self) -> str:
        """The device as one line of JSON (how it reaches its server process)."""
        data = {
            "name": self.name,
            "kind": self.kind,
            "mac": self.mac,
            "host": self.host,
            "identity": dict(self.identity),
            "points": [
                {
                    "tag": p.tag,
                    "variable": p.variable,
                    "address": p.address,
                    "type": p.type,
                    "scale": p.scale,
                    "unit": p.unit,
                    "description": p.description,
                }
                for p in self.points
            ],
            "description": self.description,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> DemoDevice:
        """The inverse of ``to_json``; ``ValueError`` for anything malformed."""
        try:
            data: Any = json.loads(text)
            points = tuple(Point(**p) for p in data["points"])
            return cls(
                name=str(data["name"]),
                kind=cast(DeviceKind, data["kind"]),
                mac=str(data["mac"]),
                host=int(data["host"]),
                identity={str(k): str(v) for k, v in data["identity"].items()},
                points=points,
                description=str(data.get("description", "")),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a demo device: {exc}") from None


@dataclass(frozen=True, slots=True)
class DemoPlant:
    """A plant: its devices (unique names, host octets and tag names) and its seed."""

    devices: tuple[DemoDevice, ...]
    seed: int = 0
    name: str = "otm demo plant"

    def __post_init__(self) -> None:
        if not self.devices:
            raise ValueError("a plant needs at least one device")
        for what, values in (
            ("device name", [d.name for d in self.devices]),
            ("host octet", [d.host for d in self.devices]),
            ("tag name", [p.tag for d in self.devices for p in d.points]),
        ):
            seen: set[object] = set()
            for value in values:
                if value in seen:
                    raise ValueError(f"{what} {value!r} appears twice in the plant")
                seen.add(value)

    def device(self, name: str) -> DemoDevice:
        """The device called ``name``; KeyError if none."""
        for device in self.devices:
            if device.name == name:
                return device
        raise KeyError(f"the plant has no device {name!r}")


TANK_PLC = DemoDevice(
    name="tank-plc",
    kind="modbus",
    mac="00:80:f4:4d:00:10",
    host=10,
    identity={
        "vendor": "Schneider Electric",
        "product_code": "TM221CE24T",
        "revision": "V1.10.2.0",
        "vendor_url": "www.se.com",
        "product_name": "Modicon M221 Logic Controller",
        "model_name": "TM221CE24T",
        "application_name": "TANK_T1",
    },
    points=(
        Point("TK1.LEVEL", "tank_level", "hr:0", "float32", unit="%",
              description="tank T1 level"),
        Point("TK1.INFLOW", "inlet_flow", "hr:2", "float32", unit="m3/h",
              description="inlet flow FT1"),
        Point("TK1.VALVE", "outlet_valve", "hr:4", "uint16", unit="%",
              description="outlet valve opening"),
        Point("TK1.TEMP", "tank_temperature", "hr:5", "int16", scale=0.1, unit="degC",
              description="tank T1 temperature"),
        Point("TK1.STARTS", "pump_starts", "ir:0", "uint32", description="pump P1 starts"),
        Point("TK1.PUMP", "pump_running", "co:0", description="inlet pump P1 running"),
        Point("TK1.LSH", "high_level_switch", "di:0", description="high level switch LSH1"),
    ),
    description="tank T1 controller (Modbus/TCP)",
)  # fmt: skip

LINE_PLC = DemoDevice(
    name="line-plc",
    kind="s7",
    mac="00:1b:1b:4d:00:11",
    host=11,
    identity={
        "order_code": "6ES7 315-2EH14-0AB0",
        "firmware": "3.2.8",
        "station_name": "otm demo line 1",
        "module_name": "LINE1_PLC",
        "plant_id": "LINE1",
        "copyright": "Original Siemens Equipment",
        "serial": "S C-D4N728192024",
        "module_type": "CPU 315-2 PN/DP",
    },
    points=(
        Point("L1.TANK_LEVEL", "tank_level", "DB1.DBD0", "float32", unit="%",
              description="tank T1 level, as line 1 sees it"),
        Point("L1.TEMP", "line_temperature", "DB1.DBD4", "float32", unit="degC",
              description="line 1 product temperature"),
        Point("L1.RUN", "motor_running", "DB1.DBX8.0", description="motor M1 running"),
        Point("L1.SPEED", "motor_speed", "DB1.DBW10", "int16", unit="rpm",
              description="motor M1 speed"),
        Point("L1.COUNT", "parts_count", "DB1.DBD12", "int32", description="parts made"),
        Point("L1.CURRENT", "motor_current", "MW20", "int16", scale=0.1, unit="A",
              description="motor M1 current"),
        Point("L1.AUTO", "line_auto", "M22.0", description="line 1 in automatic"),
    ),
    description="line 1 controller (S7comm)",
)  # fmt: skip

PACKER_PLC = DemoDevice(
    name="packer-plc",
    kind="enip",
    mac="00:00:bc:4d:00:12",
    host=12,
    identity={
        "vendor_id": "1",
        "device_type": "14",
        "product_code": "166",
        "revision": "32.11",
        "serial": "0x00c0ffee",
        "product_name": "1756-L83E/B",
    },
    points=(
        Point("PK1.SPEED", "conveyor_speed", "Speed", "float32", unit="m/min",
              description="packer conveyor speed"),
        Point("PK1.COUNT", "packs_count", "Count", "int32", description="packs made"),
        Point("PK1.RUN", "motor_running", "Running", "bool", description="packer running"),
        Point("PK1.TEMP", "line_temperature", "Temp", "float32", unit="degC",
              description="product temperature at the packer"),
    ),
    description="packer controller (EtherNet/IP)",
)  # fmt: skip

AHU = DemoDevice(
    name="ahu-1",
    kind="bacnet",
    mac="00:40:ae:4d:00:13",
    host=13,
    identity={
        "instance": "1013",
        "vendor_id": "8",
        "vendor_name": "Delta Controls",
        "model_name": "DAC-633",
        "firmware": "4.1.0",
        "application_software": "AHU-1 program 2.3",
        "location": "otm demo plant, control room",
        "description": "control room air handler",
        "object_name": "AHU-1",
    },
    points=(
        Point("AHU1.ROOM_TEMP", "room_temperature", "analog-value,1", unit="degC",
              description="control room temperature"),
        Point("AHU1.SETPOINT", "room_setpoint", "analog-value,2", unit="degC",
              description="control room setpoint"),
        Point("AHU1.FAN", "fan_running", "binary-value,3", description="supply fan running"),
        Point("AHU1.OAT", "outside_temperature", "analog-input,4", unit="degC",
              description="outside air temperature"),
    ),
    description="air handling unit controller (BACnet/IP)",
)  # fmt: skip

LINE_SERVER = DemoDevice(
    name="line-opcua",
    kind="opcua",
    mac="00:01:05:4d:00:14",
    host=14,
    identity={
        "manufacturer": "Beckhoff Automation",
        "product_name": "TwinCAT OPC UA Server",
        "product_uri": "urn:otm:demo:twincat-opcua-server",
        "software_version": "4.3.2",
        "build_number": "4024",
        "build_date": "2025-11-20",
        "application_uri": "urn:otm:demo:line1:opcua",
        "application_name": "Line 1 OPC UA server",
    },
    points=(
        Point("OPC.L1.TEMP", "line_temperature", "ns=2;s=Line1.Temperature", unit="degC",
              description="line 1 product temperature"),
        Point("OPC.L1.RUN", "motor_running", "ns=2;s=Line1.Running", description="line running"),
        Point("OPC.L1.COUNT", "parts_count", "ns=2;s=Line1.Count", description="parts made"),
        Point("OPC.L1.BATCH", "batch_name", "ns=2;s=Line1.Batch", description="current batch"),
        Point("OPC.L1.SPEED", "motor_speed", "ns=2;s=Line1.Speed", unit="rpm",
              description="motor M1 speed"),
    ),
    description="line 1 OPC UA server (Security None, anonymous)",
)  # fmt: skip

DEFAULT_PLANT = DemoPlant((TANK_PLC, LINE_PLC, PACKER_PLC, AHU, LINE_SERVER))
"""The plant ``otm demo`` runs: one device of each stack."""
