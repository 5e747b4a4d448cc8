"""OPC UA server: asyncua's, with a BuildInfo and the line's variables in namespace 2.

**Security None, anonymous access, on purpose.**  This is a demo device on
a private namespace network or on loopback; it offers only the None security
policy and accepts anonymous sessions, as many plant servers still do (and
as otm's scanner flags).  Never point it at a real network.

Identity keys: ``manufacturer``, ``product_name``, ``product_uri``,
``software_version``, ``build_number``, ``build_date`` (``YYYY-MM-DD``) form
the server's BuildInfo (OPC 10000-5, 12.4); ``application_uri`` and
``application_name`` are what GetEndpoints reports.

Points name string node ids in namespace 2 (``ns=2;s=Line1.Temperature``);
the part before the first dot becomes an object under Objects holding the
variables (``Line1``).  A variable's type follows its process variable:
Double, Boolean, Int32 or String.  A point set bad carries the status
Bad_SensorFailure (and its last value), which otm's poller reads as bad
quality.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from asyncua.server.server import Server
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uatypes import (
    DataValue,
    Int16,
    NodeId,
    SecurityPolicyType,
    StatusCode,
    String,
    UInt32,
    Variant,
    VariantType,
)

from otm.simulation.process import VARIABLES, Value
from otm.simulation.servers.base import ServeOptions, raw_value
from otm.simulation.spec import DemoDevice, Point

IDENTITY_DEFAULTS = {
    "manufacturer": "otm",
    "product_name": "otm demo OPC UA server",
    "product_uri": "urn:otm:demo:opcua-server",
    "software_version": "1.0.0",
    "build_number": "1",
    "build_date": "2026-01-01",
    "application_uri": "urn:otm:demo:opcua",
    "application_name": "otm demo OPC UA server",
}

NAMESPACE_URI = "urn:otm:demo:plant"
"""The first namespace a fresh asyncua server registers gets index 2."""

VARIANT_TYPES = {
    "float": VariantType.Double,
    "bool": VariantType.Boolean,
    "int": VariantType.Int32,
    "str": VariantType.String,
}
"""Process variable kind -> the OPC UA built-in type of its variable."""

BAD = StatusCode(UInt32(StatusCodes.BadSensorFailure))
_NODE = re.compile(r"^ns=2;s=([A-Za-z0-9_]+)\.([A-Za-z0-9_.]+)$")


def node_of(point: Point) -> tuple[str, str]:
    """``ns=2;s=Line1.Temperature`` -> (``Line1``, ``Line1.Temperature``)."""
    match = _NODE.match(point.address.strip())
    if match is None:
        raise ValueError(f"{point.tag}: {point.address!r} is not ns=2;s=Object.Name")
    return match.group(1), f"{match.group(1)}.{match.group(2)}"


def wire(point: Point, value: Value) -> Value:
    """The value in its variable's Python type (a forced 3 on a Double is 3.0)."""
    kind = VARIABLES[point.variable].kind
    raw = raw_value(point, value)
    if kind == "float":
        return float(raw) if not isinstance(raw, str) else 0.0
    if kind == "int":
        return int(raw) if not isinstance(raw, str) else 0
    if kind == "bool":
        return bool(raw)
    return str(raw)


class OpcuaServer:
    """asyncua's server for one device (see the module docstring)."""

    quality = True

    def __init__(self, device: DemoDevice, options: ServeOptions) -> None:
        self.device = device
        self.options = options
        unknown = sorted(set(device.identity) - set(IDENTITY_DEFAULTS))
        if unknown:
            raise ValueError(f"unknown OPC UA identity keys: {', '.join(unknown)}")
        self.identity = {**IDENTITY_DEFAULTS, **device.identity}
        self.nodes = {p.tag: node_of(p) for p in device.points}
        self._server: Server | None = None
        self._variables: dict[str, Any] = {}

    def endpoint(self) -> str:
        """The endpoint URL the server binds and announces."""
        host = self.options.host
        return f"opc.tcp://{host}:{self.options.port}/"

    async def start(self) -> None:
        ident = self.identity
        server = Server()
        await server.init()
        server.set_endpoint(self.endpoint())
        server.set_server_name(ident["application_name"])
        await server.set_application_uri(ident["application_uri"])
        server.set_security_policy([SecurityPolicyType.NoSecurity])
        await server.set_build_info(
            product_uri=ident["product_uri"],
            manufacturer_name=ident["manufacturer"],
            product_name=ident["product_name"],
            software_version=ident["software_version"],
            build_number=ident["build_number"],
            build_date=datetime.datetime.fromisoformat(ident["build_date"]).replace(
                tzinfo=datetime.UTC
            ),
        )
        index = await server.register_namespace(NAMESPACE_URI)
        if index != 2:
            raise RuntimeError(f"namespace {NAMESPACE_URI} got index {index}, not 2")
        folders: dict[str, Any] = {}
        for point in self.device.points:
            folder_name, node_name = self.nodes[point.tag]
            if folder_name not in folders:
                folders[folder_name] = await server.nodes.objects.add_object(
                    NodeId(String(folder_name), Int16(index)), folder_name
                )
            kind = VARIABLES[point.variable].kind
            initial = {"bool": False, "int": 0, "float": 0.0, "str": ""}[kind]
            self._variables[point.tag] = await folders[folder_name].add_variable(
                NodeId(String(node_name), Int16(index)),
                node_name.split(".", 1)[1],
                initial,
                VARIANT_TYPES[kind],
            )
        await server.start()
        self._server = server

    async def publish(self, values: Mapping[str, Value], bad: frozenset[str]) -> None:
        for point in self.device.points:
            variable = self._variables.get(point.tag)
            if variable is None:
                continue
            kind = VARIANT_TYPES[VARIABLES[point.variable].kind]
            status = BAD if point.tag in bad else StatusCode(UInt32(StatusCodes.Good))
            data = DataValue(Variant(wire(point, values[point.tag]), kind), StatusCode=status)
            await variable.write_value(data)

    async def close(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None
