"""Exposure hints: what makes a device easier to attack, read off the inventory and the plant map.

Not vulnerabilities (those come from advisories, ``matching.py``) but facts
an analyst weighs beside them, each with the reason a reviewer can check by
hand and the assets and links it rests on:

``firmware-behind`` (an end-of-life hint)
    A device or module runs a firmware older than the newest seen in the
    plant on the same product: same vendor (``vendors.vendor_key``) and the
    same order number, else the same model, else the same product name
    (whitespace and case aside; a device with an order number is compared
    only with devices of that order number, since one model name can cover
    hardware generations that cannot run each other's firmware).  Versions
    are compared by ``versions.Version``; a firmware that is not a version
    is never judged.  "Releases behind" counts the distinct newer versions
    seen in this plant, not the vendor's release history (otm has none).
    Medium when the newest is on a later major version, low otherwise.
``no-authentication``
    A device serves (answers) a protocol that authenticates nobody
    (``NO_AUTHENTICATION``: one row a protocol, with the fact and where it
    is written).  DNP3 is judged only while no Secure Authentication
    exchange was seen on its links; OPC UA only when the server offers or
    uses SecurityMode None.  High when a client writes, commands or
    programs it over that protocol, medium otherwise.
``enterprise-reachable``
    A host at Purdue level 0-2 that a host of the enterprise side (level 4
    or 5, or a member of a declared zone at that level) reaches: directly
    (the enterprise host is the client of a link to it: high) or through
    one intermediate asset it reaches (enterprise -> any asset not on the
    enterprise side -> the device: medium).  A path whose first link a
    declared conduit allows is one step lower: the plant means it (through
    a firewall, one hopes), but the device is still within reach.  Levels
    otm could only guess (a reason saying "(review)") are not used.

Pure: ``Inventory`` and ``PlantMap`` in (``otm.model``), hints out; no I/O.
Only the client side opens a path here: a controller that connects out to
the enterprise is a level skip (``topology.zones``), not this hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from otm.model.assets import Asset, Inventory, Link
from otm.model.plant import ConduitSpec, Level, PlantMap, Source, allowed_by
from otm.vulns.subjects import Subject, ip_sort_key, subjects_of
from otm.vulns.vendors import vendor_key
from otm.vulns.versions import Version

LinkKey = tuple[str, str, str, str, int]
"""A link's key: (client, server, protocol, transport, port)."""

NAMES_SHOWN = 3
"""Assets named in a reason before "and N more" (the evidence lists them all)."""

PATHS_KEPT = 10
"""Paths kept as evidence of one enterprise-reachable hint: a hub reached from the
enterprise can put thousands of devices one hop away, and each device's hint
needs only the first few to be checked; the count says how many there are."""

CHANGING_CATEGORIES = frozenset({"write", "control", "program"})
"""Operation categories that change a device (what makes an open protocol worse)."""

ENTERPRISE_RANK = 4.0
"""Purdue level 4 (enterprise) and 5 (internet) are the enterprise side."""

CONTROL_RANK = 2.0
"""Purdue levels 0-2 (process, basic control, supervisory) are the control side."""


class HintKind(StrEnum):
    """What a hint is about (the module docstring)."""

    FIRMWARE_BEHIND = "firmware-behind"
    NO_AUTHENTICATION = "no-authentication"
    ENTERPRISE_REACHABLE = "enterprise-reachable"


class HintSeverity(StrEnum):
    """How much a hint weighs; ``rank`` orders them."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for low, 1 for medium, 2 for high."""
        return list(HintSeverity).index(self)

    def lower(self) -> HintSeverity:
        """One step down, low staying low."""
        return list(HintSeverity)[max(0, self.rank - 1)]


@dataclass(frozen=True)
class Hint:
    """One exposure hint about one asset (or one module of it, ``component``).

    ``assets`` are the asset ids the reason rests on, this one first;
    ``links`` the links (keys) it rests on; ``details`` the facts behind the
    reason as plain values (protocol, versions, clients, paths) for JSON.
    """

    kind: HintKind
    asset: str
    address: str
    severity: HintSeverity
    reason: str
    component: str | None = None
    assets: tuple[str, ...] = ()
    links: tuple[LinkKey, ...] = ()
    details: Mapping[str, object] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The device for people: address, and the module when it is one."""
        return f"{self.address} {self.component}" if self.component else self.address


# -- protocols without authentication ----------------------------------------------


@dataclass(frozen=True)
class OpenProtocol:
    """A protocol that authenticates nobody, and the fact that says so.

    ``only_if_field``: judged only when the server has this identity field
    (OPC UA: ``opcua_security_mode_none``).  ``unless_operations``: not
    judged when one of these operations was seen on the server's links
    (DNP3: a Secure Authentication challenge).
    """

    protocol: str
    title: str
    fact: str
    reference: str
    only_if_field: str | None = None
    unless_operations: frozenset[str] = frozenset()


NO_AUTHENTICATION: dict[str, OpenProtocol] = {
    row.protocol: row
    for row in (
        OpenProtocol(
            "modbus",
            "Modbus/TCP",
            "Modbus/TCP has no authentication: any host that reaches the port may read and "
            "write (Modbus/TCP Security, with TLS, listens on port 802 instead)",
            "MODBUS Messaging on TCP/IP Implementation Guide V1.0b; MODBUS/TCP Security V21",
        ),
        OpenProtocol(
            "modbus-rtu",
            "Modbus RTU over TCP",
            "Modbus RTU frames carry no authentication: any host that reaches the port may "
            "read and write",
            "MODBUS over Serial Line V1.02",
        ),
        OpenProtocol(
            "s7comm",
            "S7comm",
            "classic S7comm (protocol id 0x32) authenticates no client: any host may read, "
            "write, stop the CPU or download a program unless its optional protection "
            "password is set",
            "no public specification; Wireshark's s7comm dissector",
        ),
        OpenProtocol(
            "enip",
            "EtherNet/IP (CIP)",
            "EtherNet/IP has no authentication: any host may open a session and send CIP "
            "services such as Set_Attribute or Reset (CIP Security, with TLS/DTLS, uses port "
            "2221 instead)",
            "ODVA CIP Networks Library Vol. 2 (EtherNet/IP), Vol. 8 (CIP Security)",
        ),
        OpenProtocol(
            "dnp3",
            "DNP3",
            "DNP3 accepts any master's requests unless Secure Authentication challenges them, "
            "and no authentication exchange was seen on its links",
            "IEEE 1815-2012 clause 7 (Secure Authentication version 5)",
            unless_operations=frozenset(
                {"authenticate_req", "authenticate_err", "authenticate_resp"}
            ),
        ),
        OpenProtocol(
            "bacnet",
            "BACnet/IP",
            "BACnet/IP has no authentication: any device may write properties, or reinitialise "
            "the device or silence it (BACnet Secure Connect is the secured datalink)",
            "ANSI/ASHRAE 135 Annex J (BACnet/IP), Annex AB (BACnet/SC)",
        ),
        OpenProtocol(
            "iec104",
            "IEC 60870-5-104",
            "IEC 104 has no authentication: any host that reaches the port may send commands "
            "(IEC 62351-3 TLS and IEC 62351-5 authentication are add-ons)",
            "IEC 60870-5-104; IEC 62351-3, IEC 62351-5",
        ),
        OpenProtocol(
            "omron-fins",
            "Omron FINS",
            "FINS has no authentication: any host that reaches the port may read and write "
            "memory areas, change the operating mode and transfer programs",
            "Omron FINS Commands Reference Manual (W227)",
        ),
        OpenProtocol(
            "mms",
            "MMS (IEC 61850)",
            "MMS associations carry no authentication unless IEC 62351-4 is used (ACSE allows "
            "at most a password, sent in clear): any client may read and write data and operate "
            "controls",
            "ISO 9506; IEC 61850-8-1; IEC 62351-4",
        ),
        OpenProtocol(
            "profinet-dcp",
            "PROFINET DCP",
            "DCP has no authentication: any station on the segment may set the device's name "
            "and IP address or reset it to factory settings (DCP Set)",
            "IEC 61158-6-10 (PROFINET DCP)",
        ),
        OpenProtocol(
            "opcua",
            "OPC UA",
            "the server offers SecurityMode None: a client may open a session without "
            "signing, encryption or a certificate",
            "OPC 10000-4 (OPC UA Part 4) 5.4, 7.15",
            only_if_field="opcua_security_mode_none",
        ),
    )
}
"""Protocols that authenticate nobody, by otm protocol name (one row a protocol)."""


# -- the plant around each asset ------------------------------------------------------


@dataclass
class _Plant:
    """Addresses, names, levels and links by asset, computed once for every hint."""

    inventory: Inventory
    plant: PlantMap | None
    index: dict[str, str]
    names: dict[str, str]
    out: dict[str, dict[str, list[Link]]]  # client asset -> server asset -> links
    addresses: dict[str, str]  # asset id -> the address it is shown by

    @classmethod
    def of(cls, inventory: Inventory, plant: PlantMap | None) -> _Plant:
        index: dict[str, str] = {}
        addresses: dict[str, str] = {}
        for asset in inventory.assets.values():
            addresses[asset.id] = address_of(asset)
            for address in sorted(asset.ips | asset.macs):
                index.setdefault(address, asset.id)
        out: dict[str, dict[str, list[Link]]] = {}
        for link in inventory.links.values():  # every reader below sorts what it shows
            client, server = index.get(link.client), index.get(link.server)
            if client is None or server is None or client == server:
                continue
            out.setdefault(client, {}).setdefault(server, []).append(link)
        names = dict(plant.names) if plant is not None else {}
        return cls(inventory, plant, index, names, out, addresses)

    def address(self, asset_id: str) -> str:
        """The address an asset is shown by (a client no asset holds: its address)."""
        return self.addresses.get(asset_id, asset_id)

    def who(self, asset_id: str) -> str:
        """An asset for a reason: its address, and its name when that differs."""
        address = self.address(asset_id)
        name = self.names.get(asset_id)
        return f"{name} ({address})" if name and name != address else address

    def level(self, asset_id: str) -> Level | None:
        """The asset's Purdue level unless otm only guessed it."""
        if self.plant is None:
            return None
        placed = self.plant.levels.get(asset_id)
        if placed is None:
            return None
        if placed.source is not Source.DECLARED and "(review)" in placed.reason:
            return None
        return placed.level

    def zone(self, asset_id: str) -> str | None:
        if self.plant is None:
            return None
        member = self.plant.membership.get(asset_id)
        return member.zone if member is not None else None

    def enterprise(self, asset_id: str) -> bool:
        """On the enterprise side: level 4-5, or in a declared zone at level 4-5."""
        level = self.level(asset_id)
        if level is not None and level.rank >= ENTERPRISE_RANK:
            return True
        zone = self.zone(asset_id)
        spec = self.plant.zones.get(zone) if self.plant is not None and zone else None
        return (
            spec is not None
            and spec.source is Source.DECLARED
            and spec.level is not None
            and spec.level.rank >= ENTERPRISE_RANK
        )

    def control(self, asset_id: str) -> bool:
        """On the control side: a known level 0-2, and not on the enterprise side."""
        level = self.level(asset_id)
        return level is not None and level.rank <= CONTROL_RANK and not self.enterprise(asset_id)

    def placed(self, asset_id: str) -> str:
        """``level 4, zone corporate`` for a reason."""
        level = self.level(asset_id)
        parts = [f"level {level.value}"] if level is not None else []
        zone = self.zone(asset_id)
        if zone:
            parts.append(f"zone {zone}")
        return ", ".join(parts)


@lru_cache(maxsize=65536)
def _ip_key(address: str) -> tuple[int, int, str]:
    """``ip_sort_key``, remembered: reasons sort the same addresses many times over
    (parsing them was two thirds of the time on a 10,000-asset plant)."""
    return ip_sort_key(address)


def address_of(asset: Asset) -> str:
    """The address an asset is shown by: its lowest IP, else its lowest MAC, else its id."""
    return min(asset.ips, key=_ip_key) if asset.ips else min(asset.macs, default=asset.id)


def _names(items: Sequence[str]) -> str:
    """The first ``NAMES_SHOWN`` items, then "and N more"."""
    shown = ", ".join(items[:NAMES_SHOWN])
    if len(items) > NAMES_SHOWN:
        shown += f" and {len(items) - NAMES_SHOWN} more"
    return shown


TITLES = {
    "s7comm-plus": "S7comm-plus",
    "smb": "SMB",
    "rdp": "RDP",
    "vnc": "VNC",
    "ssh": "SSH",
    "telnet": "Telnet",
    "http": "HTTP",
    "https": "TLS",
    "snmp": "SNMP",
    "hart-ip": "HART-IP",
}
"""How reasons name protocols outside ``NO_AUTHENTICATION`` (else otm's own name)."""


def _title(protocol: str) -> str:
    row = NO_AUTHENTICATION.get(protocol)
    return row.title if row is not None else TITLES.get(protocol, protocol)


# -- firmware behind ------------------------------------------------------------------


def _product_key(subject: Subject) -> tuple[str, str, str] | None:
    """(vendor key, which designation, designation) that devices of one product share."""
    for kind, value in (
        ("order number", subject.order_number),
        ("model", subject.model),
        ("product", subject.product_name),
    ):
        if value and value.strip():
            return (vendor_key(subject.vendor) or "", kind, " ".join(value.split()).lower())
    return None


def firmware_hints(inventory: Inventory) -> list[Hint]:
    """``firmware-behind`` hints (the module docstring)."""
    groups: dict[tuple[str, str, str], list[tuple[Subject, Version]]] = {}
    for asset in inventory.assets.values():
        for subject in subjects_of(asset):
            key = _product_key(subject)
            version = Version.parse(subject.firmware) if subject.firmware else None
            if key is not None and version is not None:
                groups.setdefault(key, []).append((subject, version))
    out: list[Hint] = []
    for (_, kind, _), members in sorted(groups.items()):
        newest = max(v for _, v in members)
        leaders = sorted((s for s, v in members if v == newest), key=_subject_order)
        distinct = sorted({v for _, v in members})
        for subject, version in members:
            if version >= newest:
                continue
            behind = sum(1 for v in distinct if v > version)
            where = _names([s.label for s in leaders])
            product = _designation(subject, kind)
            reason = (
                f"firmware {subject.firmware} is {behind} release{'s' if behind > 1 else ''} "
                f"behind {newest.text} seen on {where}, the same {kind} ({product}); releases "
                "are those seen in this plant"
            )
            major = newest.major > version.major
            out.append(
                Hint(
                    HintKind.FIRMWARE_BEHIND,
                    subject.asset_id,
                    subject.address,
                    HintSeverity.MEDIUM if major else HintSeverity.LOW,
                    reason,
                    component=subject.component,
                    assets=(subject.asset_id, *_unique(s.asset_id for s in leaders)),
                    details={
                        "vendor": subject.vendor,
                        kind.replace(" ", "_"): product,
                        "firmware": subject.firmware,
                        "newest": newest.text,
                        "newest_on": [s.label for s in leaders],
                        "releases_behind": behind,
                        "major_behind": major,
                    },
                )
            )
    return out


def _designation(subject: Subject, kind: str) -> str:
    value = {
        "order number": subject.order_number,
        "model": subject.model,
        "product": subject.product_name,
    }[kind]
    return value or ""


def _subject_order(subject: Subject) -> tuple[tuple[int, int, str], str]:
    return (_ip_key(subject.address), subject.component or "")


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# -- protocols without authentication ----------------------------------------------


def authentication_hints(inventory: Inventory, plant: PlantMap | None = None) -> list[Hint]:
    """``no-authentication`` hints (the module docstring)."""
    return _authentication(_Plant.of(inventory, plant))


def _authentication(view: _Plant) -> list[Hint]:
    inventory = view.inventory
    served: dict[str, dict[str, list[Link]]] = {}  # server asset -> protocol -> links
    for link in inventory.links.values():
        server = view.index.get(link.server)
        if server is not None and link.protocol in NO_AUTHENTICATION:
            served.setdefault(server, {}).setdefault(link.protocol, []).append(link)
    out: list[Hint] = []
    for asset in inventory.assets.values():
        protocols = {s.name for s in asset.services if s.role == "server"}
        protocols |= set(served.get(asset.id, {}))
        for protocol in sorted(protocols & set(NO_AUTHENTICATION)):
            hint = _open_protocol(view, asset, NO_AUTHENTICATION[protocol], served)
            if hint is not None:
                out.append(hint)
    return out


def _open_protocol(
    view: _Plant, asset: Asset, row: OpenProtocol, served: dict[str, dict[str, list[Link]]]
) -> Hint | None:
    links = sorted(served.get(asset.id, {}).get(row.protocol, []), key=_link_key)
    if row.only_if_field is not None:
        said = asset.value(row.only_if_field)
        if said is None:
            return None
    if row.unless_operations and any(
        name in row.unless_operations for lk in links for name in lk.operations
    ):
        return None
    clients: dict[str, bool] = {}
    for lk in links:
        who = view.index.get(lk.client, lk.client)
        changes = any(lk.categories.get(c, 0) for c in CHANGING_CATEGORIES)
        clients[who] = clients.get(who, False) or changes
    ordered = sorted(clients, key=lambda c: _ip_key(view.address(c)))
    writers = [c for c in ordered if clients[c]]
    ports = sorted(
        {f"{s.transport}/{s.port}" for s in asset.services if s.name == row.protocol}
        | {f"{lk.transport}/{lk.port}" for lk in links},
    )
    ports = [p for p in ports if p.startswith(("tcp/", "udp/"))]
    where = f" on {', '.join(ports)}" if ports else ""
    if not ordered:
        served_to = f"answers {row.title}{where}; no client seen"
    else:
        n = len(ordered)
        served_to = (
            f"serves {row.title}{where} to {n} client{'s' if n > 1 else ''} "
            f"({_names([view.who(c) for c in ordered])})"
        )
        if writers:
            served_to += (
                ", which writes or commands it"
                if n == 1
                else f", {len(writers)} of which write or command it"
            )
    fact = row.fact
    if row.only_if_field is not None and asset.value(row.only_if_field) == "used":
        fact += ", and a client used it for more than discovery"
    return Hint(
        HintKind.NO_AUTHENTICATION,
        asset.id,
        view.address(asset.id),
        HintSeverity.HIGH if writers else HintSeverity.MEDIUM,
        f"{served_to}: {fact}",
        assets=(asset.id, *(c for c in ordered if c in view.inventory.assets)),
        links=tuple(lk.key for lk in links),
        details={
            "protocol": row.protocol,
            "clients": [view.address(c) for c in ordered],
            "writers": [view.address(c) for c in writers],
            "ports": ports,
            "reference": row.reference,
        },
    )


# -- reachable from the enterprise ------------------------------------------------------


@dataclass
class _Path:
    """Enterprise host -> (intermediate ->) device, with the links of each hop."""

    source: str
    via: str | None
    hops: tuple[tuple[str, str, tuple[Link, ...]], ...]
    conduit: ConduitSpec | None

    @property
    def order(self) -> tuple[int, str, str]:
        return (0 if self.via is None else 1, self.source, self.via or "")

    @property
    def severity(self) -> HintSeverity:
        """High direct, medium through one asset; a step lower through a declared conduit."""
        severity = HintSeverity.HIGH if self.via is None else HintSeverity.MEDIUM
        return severity.lower() if self.conduit is not None else severity


def reach_hints(
    inventory: Inventory, plant: PlantMap | None, conduits: Sequence[ConduitSpec] = ()
) -> list[Hint]:
    """``enterprise-reachable`` hints (the module docstring); none without a plant map."""
    if plant is None:
        return []
    return _reach(_Plant.of(inventory, plant), conduits)


def _reach(view: _Plant, conduits: Sequence[ConduitSpec]) -> list[Hint]:
    paths: dict[str, list[_Path]] = {}
    for source in sorted(a for a in view.out if view.enterprise(a)):
        for middle, first in sorted(view.out[source].items()):
            if view.enterprise(middle):
                continue
            conduit = _conduit(view, conduits, source, middle, first)
            first_hop = (source, middle, tuple(sorted(first, key=_link_key)))
            if view.control(middle):
                paths.setdefault(middle, []).append(_Path(source, None, (first_hop,), conduit))
            for target, second in sorted(view.out.get(middle, {}).items()):
                if target == source or not view.control(target):
                    continue
                second_hop = (middle, target, tuple(sorted(second, key=_link_key)))
                paths.setdefault(target, []).append(
                    _Path(source, middle, (first_hop, second_hop), conduit)
                )
    out: list[Hint] = []
    for target in sorted(paths):
        found = paths[target]
        direct_sources = {p.source for p in found if p.via is None}
        # A source that reaches the device directly needs no detour through another asset.
        found = [p for p in found if p.via is None or p.source not in direct_sources]
        found.sort(key=lambda p: (-p.severity.rank, p.order))
        out.append(_reach_hint(view, target, found))
    return out


def _link_key(link: Link) -> LinkKey:
    return link.key


def _conduit(
    view: _Plant, conduits: Sequence[ConduitSpec], client: str, server: str, links: list[Link]
) -> ConduitSpec | None:
    """The declared conduit that allows every link of a hop, if one does."""
    a, b = view.zone(client), view.zone(server)
    if not conduits or a is None or b is None or a == b:
        return None
    allowing = [allowed_by(conduits, a, b, lk.protocol, lk.port) for lk in links]
    if allowing and all(c is not None for c in allowing):
        return allowing[0]
    return None


def _protocols(links: Iterable[Link]) -> str:
    return "/".join(sorted({_title(lk.protocol) for lk in links}))


def _describe(view: _Plant, path: _Path) -> str:
    source = path.source
    text = f"{view.who(source)} ({view.placed(source)})"
    first = path.hops[0]
    if path.via is None:
        text += f" talks {_protocols(first[2])} to it"
    else:
        middle = path.via
        second = path.hops[1]
        placed = view.placed(middle)
        text += (
            f" talks {_protocols(first[2])} to {view.who(middle)}"
            + (f" ({placed})" if placed else "")
            + f", which talks {_protocols(second[2])} to it"
        )
    if path.conduit is not None:
        text += f" (allowed by the conduit {path.conduit})"
    return text


def _reach_hint(view: _Plant, target: str, found: list[_Path]) -> Hint:
    best = found[0]  # the most severe path, direct ones first
    direct = best.via is None
    severity = best.severity
    side = "the internet" if all(_internet(view, p.source) for p in found) else "the enterprise"
    how = "" if direct else " through another asset"
    reason = f"reachable from {side}{how}: {_describe(view, best)}"
    sources = _unique(p.source for p in found)
    if len(found) > 1:
        reason += (
            f"; {len(found)} paths from {len(sources)} host{'s' if len(sources) > 1 else ''} in all"
        )
    kept = found[:PATHS_KEPT]
    links = _unique_links(lk.key for p in kept for hop in p.hops for lk in hop[2])
    assets = _unique([target, *(a for p in kept for a in (p.source, p.via) if a is not None)])
    return Hint(
        HintKind.ENTERPRISE_REACHABLE,
        target,
        view.address(target),
        severity,
        reason,
        assets=assets,
        links=links,
        details={
            "level": (lv.value if (lv := view.level(target)) is not None else None),
            "direct": sorted({view.address(p.source) for p in found if p.via is None}),
            "through": sorted({view.address(p.via) for p in found if p.via is not None}),
            "sources": [view.address(s) for s in sources],
            "paths": [_describe(view, p) for p in kept],
            "path_count": len(found),
        },
    )


def _internet(view: _Plant, asset_id: str) -> bool:
    level = view.level(asset_id)
    return level is not None and level is Level.INTERNET


def _unique_links(keys: Iterable[LinkKey]) -> tuple[LinkKey, ...]:
    return tuple(dict.fromkeys(keys))


# -- all of them -----------------------------------------------------------------------


KIND_ORDER = {kind: i for i, kind in enumerate(HintKind)}


def hint_sort_key(hint: Hint) -> tuple[object, ...]:
    """Most severe first, then by kind, then by device."""
    return (
        -hint.severity.rank,
        KIND_ORDER[hint.kind],
        _ip_key(hint.address),
        hint.component or "",
    )


def exposure_hints(
    inventory: Inventory,
    plant: PlantMap | None = None,
    conduits: Sequence[ConduitSpec] = (),
) -> list[Hint]:
    """Every hint of every kind, most severe first (enterprise reach needs ``plant``)."""
    view = _Plant.of(inventory, plant)
    hints = [
        *firmware_hints(inventory),
        *_authentication(view),
        *(_reach(view, conduits) if plant is not None else []),
    ]
    return sorted(hints, key=hint_sort_key)
