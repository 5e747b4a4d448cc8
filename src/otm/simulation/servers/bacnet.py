"""BACnet/IP device: bacpypes3's application with a described device object and value objects.

Identity keys, properties of the device object (ASHRAE 135 clause 12.11):
``instance`` (its object identifier, also in I-Am), ``vendor_id`` (8 is
Delta Controls), ``vendor_name``, ``model_name``, ``firmware``
(firmware-revision), ``application_software`` (application-software-version),
``location``, ``description``, ``object_name``.  Per the team's testbed
notes the properties are set after ``Application.from_args`` (which builds
its own device object), and the device answers Who-Is sent to its subnet's
broadcast, which bacpypes3 computes from the address's prefix length.

Points name ``analog-value,N``, ``analog-input,N``, ``binary-value,N``,
``binary-input,N`` or a multi-state input or value; each becomes a local object whose
present-value follows its process variable.  A point set bad
(``set TAG bad``) gets reliability no-sensor, which raises the fault bit of
its status flags: otm's poller then reads the value as bad quality.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bacpypes3.app import Application  # type: ignore[import-untyped]
from bacpypes3.argparse import SimpleArgumentParser  # type: ignore[import-untyped]
from bacpypes3.local import local_vendor_info  # type: ignore[import-untyped]
from bacpypes3.local.analog import (  # type: ignore[import-untyped]
    AnalogInputObject,
    AnalogValueObject,
)
from bacpypes3.local.binary import (  # type: ignore[import-untyped]
    BinaryInputObject,
    BinaryValueObject,
)
from bacpypes3.local.multistate import (  # type: ignore[import-untyped]
    MultiStateInputObject,
    MultiStateValueObject,
)
from bacpypes3.vendor import VendorInfo, get_vendor_info  # type: ignore[import-untyped]

from otm.simulation.process import VARIABLES, Value
from otm.simulation.servers.base import ServeOptions, raw_value
from otm.simulation.spec import DemoDevice, Point

IDENTITY_DEFAULTS = {
    "instance": "1001",
    "vendor_id": "8",
    "vendor_name": "Delta Controls",
    "model_name": "DAC-633",
    "firmware": "4.1.0",
    "application_software": "",
    "location": "",
    "description": "",
    "object_name": "",
}

OBJECT_CLASSES: dict[str, Any] = {
    "analog-input": AnalogInputObject,
    "analog-value": AnalogValueObject,
    "binary-input": BinaryInputObject,
    "binary-value": BinaryValueObject,
    "multi-state-input": MultiStateInputObject,
    "multi-state-value": MultiStateValueObject,
}
"""Object types the demo serves -> bacpypes3's local object classes.

Outputs are left out: they are commandable (a priority array decides their
present-value), which is not a value that simply follows the process."""

_ADDRESS = re.compile(r"^([a-z-]+)\s*,\s*(\d{1,7})$")
_UNITS = {"degC": "degreesCelsius", "%": "percent", "rpm": "revolutionsPerMinute"}


def object_of(point: Point) -> tuple[str, int]:
    """``analog-value,1`` -> (``analog-value``, 1); ``ValueError`` for what is not served."""
    match = _ADDRESS.match(point.address.strip().lower())
    if match is None or match.group(1) not in OBJECT_CLASSES:
        kinds = ", ".join(OBJECT_CLASSES)
        raise ValueError(f"{point.tag}: {point.address!r} is not one of {kinds} with an instance")
    return match.group(1), int(match.group(2))


def register_vendor(vendor_id: int) -> None:
    """Let bacpypes3 build a device of ``vendor_id``.

    bacpypes3 builds an application's device and network-port objects from
    the classes registered for its vendor id, and registers its local
    (serving) classes for vendor 999 only; a real vendor's id gets those
    same classes.
    """
    if get_vendor_info(vendor_id).vendor_identifier == vendor_id:
        return
    info = VendorInfo(vendor_id)
    info.registered_object_classes.update(local_vendor_info.registered_object_classes)


def present_value(object_type: str, value: Value) -> Value:
    """A process value as the object's present-value (binary: active/inactive)."""
    if object_type.startswith("binary"):
        return "active" if value else "inactive"
    if object_type.startswith("multi-state"):
        return max(1, int(value)) if not isinstance(value, str) else 1
    return float(value) if not isinstance(value, str) else 0.0


class BacnetServer:
    """bacpypes3's application for one device (see the module docstring)."""

    quality = True

    def __init__(self, device: DemoDevice, options: ServeOptions) -> None:
        self.device = device
        self.options = options
        unknown = sorted(set(device.identity) - set(IDENTITY_DEFAULTS))
        if unknown:
            raise ValueError(f"unknown BACnet identity keys: {', '.join(unknown)}")
        self.identity = {**IDENTITY_DEFAULTS, **device.identity}
        self.objects = {p.tag: object_of(p) for p in device.points}
        self._app: Any = None
        self._made: dict[str, Any] = {}
        self._bad: frozenset[str] = frozenset()

    def address(self) -> str:
        """The device's address in bacpypes3's syntax: ``10.77.100.13/24:47808``."""
        return f"{self.options.host}/{self.options.prefix}:{self.options.port}"

    async def start(self) -> None:
        ident = self.identity
        name = ident["object_name"] or self.device.name
        register_vendor(int(ident["vendor_id"]))
        args = SimpleArgumentParser().parse_args(
            ["--address", self.address(), "--instance", ident["instance"],
             "--vendoridentifier", ident["vendor_id"], "--name", name]
        )  # fmt: skip
        app = Application.from_args(args)
        device = app.device_object
        device.vendorName = ident["vendor_name"]
        device.modelName = ident["model_name"]
        device.firmwareRevision = ident["firmware"]
        device.applicationSoftwareVersion = ident["application_software"]
        device.location = ident["location"]
        device.description = ident["description"]
        for point in self.device.points:
            object_type, instance = self.objects[point.tag]
            properties: dict[str, Any] = {
                "objectIdentifier": (object_type, instance),
                "objectName": point.tag,
                "description": point.description,
                "presentValue": present_value(object_type, _initial(point)),
            }
            properties["outOfService"] = False
            properties["reliability"] = "noFaultDetected"
            if object_type.startswith("analog"):
                properties["units"] = _UNITS.get(point.unit, "noUnits")
            if object_type.startswith("multi-state"):
                properties["numberOfStates"] = 16
            obj = OBJECT_CLASSES[object_type](**properties)
            app.add_object(obj)
            self._made[point.tag] = obj
        self._app = app

    async def publish(self, values: Mapping[str, Value], bad: frozenset[str]) -> None:
        for point in self.device.points:
            obj = self._made.get(point.tag)
            if obj is None:
                continue
            object_type, _instance = self.objects[point.tag]
            obj.presentValue = present_value(object_type, raw_value(point, values[point.tag]))
            if (point.tag in bad) != (point.tag in self._bad):
                obj.reliability = "noSensor" if point.tag in bad else "noFaultDetected"
        self._bad = bad

    async def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def _initial(point: Point) -> Value:
    """A value of the point's variable's type before the first publish."""
    initial: dict[str, Value] = {"bool": False, "int": 0, "float": 0.0, "str": ""}
    return initial[VARIABLES[point.variable].kind]
