"""Device servers: one module a stack, each serving a ``DemoDevice`` over another library.

``server_for`` imports a stack's module only when a device of that kind is
served, so a Modbus device process never loads asyncua (100 MB).
Registering a stack is one line in ``SERVERS``.
"""

from __future__ import annotations

import importlib

from otm.simulation.servers.base import DeviceServer, ServeOptions
from otm.simulation.spec import DemoDevice

SERVERS: dict[str, tuple[str, str]] = {
    "modbus": ("otm.simulation.servers.modbus", "ModbusServer"),
    "s7": ("otm.simulation.servers.s7", "S7Server"),
    "enip": ("otm.simulation.servers.enip", "EnipServer"),
    "bacnet": ("otm.simulation.servers.bacnet", "BacnetServer"),
    "opcua": ("otm.simulation.servers.opcua", "OpcuaServer"),
}
"""Device kind -> (module, server class)."""


def server_for(device: DemoDevice, options: ServeOptions) -> DeviceServer:
    """The server of ``device``'s kind, built (not started)."""
    module_name, class_name = SERVERS[device.kind]
    cls = getattr(importlib.import_module(module_name), class_name)
    server: DeviceServer = cls(device, options)
    return server
