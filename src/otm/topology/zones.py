"""Zones and conduits in the IEC 62443 sense, and links that skip Purdue levels.

Membership (``assign_zones``), first rule that names the asset wins:

1. Declared zones, in file order; within a zone its selectors, then its
   subnets, then its VLANs.  The reason names the selector, subnet or VLAN.
2. Otherwise an inferred zone: ``vlan-<id>`` when the asset was seen tagged
   (the lowest VLAN id when several), else ``subnet-<prefix>`` for its IPv4
   /24 (``graph.subnets``; an IPv6 /64 when it has no IPv4 address), else
   ``layer2`` (known only by a MAC, or a loopback or link-local IP).  An
   inferred zone's level is the most common level of its members (ties go
   to the level nearer the process, the one that needs more protection).

A declared zone without a level gets one the same way, so that its trust
rank (``ZoneSpec.trust_rank``) is not "least trusted" by default; its
description says so.

A conduit (``find_conduits``) gathers every edge of the communication graph
whose ends are in different zones, by (client's zone, server's zone).  When
the plant file declares conduits, each observed one the declarations speak
about (``otm.model.plant.judged``) lists the links no declared conduit allows
(``Conduit.disallowed``, ``Conduit.policy``): the same judgement as the
detection rule ``OTM-CROSS-ZONE``.  A
level skip (``find_level_skips``) is a link whose ends are more than one
step apart on the Purdue ladder 0, 1, 2, 3, 3.5, 4, 5: the DMZ is a step of
its own, so 3 <-> 4 is a skip and 3 <-> 3.5 <-> 4 is not.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache

import networkx as nx

from otm.model.assets import Asset, Inventory
from otm.model.plant import (
    Conduit,
    ConduitSpec,
    Level,
    LevelAssignment,
    LevelSkip,
    PlantConfig,
    Selector,
    Source,
    ZoneAssignment,
    ZoneSpec,
    allowed_by,
    judged,
)
from otm.topology.graph import display_name, subnets

LAYER2_ZONE = "layer2"
"""The zone of assets never seen tagged and with no address that has a
subnet: known only by a MAC, or by a loopback or link-local IP."""

LEVEL_STEPS: dict[Level, int] = {level: step for step, level in enumerate(Level)}
"""Purdue ladder position of each level: 0, 1, 2, 3, 3.5, 4, 5 are steps 0 to 6."""

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def asset_tags(
    inv: Inventory, config: PlantConfig, names: dict[str, str]
) -> dict[str, frozenset[str]]:
    """Asset id -> the user tags (``config.tags``) whose selectors name it.

    A tag defined through another tag (``tag:x`` inside a tag) names
    nothing: tags are resolved in one pass, so there is no order to get
    wrong and no cycle to guard.
    """
    out: dict[str, frozenset[str]] = {}
    for asset in inv.assets.values():
        name = names.get(asset.id) or display_name(asset)
        found = frozenset(
            tag
            for tag, selectors in config.tags.items()
            if any(s.matches(asset, name) for s in selectors)
        )
        if found:
            out[asset.id] = found
    return out


class ZoneMatcher:
    """The declared zones, compiled once, asked "which zone names this asset?".

    A plant may declare hundreds of zones: trying each asset against each zone
    was most of the time to build the map of 10,000 assets (``bench/console.py``).
    So the subnets and VLANs are indexed (network address by prefix length ->
    zones; VLAN -> zones) and only the zones the index names, and those with
    selectors, are tried, in file order, with the same reasons.
    """

    def __init__(self, zones: Sequence[ZoneSpec]) -> None:
        self._zones: list[tuple[ZoneSpec, list[_Network], list[int]]] = []
        self._by_net: dict[tuple[int, int], dict[int, set[int]]] = {}
        self._by_vlan: dict[int, set[int]] = {}
        self._with_selectors: set[int] = set()
        for index, zone in enumerate(zones):
            nets = [ipaddress.ip_network(s, strict=False) for s in zone.subnets]
            self._zones.append((zone, nets, list(zone.vlans)))
            for net in nets:
                bucket = self._by_net.setdefault((net.version, net.prefixlen), {})
                bucket.setdefault(int(net.network_address), set()).add(index)
            for vlan in zone.vlans:
                self._by_vlan.setdefault(vlan, set()).add(index)
            if zone.selectors:
                self._with_selectors.add(index)

    def _candidates(self, asset: Asset) -> set[int]:
        found = set(self._with_selectors)
        for ip in asset.ips:
            addr = _address(ip)
            if addr is None:
                continue
            value, width = int(addr), addr.max_prefixlen
            for (version, prefix), networks in self._by_net.items():
                if version != addr.version:
                    continue
                mask = ((1 << prefix) - 1) << (width - prefix) if prefix else 0
                hit = networks.get(value & mask)
                if hit:
                    found |= hit
        for vlan in asset.vlans:
            found |= self._by_vlan.get(vlan, set())
        return found

    def match(
        self, asset: Asset, name: str | None, tags: frozenset[str] = frozenset()
    ) -> tuple[ZoneSpec, str] | None:
        """The first declared zone (file order) that names the asset, and why."""
        for index in sorted(self._candidates(asset)):
            zone, nets, vlans = self._zones[index]
            why = _why_member(asset, name, tags, zone.selectors, nets, vlans)
            if why is not None:
                return zone, why
        return None


def _why_member(
    asset: Asset,
    name: str | None,
    tags: frozenset[str],
    selectors: Iterable[Selector],
    nets: Iterable[_Network],
    vlans: Iterable[int],
) -> str | None:
    for selector in selectors:
        if selector.matches(asset, name, tags):
            return f"selector {selector}"
    for net in nets:
        for ip in sorted(asset.ips):
            if _in(ip, net):
                return f"subnet {net} holds {ip}"
    for vlan in vlans:
        if vlan in asset.vlans:
            return f"VLAN {vlan}"
    return None


def _in(ip: str, net: _Network) -> bool:
    addr = _address(ip)
    return addr is not None and addr in net


@lru_cache(maxsize=1 << 16)
def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parsed once: every asset is tested against every declared subnet."""
    try:
        return ipaddress.ip_address(ip)
    except ValueError:
        return None


def assign_zones(
    inv: Inventory,
    levels: dict[str, LevelAssignment],
    config: PlantConfig,
    names: dict[str, str],
) -> tuple[dict[str, ZoneSpec], dict[str, ZoneAssignment]]:
    """Every zone (declared first, in file order; then inferred) and every
    asset's zone with the reason (see the module docstring)."""
    matcher = ZoneMatcher(config.zones)
    tags = asset_tags(inv, config, names)
    declared = {z.name for z in config.zones}
    membership: dict[str, ZoneAssignment] = {}
    inferred: dict[str, ZoneSpec] = {}
    asset_subnet = _asset_subnets(inv)
    for asset_id in sorted(inv.assets):
        asset = inv.assets[asset_id]
        found = matcher.match(
            asset, names.get(asset_id) or display_name(asset), tags.get(asset_id, frozenset())
        )
        if found is not None:
            zone, why = found
            reason = f"declared zone {zone.name}: {why}"
            membership[asset_id] = ZoneAssignment(zone.name, reason, Source.DECLARED)
            continue
        spec, reason = _inferred_zone(asset, asset_subnet.get(asset_id), declared)
        spec = inferred.setdefault(spec.name, spec)
        membership[asset_id] = ZoneAssignment(spec.name, reason, Source.INFERRED)

    members: dict[str, list[str]] = {}
    for asset_id, assignment in membership.items():
        members.setdefault(assignment.zone, []).append(asset_id)
    zones: dict[str, ZoneSpec] = {}
    for zone in config.zones:
        spec = zone
        if zone.level is None and members.get(zone.name):
            level, why = _common_level(members[zone.name], levels)
            if level is not None:
                note = f"(level {level.value} inferred: {why})"
                text = f"{zone.description} {note}" if zone.description else note
                spec = dataclasses.replace(zone, level=level, description=text)
        zones.setdefault(spec.name, spec)
    for name in sorted(inferred, key=_zone_order):
        spec = inferred[name]
        spec.level, why = _common_level(members[name], levels)
        if spec.level is not None:
            spec.description += f"; level {spec.level.value}: {why}"
        zones[name] = spec
    return zones, membership


def _asset_subnets(inv: Inventory) -> dict[str, str]:
    """Asset id -> the one prefix its inferred zone is named after.

    IPv4 before IPv6; among several, the prefix with the most assets
    (the segment the device mostly lives on), then the lowest.
    """
    nets = subnets(inv)
    best: dict[str, tuple[int, int, tuple[int, int], str]] = {}
    for prefix, net in nets.items():
        parsed = ipaddress.ip_network(prefix)
        key = (
            parsed.version,
            -len(net.assets),
            (parsed.version, int(parsed.network_address)),
            prefix,
        )
        for asset_id in net.assets:
            if asset_id not in best or key < best[asset_id]:
                best[asset_id] = key
    return {asset_id: key[3] for asset_id, key in best.items()}


def _inferred_zone(asset: Asset, prefix: str | None, declared: set[str]) -> tuple[ZoneSpec, str]:
    head = "no declared zone names it"
    if asset.vlans:
        vlan = min(asset.vlans)
        also = sorted(asset.vlans - {vlan})
        extra = f" (also seen on VLAN {', '.join(map(str, also))})" if also else ""
        spec = ZoneSpec(
            _free(f"vlan-{vlan}", declared),
            vlans=[vlan],
            description=f"inferred from VLAN {vlan}",
            source=Source.INFERRED,
        )
        return spec, f"{head}; tagged VLAN {vlan}{extra}"
    if prefix is not None:
        spec = ZoneSpec(
            _free(f"subnet-{prefix}", declared),
            subnets=[prefix],
            description=f"inferred from subnet {prefix}",
            source=Source.INFERRED,
        )
        return spec, f"{head}; subnet {prefix}"
    spec = ZoneSpec(
        _free(LAYER2_ZONE, declared),
        description="inferred: assets with no VLAN and no subnet address",
        source=Source.INFERRED,
    )
    if asset.ips:
        only = ", ".join(sorted(asset.ips))
        return spec, f"{head}; no VLAN, and {only} is loopback or link-local: layer 2 only"
    return spec, f"{head}; no IP address or VLAN: layer 2 only"


def _free(name: str, declared: set[str]) -> str:
    """An inferred zone never merges into a declared zone that has its name."""
    return name if name not in declared else f"{name}-inferred"


def _zone_order(name: str) -> tuple[int, int, str]:
    if name.startswith("vlan-"):
        number = name[5:].split("-", maxsplit=1)[0]
        return (0, int(number) if number.isdigit() else 0, name)
    if name.startswith("subnet-"):
        try:
            net = ipaddress.ip_network(name[7:].removesuffix("-inferred"))
        except ValueError:
            return (1, 0, name)
        return (1 if net.version == 4 else 2, int(net.network_address), name)
    return (3, 0, name)


def _common_level(
    asset_ids: Iterable[str], levels: dict[str, LevelAssignment]
) -> tuple[Level | None, str]:
    """The most common level among these assets (ties: nearer the process)."""
    counts = Counter(levels[a].level for a in asset_ids if a in levels)
    if not counts:
        return None, "no member has a level"
    level = min(counts, key=lambda lv: (-counts[lv], LEVEL_STEPS[lv]))
    total = sum(counts.values())
    return level, f"{counts[level]} of {total} members are level {level.value}"


def find_conduits(
    graph: nx.DiGraph,
    membership: dict[str, ZoneAssignment],
    declared: Sequence[ConduitSpec] = (),
    zones: Collection[str] = (),
) -> dict[tuple[str, str], Conduit]:
    """Every edge whose ends are in different zones, grouped by
    (client's zone, server's zone), with the protocols, link keys and
    operation categories (summed) it carries.  Sorted by zone pair.

    ``declared`` are the conduits the plant file allows and ``zones`` the
    declared zones' names: each conduit they speak about is ``judged`` and
    lists the links none of them allows (``disallowed``)."""
    out: dict[tuple[str, str], Conduit] = {}
    for client, server, data in graph.edges(data=True):
        a, b = membership.get(client), membership.get(server)
        if a is None or b is None or a.zone == b.zone:
            continue
        key = (a.zone, b.zone)
        conduit = out.get(key)
        if conduit is None:
            conduit = out[key] = Conduit(key)
        conduit.protocols |= set(data.get("protocols", ()))
        conduit.links.extend(data.get("links", ()))
        for category, count in data.get("categories", {}).items():
            conduit.operations[category] = conduit.operations.get(category, 0) + count
    for (from_zone, to_zone), conduit in out.items():
        conduit.links.sort()
        conduit.judged = judged(declared, zones, from_zone, to_zone)
        if conduit.judged:
            conduit.disallowed = [
                link
                for link in conduit.links
                if allowed_by(declared, from_zone, to_zone, link[2], link[4]) is None
            ]
    return dict(sorted(out.items()))


def level_distance(a: Level, b: Level) -> int:
    """Steps between two levels on the Purdue ladder (3 -> 4 is two: via 3.5)."""
    return abs(LEVEL_STEPS[a] - LEVEL_STEPS[b])


def find_level_skips(graph: nx.DiGraph, levels: dict[str, LevelAssignment]) -> list[LevelSkip]:
    """Every link between assets more than one Purdue step apart.

    One ``LevelSkip`` per link (so each protocol shows), sorted by link key.
    Ends without a level are not judged.
    """
    out: list[LevelSkip] = []
    for client, server, data in graph.edges(data=True):
        a, b = levels.get(client), levels.get(server)
        if a is None or b is None or level_distance(a.level, b.level) <= 1:
            continue
        step_a, step_b = LEVEL_STEPS[a.level], LEVEL_STEPS[b.level]
        skipped = [
            lv.value for lv in Level if min(step_a, step_b) < LEVEL_STEPS[lv] < max(step_a, step_b)
        ]
        if step_a > step_b:
            skipped.reverse()  # in the order the link crosses them
        plural = "s" if len(skipped) > 1 else ""
        reason = (
            f"{_node_name(graph, client)} (level {a.level.value}) -> "
            f"{_node_name(graph, server)} (level {b.level.value}) skips level{plural} "
            f"{', '.join(skipped)}"
        )
        for link in data.get("links", ()):
            out.append(LevelSkip(link, a.level, b.level, reason))
    out.sort(key=lambda s: s.link)
    return out


def _node_name(graph: nx.DiGraph, node: str) -> str:
    name = graph.nodes[node].get("name") if node in graph else None
    return str(name) if name else node
