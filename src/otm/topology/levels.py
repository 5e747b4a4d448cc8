"""Purdue levels: every asset gets one, with the rule that gave it.

Rules, first that applies wins (``assign_levels``):

1. **Declared override** (``config.levels``, selector -> level, file order):
   ``declared: level override ip:10.1.3.20``.
2. **Declared zone level**: the asset's zone (first declared zone naming it,
   as ``otm.topology.zones`` decides membership) declares a level.
3. **Role** (``ROLE_LEVELS``): I/O modules and field devices 0; PLCs and
   RTUs 1; HMIs, SCADA servers and engineering workstations 2; historians 3.
4. **IT hosts by whom they talk to** (either direction on the graph), against
   the assets placed by rules 1-3 and the other IT hosts:
   - a public address outside every segment that holds a control asset is
     the outside world, 5 (so an HMI reaching the internet is a level skip);
   - talks to control assets (levels 0-3) and to IT (hosts that talk to no
     control asset, or assets placed at 4-5): a broker, 3.5;
   - talks to control assets only: 3; to IT only: 4;
   - talks to nobody placed: 3 when its segment (subnet or VLAN) holds
     control assets, else 4.
5. **Network devices and unknown roles by their neighbours**, spreading
   outwards in rounds so each takes its level from the nearest placed
   assets: an unknown that only answers its placed peers sits one step
   below them (a BACnet controller polled by a level-2 SCADA is 1), one
   that only asks sits one step above; otherwise (network devices, and
   unknowns that do both) the most common level of the peers (ties: nearer
   the process).  Failing that the most common level of their segment
   (IPv4 /24, IPv6 /64 or VLAN); failing that ``DEFAULT_LEVEL``.

The reason of each verdict names the rule and the evidence (the selector,
the zone, the role, the peers by name), so a reviewer can check it.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Iterable

import networkx as nx

from otm.model.assets import Asset, Inventory, Role
from otm.model.plant import Level, LevelAssignment, PlantConfig, Source
from otm.topology.graph import display_name, subnets
from otm.topology.zones import LEVEL_STEPS, ZoneMatcher, asset_tags

ROLE_LEVELS: dict[Role, tuple[Level, str]] = {
    Role.IO_MODULE: (Level.PROCESS, "field device"),
    Role.PLC: (Level.BASIC_CONTROL, "basic control"),
    Role.RTU: (Level.BASIC_CONTROL, "basic control"),
    Role.HMI: (Level.SUPERVISORY, "supervisory control"),
    Role.SCADA_SERVER: (Level.SUPERVISORY, "supervisory control"),
    Role.ENGINEERING_WORKSTATION: (Level.SUPERVISORY, "supervisory control"),
    Role.HISTORIAN: (Level.OPERATIONS, "site operations"),
}
"""The level a role implies by itself; adding a role is adding a row."""

OT_LEVELS = frozenset({Level.PROCESS, Level.BASIC_CONTROL, Level.SUPERVISORY, Level.OPERATIONS})
"""Levels of the control system proper: peers there make an IT host level 3."""

IT_LEVELS = frozenset({Level.ENTERPRISE, Level.INTERNET})
"""Levels of the business side: peers there, with control peers, make a broker."""

DEFAULT_LEVEL = Level.OPERATIONS
"""An asset nothing places (no telling role, no placed peer, no placed
segment peer): the middle of the ladder, until the user declares it.  It
talks to no placed asset, so this choice decides no level skip; its reason
says "(review)"."""

NAMES_SHOWN = 3
"""Peers named in a reason before "and N more"."""


def assign_levels(
    inv: Inventory,
    graph: nx.DiGraph,
    config: PlantConfig,
    names: dict[str, str],
) -> dict[str, LevelAssignment]:
    """Every asset's Purdue level and why (see the module docstring)."""
    names = {a.id: names.get(a.id) or display_name(a) for a in inv.assets.values()}
    out = _declared(inv, config, names)
    for asset_id in sorted(inv.assets):
        asset = inv.assets[asset_id]
        if asset_id not in out and asset.role in ROLE_LEVELS:
            level, what = ROLE_LEVELS[asset.role]
            why = f" ({asset.role_reason})" if asset.role_reason else ""
            out[asset_id] = LevelAssignment(
                level, f"role {asset.role.value}{why}: {what}", Source.INFERRED
            )
    peers = {a: _peers(graph, a) for a in inv.assets}
    segments = _Segments(inv)
    out |= _it_hosts(inv, out, peers, segments, names)
    out |= _by_neighbours(inv, graph, out, peers, segments, names)
    return {asset_id: out[asset_id] for asset_id in sorted(out)}


def _declared(
    inv: Inventory, config: PlantConfig, names: dict[str, str]
) -> dict[str, LevelAssignment]:
    """Rules 1 and 2: what the user's configuration says."""
    out: dict[str, LevelAssignment] = {}
    tags = asset_tags(inv, config, names)
    matcher = ZoneMatcher(config.zones)
    for asset_id in sorted(inv.assets):
        asset, name = inv.assets[asset_id], names[asset_id]
        mine = tags.get(asset_id, frozenset())
        for selector, level in config.levels.items():
            if selector.matches(asset, name, mine):
                out[asset_id] = LevelAssignment(
                    level, f"declared: level override {selector}", Source.DECLARED
                )
                break
        else:
            found = matcher.match(asset, name, mine)
            zone_level = found[0].level if found is not None else None
            if found is not None and zone_level is not None:
                zone, why = found
                out[asset_id] = LevelAssignment(
                    zone_level,
                    f"declared: zone {zone.name} is level {zone_level.value} ({why})",
                    Source.DECLARED,
                )
    return out


def _peers(graph: nx.DiGraph, asset_id: str) -> list[str]:
    if asset_id not in graph:
        return []
    return sorted(set(graph.predecessors(asset_id)) | set(graph.successors(asset_id)))


class _Segments:
    """Assets that share a subnet (IPv4 /24, IPv6 /64) or a VLAN.

    Groups are shared, never copied per member, and a question ("which
    placed assets share a segment with X?") is answered once per distinct
    set of groups: a flat VLAN of thousands of silent hosts stays linear.
    """

    def __init__(self, inv: Inventory) -> None:
        groups = [frozenset(net.assets) for net in subnets(inv).values()]
        by_vlan: dict[int, set[str]] = {}
        for asset in inv.assets.values():
            for vlan in asset.vlans:
                by_vlan.setdefault(vlan, set()).add(asset.id)
        groups += [frozenset(members) for members in by_vlan.values()]
        self._of: dict[str, tuple[int, ...]] = {}
        for index, group in enumerate(groups):
            for asset_id in group:
                self._of[asset_id] = (*self._of.get(asset_id, ()), index)
        self._groups = groups

    def placed(
        self, levels: dict[str, LevelAssignment], among: frozenset[Level] | None = None
    ) -> Callable[[str], list[str]]:
        """asset id -> the assets placed in ``levels`` (at a level of ``among``,
        if given) that share one of its segments, itself excluded, sorted."""
        cache: dict[tuple[int, ...], list[str]] = {}

        def near(asset_id: str) -> list[str]:
            key = self._of.get(asset_id, ())
            found = cache.get(key)
            if found is None:
                members = set().union(*(self._groups[i] for i in key)) if key else set()
                found = cache[key] = sorted(
                    a
                    for a in members
                    if a in levels and (among is None or levels[a].level in among)
                )
            return [a for a in found if a != asset_id]

        return near


def _it_hosts(
    inv: Inventory,
    placed: dict[str, LevelAssignment],
    peers: dict[str, list[str]],
    segments: _Segments,
    names: dict[str, str],
) -> dict[str, LevelAssignment]:
    """Rule 4, against the assets rules 1-3 placed (see the module docstring)."""
    hosts = sorted(
        a for a, asset in inv.assets.items() if asset.role is Role.IT_HOST and a not in placed
    )
    ot_peers = {
        h: [p for p in peers[h] if p in placed and placed[p].level in OT_LEVELS] for h in hosts
    }
    pure_it = {h for h in hosts if not ot_peers[h]}
    control_near = segments.placed(placed, OT_LEVELS)
    out: dict[str, LevelAssignment] = {}
    for host in hosts:
        ot = ot_peers[host]
        it = [
            p for p in peers[host] if p in pure_it or (p in placed and placed[p].level in IT_LEVELS)
        ]
        outside = _outside(inv.assets[host], control_near(host))
        if outside:
            level, why = Level.INTERNET, f"public address {outside} outside every control segment"
        elif ot and it:
            level = Level.DMZ
            why = (
                f"brokers between control ({_levels_of(ot, placed, names)}) "
                f"and IT ({_list(it, names)})"
            )
        elif ot:
            level, why = (
                Level.OPERATIONS,
                f"talks to control assets {_levels_of(ot, placed, names)}",
            )
        elif it:
            level, why = Level.ENTERPRISE, f"talks only to IT hosts ({_list(it, names)})"
        else:
            near = control_near(host)
            if near:
                level = Level.OPERATIONS
                why = f"no placed peer; shares a segment with control assets ({_list(near, names)})"
            else:
                level, why = Level.ENTERPRISE, "talks to no control asset, nor shares a segment"
        out[host] = LevelAssignment(level, f"it-host: {why}", Source.INFERRED)
    return out


def _outside(asset: Asset, control_near: list[str]) -> str | None:
    """A public address of a host whose segment holds no control asset, if all its IPs are."""
    if not asset.ips or control_near:
        return None
    try:
        addrs = sorted((ipaddress.ip_address(ip) for ip in asset.ips), key=lambda a: (a.version, a))
    except ValueError:
        return None
    if all(a.is_global for a in addrs):
        return str(addrs[0])
    return None


def _by_neighbours(
    inv: Inventory,
    graph: nx.DiGraph,
    placed: dict[str, LevelAssignment],
    peers: dict[str, list[str]],
    segments: _Segments,
    names: dict[str, str],
) -> dict[str, LevelAssignment]:
    """Rule 5: network devices and unknown roles (anything still unplaced).

    Rounds: each unplaced asset with a placed peer takes its level from the
    placed peers as they stood at the start of the round (``_from_peers``),
    so the outcome does not depend on the order assets are visited.
    """
    levels = dict(placed)
    todo = sorted(a for a in inv.assets if a not in levels)
    out: dict[str, LevelAssignment] = {}
    while todo:
        found: dict[str, LevelAssignment] = {}
        for asset_id in todo:
            verdict = _from_peers(graph, inv.assets[asset_id], levels, names)
            if verdict is not None:
                found[asset_id] = verdict
        levels |= found
        out |= found
        # Only a neighbour of a newly placed asset can be placed next round.
        todo = sorted({p for a in found for p in peers[a] if p not in levels})
    segment_near = segments.placed(levels)
    for asset_id in sorted(a for a in inv.assets if a not in levels):
        role = inv.assets[asset_id].role.value
        near = segment_near(asset_id)
        if near:
            level, tally = _common(near, levels)
            why = (
                f"{role}: talks to no placed asset; most of its segment is level "
                f"{level.value} ({tally})"
            )
        else:
            level = DEFAULT_LEVEL
            why = (
                f"{role}: no role, traffic or segment that places it; "
                f"default level {level.value} (review)"
            )
        out[asset_id] = LevelAssignment(level, why, Source.INFERRED)
    return out


def _from_peers(
    graph: nx.DiGraph, asset: Asset, levels: dict[str, LevelAssignment], names: dict[str, str]
) -> LevelAssignment | None:
    """The level the placed peers give an asset, or None when none is placed.

    A device of unknown role that only answers (its placed peers are all its
    clients) sits one step below them, as a controller sits below the HMI
    that polls it; one that only asks sits one step above its servers.  A
    network device, or an unknown that does both, takes the most common
    level of its peers: it lives in their network.
    """
    if asset.id not in graph:
        return None
    clients = sorted(p for p in graph.predecessors(asset.id) if p in levels)
    servers = sorted(p for p in graph.successors(asset.id) if p in levels)
    if not clients and not servers:
        return None
    role = asset.role.value
    if asset.role is Role.UNKNOWN and not (clients and servers):
        side, step, where = (
            (clients, -1, "answers clients at") if clients else (servers, 1, "asks servers at")
        )
        peer_level, _ = _common(side, levels)
        level = _step(peer_level, step)
        why = (
            f"{role}: {where} level {peer_level.value} ({_list(side, names)}), "
            f"so one step {'below' if step < 0 else 'above'} them"
        )
        return LevelAssignment(level, why, Source.INFERRED)
    level, tally = _common(set(clients) | set(servers), levels)
    why = f"{role}: most of the assets it talks to are level {level.value} ({tally})"
    return LevelAssignment(level, why, Source.INFERRED)


def _step(level: Level, by: int) -> Level:
    """The level ``by`` steps up (+) or down (-) the Purdue ladder, clamped at its ends."""
    ladder = list(Level)
    return ladder[max(0, min(len(ladder) - 1, LEVEL_STEPS[level] + by))]


def _common(asset_ids: Iterable[str], levels: dict[str, LevelAssignment]) -> tuple[Level, str]:
    """The most common level (ties: nearer the process) and the tally as text."""
    counts = Counter(levels[a].level for a in asset_ids)
    level = min(counts, key=lambda lv: (-counts[lv], LEVEL_STEPS[lv]))
    tally = ", ".join(
        f"{counts[lv]} at {lv.value}" for lv in sorted(counts, key=LEVEL_STEPS.__getitem__)
    )
    return level, tally


def _levels_of(
    asset_ids: list[str], levels: dict[str, LevelAssignment], names: dict[str, str]
) -> str:
    by_level: dict[Level, list[str]] = {}
    for a in asset_ids:
        by_level.setdefault(levels[a].level, []).append(a)
    return "; ".join(
        f"level {lv.value}: {_list(by_level[lv], names)}"
        for lv in sorted(by_level, key=LEVEL_STEPS.__getitem__)
    )


def _list(asset_ids: Iterable[str], names: dict[str, str]) -> str:
    shown = sorted(names.get(a, a) for a in asset_ids)
    more = len(shown) - NAMES_SHOWN
    text = ", ".join(shown[:NAMES_SHOWN])
    return f"{text} and {more} more" if more > 0 else text
