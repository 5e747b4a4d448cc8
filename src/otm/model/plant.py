"""The plant around the inventory: Purdue levels, zones, conduits, processes.

What the user declares (``PlantConfig``: zones, the conduits allowed between
them, the ISA-95 process hierarchy, level overrides, usually loaded from a
YAML file) and what otm concludes from traffic (``PlantMap``: a level, a zone
and process attachments for every asset, the conduits observed between zones,
links that skip levels).  Every conclusion records whether it was declared
or inferred, and why, so a reviewer can check it by hand.  Plain
dataclasses; no I/O, no graph library: the topology package computes, the
store persists, the faces show.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from otm.model.assets import Asset


class Level(StrEnum):
    """Purdue reference model levels (with the 3.5 industrial DMZ)."""

    PROCESS = "0"  # sensors, actuators, I/O
    BASIC_CONTROL = "1"  # PLCs, RTUs, controllers
    SUPERVISORY = "2"  # HMIs, SCADA servers, engineering workstations
    OPERATIONS = "3"  # historians, MES, site operations
    DMZ = "3.5"  # industrial DMZ
    ENTERPRISE = "4"  # business network
    INTERNET = "5"  # enterprise edge, cloud, outside

    @property
    def rank(self) -> float:
        """The level as a number: lower is closer to the process."""
        return float(self.value)


class Source(StrEnum):
    """Where a conclusion about the plant came from."""

    DECLARED = "declared"  # the user's configuration says so
    INFERRED = "inferred"  # otm concluded it from traffic and roles


SELECTOR_KINDS = ("id", "name", "ip", "mac", "cidr", "tag", "pattern", "role")
"""How a configuration names assets: ``ip:10.0.0.5``, ``cidr:10.0.1.0/24``,
``mac:00:1b:1b:...``, ``name:PLC-3`` (exact), ``pattern:PLC-*`` (glob on
the name), ``tag:line3`` (a user tag), ``role:plc``, ``id:<asset id>``."""


@dataclass(frozen=True, slots=True)
class Selector:
    """One way of naming assets in a configuration."""

    kind: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Selector:
        """``kind:value``; a bare value is an IP, a CIDR, a MAC or a name by its shape."""
        kind, sep, value = text.partition(":")
        if sep and kind in SELECTOR_KINDS:
            return cls(kind, value.strip())
        text = text.strip()
        try:
            if "/" in text:
                ipaddress.ip_network(text, strict=False)
                return cls("cidr", text)
            ipaddress.ip_address(text)
            return cls("ip", text)
        except ValueError:
            pass
        if len(text) == 17 and text.count(":") == 5:
            return cls("mac", text.lower())
        return cls("pattern" if any(c in text for c in "*?[") else "name", text)

    def matches(self, asset: Asset, name: str | None, tags: frozenset[str] = frozenset()) -> bool:
        """Does this selector name ``asset`` (whose display name is ``name``)?"""
        kind, value = self.kind, self.value
        if kind == "id":
            return asset.id == value
        if kind == "ip":
            return value in asset.ips
        if kind == "mac":
            return value.lower() in asset.macs
        if kind == "cidr":
            net = ipaddress.ip_network(value, strict=False)
            return any(_in(ip, net) for ip in asset.ips)
        if kind == "name":
            return name is not None and name.lower() == value.lower()
        if kind == "pattern":
            return name is not None and fnmatch.fnmatchcase(name.lower(), value.lower())
        if kind == "tag":
            return value in tags
        if kind == "role":
            return asset.role.value == value
        return False

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def _in(ip: str, net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(ip) in net
    except ValueError:
        return False


@dataclass
class ZoneSpec:
    """A zone in the IEC 62443 sense: assets that share security requirements.

    ``trust`` orders zones for exposure analysis: a path from a zone of
    higher ``trust`` number (less trusted) into a lower one is an exposure.
    When not declared it follows the zone's Purdue level (enterprise 4 is
    less trusted than control 1).  Membership: any selector, subnet or VLAN
    that names the asset.
    """

    name: str
    level: Level | None = None
    trust: float | None = None
    subnets: list[str] = field(default_factory=list)
    vlans: list[int] = field(default_factory=list)
    selectors: list[Selector] = field(default_factory=list)
    description: str = ""
    source: Source = Source.DECLARED

    @property
    def trust_rank(self) -> float:
        """Trust order: the declared trust, else the level, else least trusted."""
        if self.trust is not None:
            return self.trust
        return self.level.rank if self.level is not None else 9.0


ANY_ZONE = "any"
"""In a conduit, stands for every zone (declared or inferred)."""


@dataclass(frozen=True, slots=True)
class ConduitSpec:
    """A conduit the user allows between two zones (IEC 62443-3-2): which links
    may cross from one zone into another.

    ``from_zone`` is the client's side (the end that opens the connection or
    asks), ``to_zone`` the server's, unless ``bidirectional``; either may be
    ``ANY_ZONE``.  ``protocols`` (otm protocol names, ``modbus``, ``s7comm``,
    ``https`` ...) and ``ports`` (the server's port) restrict it; empty means
    any.  A link crossing zones is allowed when one declared conduit allows
    it (``allowed_by``); what the declarations say about links between two
    zones nobody declared is nothing (``judged``).
    """

    from_zone: str
    to_zone: str
    protocols: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    bidirectional: bool = False
    description: str = ""

    def allows(self, client_zone: str, server_zone: str, protocol: str, port: int) -> bool:
        """Does it let ``client_zone`` reach ``server_zone`` over ``protocol`` and ``port``?"""
        if self.protocols and protocol not in self.protocols:
            return False
        if self.ports and port not in self.ports:
            return False
        return self.joins(client_zone, server_zone)

    def joins(self, client_zone: str, server_zone: str) -> bool:
        """Does it admit clients in ``client_zone`` to servers in ``server_zone``
        (whatever the protocol and port)?"""
        if _zone_is(self.from_zone, client_zone) and _zone_is(self.to_zone, server_zone):
            return True
        return (
            self.bidirectional
            and _zone_is(self.from_zone, server_zone)
            and _zone_is(self.to_zone, client_zone)
        )

    def __str__(self) -> str:
        arrow = "<->" if self.bidirectional else "->"
        what = ", ".join(self.protocols) or "any protocol"
        if self.ports:
            what += f" on port{'s' if len(self.ports) > 1 else ''} "
            what += ", ".join(str(p) for p in self.ports)
        return f"{self.from_zone} {arrow} {self.to_zone} ({what})"


def _zone_is(declared: str, zone: str) -> bool:
    return declared in (ANY_ZONE, zone)


def allowed_by(
    conduits: Sequence[ConduitSpec], client_zone: str, server_zone: str, protocol: str, port: int
) -> ConduitSpec | None:
    """The first declared conduit that allows this link, or None."""
    for conduit in conduits:
        if conduit.allows(client_zone, server_zone, protocol, port):
            return conduit
    return None


def judged(conduits: Sequence[ConduitSpec], zones: Collection[str], a: str, b: str) -> bool:
    """Does the conduit policy speak about a link between zones ``a`` and ``b``?

    Only when conduits are declared (no declarations, no policy), the two
    zones differ, and at least one of them is a declared zone (``zones``):
    a link between two zones otm inferred from subnets or VLANs crosses no
    boundary the user drew.
    """
    return bool(conduits) and a != b and (a in zones or b in zones)


def why_not_allowed(conduits: Sequence[ConduitSpec], client_zone: str, server_zone: str) -> str:
    """Why no conduit allows a link from ``client_zone`` to ``server_zone``: what
    the conduits joining them allow, that they run the other way only, or that
    there is none (for an alert's message)."""
    same = [c for c in conduits if c.joins(client_zone, server_zone)]
    if same:
        return "the conduits between them allow only " + "; ".join(str(c) for c in same)
    back = [c for c in conduits if c.joins(server_zone, client_zone)]
    if back:
        return "the conduits between them run the other way only: " + "; ".join(
            str(c) for c in back
        )
    return f"no conduit joins {client_zone} to {server_zone}"


PROCESS_KINDS = ("enterprise", "site", "area", "line", "cell", "unit")
"""ISA-95 equipment hierarchy, outermost first: a process path's depth names its kind."""


@dataclass
class ProcessSpec:
    """One node of the ISA-95 hierarchy (``Acme/Plant1/Packaging/Line3``).

    ``criticality`` 1 (minor) to 5 (safety or whole-plant) ranks impact.
    ``selectors`` name the assets that run it; assets can also be attached
    by inference (``Attachment``).
    """

    path: tuple[str, ...]
    criticality: int = 3
    selectors: list[Selector] = field(default_factory=list)
    description: str = ""

    @property
    def kind(self) -> str:
        """enterprise, site, area, line, cell or unit, by depth."""
        return PROCESS_KINDS[min(len(self.path), len(PROCESS_KINDS)) - 1]

    @property
    def name(self) -> str:
        """The path as written: ``Acme/Plant1/Packaging/Line3``."""
        return "/".join(self.path)


@dataclass
class PlantConfig:
    """Everything the user declares about the plant."""

    zones: list[ZoneSpec] = field(default_factory=list)
    conduits: list[ConduitSpec] = field(default_factory=list)  # allowed cross-zone links
    processes: list[ProcessSpec] = field(default_factory=list)
    levels: dict[Selector, Level] = field(default_factory=dict)  # overrides
    tags: dict[str, list[Selector]] = field(default_factory=dict)  # tag -> assets
    names: dict[Selector, str] = field(default_factory=dict)  # display names


@dataclass(frozen=True, slots=True)
class LevelAssignment:
    """An asset's Purdue level and why."""

    level: Level
    reason: str
    source: Source


@dataclass(frozen=True, slots=True)
class ZoneAssignment:
    """The zone an asset is in and why."""

    zone: str
    reason: str
    source: Source


@dataclass(frozen=True, slots=True)
class Attachment:
    """An asset supports a process: declared by a selector, or inferred.

    ``via`` is the chain of asset ids that explains an inference, from the
    asset to one declared for the process (an HMI that polls the line's PLC:
    ``(hmi, plc)``).
    """

    asset: str
    process: str
    source: Source
    reason: str
    via: tuple[str, ...] = ()


@dataclass
class Conduit:
    """The links between two zones, with the protocols they carry.

    ``judged`` when the declared conduits (``PlantConfig.conduits``) speak
    about this pair of zones (``judged()``); ``disallowed`` then holds the
    links no declared conduit allows.
    """

    zones: tuple[str, str]  # (client's zone, server's zone)
    protocols: set[str] = field(default_factory=set)
    links: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    operations: dict[str, int] = field(default_factory=dict)  # category -> count
    judged: bool = False
    disallowed: list[tuple[str, str, str, str, int]] = field(default_factory=list)

    @property
    def policy(self) -> str:
        """``allowed``, ``not allowed``, ``partly allowed``; empty when not judged."""
        if not self.judged:
            return ""
        if not self.disallowed:
            return "allowed"
        return "not allowed" if len(self.disallowed) == len(self.links) else "partly allowed"


@dataclass(frozen=True, slots=True)
class LevelSkip:
    """A link between assets more than one Purdue level apart (through no DMZ)."""

    link: tuple[str, str, str, str, int]
    client_level: Level
    server_level: Level
    reason: str


@dataclass
class PlantMap:
    """What otm concludes about the plant from the inventory and the config."""

    levels: dict[str, LevelAssignment] = field(default_factory=dict)
    zones: dict[str, ZoneSpec] = field(default_factory=dict)
    membership: dict[str, ZoneAssignment] = field(default_factory=dict)
    conduits: dict[tuple[str, str], Conduit] = field(default_factory=dict)
    level_skips: list[LevelSkip] = field(default_factory=list)
    processes: dict[str, ProcessSpec] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # asset id -> display name
