"""Protocol drivers: one module a protocol, each over a maintained client library.

``DriverSet`` builds the driver of each device of a tag document, importing
a protocol's module (and its client library) only when a device speaks it,
so a plant without BACnet never loads bacpypes3.  Registering a protocol is
one line in ``_BUILDERS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from otm.polling.drivers.base import Driver
from otm.polling.tags import DeviceSpec, TagDocument

_BUILDERS: dict[str, tuple[str, str]] = {
    "modbus": ("otm.polling.drivers.modbus", "ModbusDriver"),
    "s7": ("otm.polling.drivers.s7", "S7Driver"),
    "opcua": ("otm.polling.drivers.opcua", "OpcuaDriver"),
    "bacnet": ("otm.polling.drivers.bacnet", "BacnetDriver"),
    "enip": ("otm.polling.drivers.enip", "EnipDriver"),
}
"""protocol -> (module, driver class)."""

DriverFactory = Callable[[DeviceSpec], Driver]
"""What the poller calls to get a device's driver (tests pass fakes)."""


class DriverSet:
    """Builds real drivers for the devices of one document, sharing what they can.

    BACnet devices share one bacpypes3 application (one UDP socket), bound to
    the document's ``bacnet_address``.
    """

    def __init__(self, document: TagDocument) -> None:
        self._document = document
        self._hub: Any = None

    def __call__(self, device: DeviceSpec) -> Driver:
        module_name, class_name = _BUILDERS[device.protocol]
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
        if device.protocol == "bacnet":
            if self._hub is None:
                self._hub = module.BacnetHub(self._document.bacnet_address)
            driver: Driver = cls(device, self._hub)
            return driver
        built: Driver = cls(device)
        return built
