"""The inventory's domain objects: assets, their components, links, anomalies.

Plain mutable dataclasses with no I/O.  The inventory consumer builds and
updates them from observations; the store persists them behind
``otm.model.repository``; the faces read them.  Every identity field keeps the
evidence it came from (``FieldValue``), and conflicting values are kept side
by side rather than silently overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from otm.observations.records import Evidence


class Role(StrEnum):
    """What an asset is, inferred from its behaviour (or set by the user)."""

    PLC = "plc"
    RTU = "rtu"
    HMI = "hmi"
    ENGINEERING_WORKSTATION = "engineering-workstation"
    HISTORIAN = "historian"
    SCADA_SERVER = "scada-server"
    IO_MODULE = "io-module"
    NETWORK_DEVICE = "network-device"
    IT_HOST = "it-host"
    UNKNOWN = "unknown"


IDENTITY_FIELDS = (
    "vendor",
    "vendor_id",
    "model",
    "product_code",
    "product_name",
    "device_type",
    "firmware",
    "hardware",
    "serial",
    "name",
    "order_number",
)
"""Identity fields every asset may carry, in display order."""


@dataclass
class FieldValue:
    """One value of one asset field, with where and when it was learned.

    ``evidence`` is the first observation that taught the value;
    ``last_seen`` is the latest time any observation confirmed it.
    """

    value: str | int
    evidence: Evidence
    first_seen: float
    last_seen: float
    protocol: str = ""


@dataclass
class ServiceUse:
    """A protocol an asset speaks, as server or client, on a transport/port."""

    name: str
    role: str  # "server" | "client"
    transport: str
    port: int


@dataclass
class Component:
    """A module behind a controller (CIP backplane slot, S7 rack/slot).

    ``key`` is how it is addressed from the parent, e.g. ``slot 2`` or
    ``rack 0 slot 3``; unique within its asset.
    """

    key: str
    fields: dict[str, list[FieldValue]] = field(default_factory=dict)
    first_seen: float = 0.0
    last_seen: float = 0.0

    def value(self, name: str) -> str | int | None:
        """The most recently confirmed value of a field, or None."""
        return _latest(self.fields.get(name))


@dataclass
class Asset:
    """One device on the plant network.

    Identity rule: an asset is one device, reachable on one or more IP and
    MAC addresses.  Two addresses belong to the same asset when the same
    frame ties them together (a host's own MAC with its IP on its own
    segment) and the MAC is not a router's MAC (a MAC seen in front of many
    IPs).  ``id`` is stable across re-analysis: derived from the address that
    first identified the asset.
    """

    id: str
    ips: set[str] = field(default_factory=set)
    macs: set[str] = field(default_factory=set)
    vlans: set[int] = field(default_factory=set)
    fields: dict[str, list[FieldValue]] = field(default_factory=dict)
    role: Role = Role.UNKNOWN
    role_reason: str = ""
    services: list[ServiceUse] = field(default_factory=list)
    components: dict[str, Component] = field(default_factory=dict)
    first_seen: float = 0.0
    last_seen: float = 0.0
    evidence: Evidence | None = None

    def value(self, name: str) -> str | int | None:
        """The most recently confirmed value of a field, or None."""
        return _latest(self.fields.get(name))

    def protocols(self) -> list[str]:
        """Names of the protocols the asset speaks, sorted."""
        return sorted({s.name for s in self.services})


@dataclass
class Link:
    """Observed communication from a client to a server with one protocol.

    Unique by (client, server, protocol, transport, port); client and server
    are IP addresses, or MAC addresses for Ethernet-only protocols.
    ``operations`` counts each operation name the client asked for.
    """

    client: str
    server: str
    protocol: str
    transport: str
    port: int
    packets: int = 0
    bytes: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0
    operations: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    evidence: Evidence | None = None

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        """The uniqueness key of the link."""
        return (self.client, self.server, self.protocol, self.transport, self.port)


@dataclass
class AnomalyCount:
    """How many times a parser met one kind of broken input, and where first."""

    protocol: str
    kind: str
    count: int
    first_seen: float
    last_seen: float
    ip: str | None
    evidence: Evidence
    detail: str = ""


@dataclass
class Inventory:
    """Everything the inventory consumer knows: assets, links, anomalies."""

    assets: dict[str, Asset] = field(default_factory=dict)
    links: dict[tuple[str, str, str, str, int], Link] = field(default_factory=dict)
    anomalies: dict[tuple[str, str, str | None], AnomalyCount] = field(default_factory=dict)

    def find(self, ref: str) -> Asset | None:
        """An asset by id, IP or MAC address (case-insensitive)."""
        if ref in self.assets:
            return self.assets[ref]
        low = ref.lower()
        for asset in self.assets.values():
            if low in asset.ips or low in asset.macs:
                return asset
        return None


def _latest(values: list[FieldValue] | None) -> str | int | None:
    if not values:
        return None
    return max(values, key=lambda v: (v.last_seen, v.first_seen)).value
