"""Small known plants from synthetic observations, for the topology tests.

The whole API (shared by every topology test module; keep it this small):

``PlantBuilder``
    ``.host(name, ip=None, *, mac=None, vlan=None, role=None)`` one device.
    ``name`` is what it calls itself (an ``Identity`` name field, so it is
    the display name); a MAC is made up from the name when not given.
    ``role`` overrides the role the inventory infers (the builder has no
    rule for historians, network devices or I/O modules without CIP).
    ``.talk(client, server, protocol="modbus", ops=None, *, port=None,
    packets=10)`` traffic from ``client`` to ``server`` (host names).
    ``ops`` counts operations: ``{"read": 90, "write": 2}`` by category
    (the operation is named after it), or ``{"control/plc_stop": 1}`` to
    name it.  Ethernet-only protocols (``profinet-dcp``, ``goose``,
    ``lldp``) go MAC to MAC; UDP ones use UDP; ports default per protocol.
    ``.build(config=None) -> Plant``: the inventory the observations imply
    (``build_inventory``, the real consumer), roles overridden, its graph.
``Plant``
    ``inventory``, ``graph``, ``config``, ``names`` (asset id -> display
    name: ``config.names`` first, as ``build_plant_map`` does), ``id(ref)``
    (asset id by name, IP or MAC), ``name(asset_id)``.
``config_from_yaml(text) -> PlantConfig``
    The ``otm.plant/1`` document (zones, processes, levels, tags, names), read
    by a few lines here so these tests do not depend on the services layer.
``capture_plant(path, config=None) -> Plant``
    The plant of a shared capture, through the real passive engine.

Builders chain: ``PlantBuilder().host("PLC-3", "10.1.3.5").host(...)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory, Role
from otm.model.plant import Level, PlantConfig, ProcessSpec, Selector, ZoneSpec
from otm.observations.records import (
    AssetSeen,
    Communication,
    Evidence,
    Identity,
    Observation,
    Operation,
    Transport,
)
from otm.sensing.engine import PassiveEngine
from otm.topology.graph import build_graph, display_name

EV = Evidence("capture", "synthetic.pcap", 1, "plant_builder")

PORTS: dict[str, tuple[Transport, int]] = {
    "modbus": (Transport.TCP, 502),
    "enip": (Transport.TCP, 44818),
    "s7comm": (Transport.TCP, 102),
    "dnp3": (Transport.TCP, 20000),
    "iec104": (Transport.TCP, 2404),
    "opcua": (Transport.TCP, 4840),
    "mms": (Transport.TCP, 102),
    "bacnet": (Transport.UDP, 47808),
    "snmp": (Transport.UDP, 161),
    "dns": (Transport.UDP, 53),
    "ntp": (Transport.UDP, 123),
    "http": (Transport.TCP, 80),
    "https": (Transport.TCP, 443),
    "smb": (Transport.TCP, 445),
    "rdp": (Transport.TCP, 3389),
    "ssh": (Transport.TCP, 22),
    "profinet-dcp": (Transport.ETHERNET, 0),
    "goose": (Transport.ETHERNET, 0),
    "lldp": (Transport.ETHERNET, 0),
}
"""Transport and server port per protocol name (otm's names)."""


@dataclass
class _Host:
    name: str
    ip: str | None
    mac: str
    vlan: int | None
    role: Role | None


@dataclass
class Plant:
    """A built plant: the inventory and what the topology tests need with it."""

    inventory: Inventory
    graph: nx.DiGraph
    config: PlantConfig
    names: dict[str, str]

    def id(self, ref: str) -> str:
        """Asset id by display name, IP or MAC (KeyError when none)."""
        for asset_id, name in self.names.items():
            if name == ref:
                return asset_id
        asset = self.inventory.find(ref)
        if asset is None:
            raise KeyError(ref)
        return asset.id

    def name(self, asset_id: str) -> str:
        """Display name of an asset id."""
        return self.names[asset_id]


@dataclass
class PlantBuilder:
    """Collects hosts and traffic, then builds a ``Plant`` (see module docstring)."""

    hosts: dict[str, _Host] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    _time: float = 1000.0

    def host(
        self,
        name: str,
        ip: str | None = None,
        *,
        mac: str | None = None,
        vlan: int | None = None,
        role: Role | None = None,
    ) -> PlantBuilder:
        """One device that says its name and is seen at ``ip``/``mac``/``vlan``."""
        if mac is None:
            digest = hashlib.sha1(name.encode()).hexdigest()
            mac = "02:" + ":".join(digest[i : i + 2] for i in range(0, 10, 2))
        self.hosts[name] = _Host(name, ip, mac, vlan, role)
        t = self._tick()
        self.observations.append(AssetSeen(t, mac, ip, EV, vlan))
        self.observations.append(Identity(t, ip, mac, "test", {"name": name}, EV))
        return self

    def talk(
        self,
        client: str,
        server: str,
        protocol: str = "modbus",
        ops: Mapping[str, int] | None = None,
        *,
        port: int | None = None,
        packets: int = 10,
    ) -> PlantBuilder:
        """Traffic (and operations) from host ``client`` to host ``server``."""
        a, b = self.hosts[client], self.hosts[server]
        transport, default_port = PORTS.get(protocol, (Transport.TCP, 0))
        port = default_port if port is None else port
        l2 = transport is Transport.ETHERNET
        a_ip, b_ip = (None, None) if l2 else (a.ip, b.ip)
        t = self._tick()
        self.observations.append(
            Communication(
                t,
                t + 1,
                a_ip,
                b_ip,
                a.mac,
                b.mac,
                protocol,
                transport,
                port,
                packets,
                packets * 64,
                EV,
            )
        )
        for key, count in (ops or {}).items():
            category, _, op_name = key.partition("/")
            self.observations.append(
                Operation(
                    t,
                    t + 1,
                    a_ip,
                    b_ip,
                    protocol,
                    op_name or category,
                    category,
                    count,
                    EV,
                    transport,
                    port,
                    client_mac=a.mac if l2 else None,
                    server_mac=b.mac if l2 else None,
                )
            )
        return self

    def build(self, config: str | PlantConfig | None = None) -> Plant:
        """The inventory, graph and names these observations and ``config`` give."""
        if isinstance(config, str):
            config = config_from_yaml(config)
        config = config or PlantConfig()
        inv = build_inventory(self.observations)
        for host in self.hosts.values():
            asset = inv.find(host.mac) or (inv.find(host.ip) if host.ip else None)
            if asset is not None and host.role is not None:
                asset.role, asset.role_reason = host.role, "set by the test"
        return _plant(inv, config)

    def _tick(self) -> float:
        self._time += 1.0
        return self._time


def _plant(inv: Inventory, config: PlantConfig) -> Plant:
    names: dict[str, str] = {}
    for asset in inv.assets.values():
        own = display_name(asset)
        declared = [n for s, n in config.names.items() if s.matches(asset, own)]
        names[asset.id] = declared[0] if declared else own
    return Plant(inv, build_graph(inv, names), config, names)


def capture_plant(path: Path, config: str | PlantConfig | None = None) -> Plant:
    """The plant of a capture file, through the real passive engine."""
    if isinstance(config, str):
        config = config_from_yaml(config)
    with open_capture(path) as reader:
        inv = build_inventory(PassiveEngine(ref=path.name).run(reader).observations)
    return _plant(inv, config or PlantConfig())


def config_from_yaml(text: str) -> PlantConfig:
    """An ``otm.plant/1`` document as a ``PlantConfig`` (no validation: tests only)."""
    doc: dict[str, Any] = yaml.safe_load(text) or {}
    zones = [
        ZoneSpec(
            z["name"],
            level=_level(z.get("level")),
            trust=z.get("trust"),
            subnets=[str(s) for s in z.get("subnets", [])],
            vlans=[int(v) for v in z.get("vlans", [])],
            selectors=[Selector.parse(str(s)) for s in z.get("assets", [])],
            description=z.get("description", ""),
        )
        for z in doc.get("zones") or []
    ]
    processes = [
        ProcessSpec(
            tuple(str(p["path"]).split("/")),
            criticality=int(p.get("criticality", 3)),
            selectors=[Selector.parse(str(s)) for s in p.get("assets", [])],
            description=p.get("description", ""),
        )
        for p in doc.get("processes") or []
    ]
    levels = {Selector.parse(str(k)): _level(v) for k, v in (doc.get("levels") or {}).items()}
    return PlantConfig(
        zones=zones,
        processes=processes,
        levels={k: v for k, v in levels.items() if v is not None},
        tags={
            str(t): [Selector.parse(str(s)) for s in sel]
            for t, sel in (doc.get("tags") or {}).items()
        },
        names={Selector.parse(str(k)): str(v) for k, v in (doc.get("names") or {}).items()},
    )


def _level(value: object) -> Level | None:
    """YAML reads ``2`` as an int, ``2.0`` and ``3.5`` as floats."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return Level(str(value))
