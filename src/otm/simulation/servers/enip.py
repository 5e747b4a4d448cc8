"""EtherNet/IP device: cpppo's Logix simulator, in a thread, with a Rockwell identity and tags.

cpppo answers ListIdentity (UDP and TCP 44818) and the Identity object from
its ``[Identity]`` configuration section, and serves Logix tags (Read Tag,
Read Tag Fragmented) by name.  It is started in-process through
``cpppo.server.enip.main.main`` so this process can change the tags'
values: cpppo keeps each tag's ``Attribute`` in the module-level ``tags``
table, and assigning ``attribute.value`` is what a CIP write would do.

Identity keys: ``vendor_id`` (1 is Rockwell Automation/Allen-Bradley),
``device_type`` (14 programmable logic controller), ``product_code``,
``revision`` (``32.11``; cpppo packs the major revision in the low byte),
``serial`` (``0x00c0ffee`` or decimal), ``product_name``.  cpppo wants
decimal integers in its configuration: they are converted here.

Points name a controller-scoped tag (``Speed``) and its type; cpppo has no
symbol browsing, so otm's tag document gives every tag its type (the
poller's EtherNet/IP driver then needs no tag list).  Bind ``0.0.0.0`` in a
namespace (``ServeOptions.bind``): cpppo bound to the device address never
hears a broadcast ListIdentity.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any

from cpppo.server.enip import device as cpppo_device  # type: ignore[import-untyped]
from cpppo.server.enip import main as cpppo_main

from otm.simulation.process import Value
from otm.simulation.servers.base import ServeOptions, raw_value
from otm.simulation.spec import DemoDevice

CIP_TYPES = {
    "bool": "BOOL",
    "int8": "SINT",
    "uint8": "USINT",
    "int16": "INT",
    "uint16": "UINT",
    "int32": "DINT",
    "uint32": "UDINT",
    "int64": "LINT",
    "uint64": "ULINT",
    "float32": "REAL",
    "float64": "LREAL",
}
"""otm data types -> cpppo's names of the CIP elementary types."""

IDENTITY_DEFAULTS = {
    "vendor_id": "1",
    "device_type": "14",
    "product_code": "166",
    "revision": "32.11",
    "serial": "0x00c0ffee",
    "product_name": "1756-L83E/B",
}

START_SECONDS = 15.0
"""How long cpppo may take to bind (it imports and parses lazily on a loaded machine)."""


def identity_section(identity: Mapping[str, str]) -> dict[str, str]:
    """cpppo's ``[Identity]`` section (decimal integers) from our identity keys."""
    unknown = sorted(set(identity) - set(IDENTITY_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown EtherNet/IP identity keys: {', '.join(unknown)}")
    fields = {**IDENTITY_DEFAULTS, **identity}
    major, _, minor = fields["revision"].partition(".")
    revision = int(major) | int(minor or "0") << 8
    return {
        "Vendor Number": str(int(fields["vendor_id"], 0)),
        "Device Type": str(int(fields["device_type"], 0)),
        "Product Code Number": str(int(fields["product_code"], 0)),
        "Product Revision": str(revision),
        "Serial Number": str(int(fields["serial"], 0)),
        "Product Name": fields["product_name"],
    }


class EnipServer:
    """cpppo's EtherNet/IP server for one device (see the module docstring)."""

    quality = False

    def __init__(self, device: DemoDevice, options: ServeOptions) -> None:
        self.device = device
        self.options = options
        self.section = identity_section(device.identity)
        self.tags: dict[str, str] = {}
        for point in device.points:
            if point.type not in CIP_TYPES:
                raise ValueError(f"{point.tag}: an EtherNet/IP tag needs a type ({point.type})")
            self.tags[point.address] = CIP_TYPES[point.type]
        self._control: dict[str, Any] = {"done": False, "disable": False, "latency": 0.2,
                                         "timeout": 1.0}  # fmt: skip
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def _run(self, argv: list[str]) -> None:
        try:
            cpppo_main.main(argv, server={"control": self._control})
        except BaseException as exc:  # reported by start(), not lost in a thread
            self._failure = exc

    async def start(self) -> None:
        cpppo_device.Object.config_loader.read_dict({"Identity": self.section})
        argv = ["--no-config", "--address", f"{self.options.bind}:{self.options.port}",
                *(f"{name}={kind}" for name, kind in self.tags.items())]  # fmt: skip
        self._thread = threading.Thread(target=self._run, args=(argv,), daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._wait_bound)

    def _wait_bound(self) -> None:
        """Until cpppo accepts connections; its failures are logged, not raised, so look."""
        deadline = time.monotonic() + START_SECONDS
        target = self.options.host
        while time.monotonic() < deadline:
            if self._thread is None or not self._thread.is_alive():
                raise RuntimeError(f"cpppo stopped before serving: {self._failure!r}")
            if "address" in self._control:
                try:
                    with socket.create_connection((target, self.options.port), timeout=0.5):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"cpppo did not listen on {target}:{self.options.port}")

    async def publish(self, values: Mapping[str, Value], bad: frozenset[str]) -> None:
        table = cpppo_main.tags
        for point in self.device.points:
            entry = dict.get(table, point.address)  # a plain lookup: dotdict reads dots as paths
            if entry is None:
                continue
            entry.attribute.value = raw_value(point, values[point.tag])

    async def close(self) -> None:
        self._control["done"] = True
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
            self._thread = None
