"""Change over time: what is new and what has vanished between two moments.

``diff_inventories(old, new)`` compares two inventories: assets, links, the
protocols each asset speaks and the operations each link carries.  Assets
are matched by id, else by any shared IP or MAC address, because the
inventory builder derives ids from addresses and an inventory built from a
slice of the observations may anchor a device on another of its addresses.
Links are matched by their key (client, server, protocol, transport, port),
which is made of addresses and so is stable across rebuilds.  Protocol and
operation changes are listed only for assets and links present on both
sides: a new asset's protocols, or a new link's operations, come with it.

The inventories to compare are built from the stored observations cut at a
moment (``as_of``) or to a window (``between``); both are pure filters over
an observation stream, in packet time, so replaying the same observations
gives the same diff whatever the wall clock says.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from otm.model.assets import Asset, Inventory, Link
from otm.observations.records import (
    AssetSeen,
    Communication,
    DeviceHealth,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    TagSample,
)
from otm.topology.graph import display_name

LinkKey = tuple[str, str, str, str, int]


@dataclass(frozen=True, slots=True)
class AssetRef:
    """An asset as a diff names it (enough to find it again with ``otm show``)."""

    id: str
    name: str
    role: str
    ips: tuple[str, ...]
    macs: tuple[str, ...]
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class LinkRef:
    """A link as a diff names it, with the operations it carried on its side."""

    key: LinkKey
    packets: int
    operations: tuple[tuple[str, int], ...]
    first_seen: float
    last_seen: float

    @property
    def client(self) -> str:
        """The client's address."""
        return self.key[0]

    @property
    def server(self) -> str:
        """The server's address."""
        return self.key[1]

    @property
    def protocol(self) -> str:
        """The protocol of the link."""
        return self.key[2]


@dataclass(frozen=True, slots=True)
class ProtocolChange:
    """An asset present on both sides started or stopped speaking a protocol.

    ``role`` is ``client`` or ``server``: an HMI that starts serving Modbus
    is a different change from one that starts polling it.
    """

    asset: str
    name: str
    protocol: str
    role: str


@dataclass(frozen=True, slots=True)
class OperationChange:
    """A link present on both sides started or stopped carrying an operation.

    ``count`` is how many times the side that has it saw it.
    """

    link: LinkKey
    operation: str
    category: str
    count: int


@dataclass
class InventoryDiff:
    """New and vanished things between an old and a new inventory, each list sorted."""

    new_assets: list[AssetRef] = field(default_factory=list)
    vanished_assets: list[AssetRef] = field(default_factory=list)
    new_links: list[LinkRef] = field(default_factory=list)
    vanished_links: list[LinkRef] = field(default_factory=list)
    new_protocols: list[ProtocolChange] = field(default_factory=list)
    vanished_protocols: list[ProtocolChange] = field(default_factory=list)
    new_operations: list[OperationChange] = field(default_factory=list)
    vanished_operations: list[OperationChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing changed."""
        return not any(getattr(self, f.name) for f in dataclasses.fields(self))

    def counts(self) -> dict[str, int]:
        """How many changes of each kind, by field name."""
        return {f.name: len(getattr(self, f.name)) for f in dataclasses.fields(self)}


def diff_inventories(
    old: Inventory, new: Inventory, categories: Mapping[str, str] | None = None
) -> InventoryDiff:
    """What ``new`` has that ``old`` has not (new) and the reverse (vanished).

    ``categories`` (operation name -> category, as the observations said)
    names the category of each operation change; without it the category
    is worked out from the link's per-category counts where that is
    unambiguous, else ``?``.
    """
    out = InventoryDiff()
    pairs = _match_assets(old, new)
    matched_old = set(pairs.values())
    for asset in new.assets.values():
        if asset.id not in pairs:
            out.new_assets.append(_asset_ref(asset))
    for asset in old.assets.values():
        if asset.id not in matched_old:
            out.vanished_assets.append(_asset_ref(asset))
    for new_id, old_id in pairs.items():
        a_new, a_old = new.assets[new_id], old.assets[old_id]
        was = {(s.name, s.role) for s in a_old.services}
        now = {(s.name, s.role) for s in a_new.services}
        name = display_name(a_new)
        out.new_protocols += [ProtocolChange(new_id, name, p, r) for p, r in now - was]
        out.vanished_protocols += [ProtocolChange(new_id, name, p, r) for p, r in was - now]

    for key, link in new.links.items():
        if key not in old.links:
            out.new_links.append(_link_ref(link))
    for key, link in old.links.items():
        if key not in new.links:
            out.vanished_links.append(_link_ref(link))
        else:
            _operation_changes(link, new.links[key], categories or {}, out)

    out.new_assets.sort(key=_asset_order)
    out.vanished_assets.sort(key=_asset_order)
    out.new_links.sort(key=lambda r: r.key)
    out.vanished_links.sort(key=lambda r: r.key)
    for changes in (out.new_protocols, out.vanished_protocols):
        changes.sort(key=lambda c: (c.name, c.asset, c.protocol, c.role))
    for ops in (out.new_operations, out.vanished_operations):
        ops.sort(key=lambda c: (c.link, c.operation))
    return out


def _match_assets(old: Inventory, new: Inventory) -> dict[str, str]:
    """new asset id -> old asset id, by id first, then by a shared address."""
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for asset_id in new.assets:
        if asset_id in old.assets:
            pairs[asset_id] = asset_id
            taken.add(asset_id)
    by_address: dict[str, str] = {}
    for asset in sorted(old.assets.values(), key=lambda a: a.id):
        if asset.id in taken:
            continue
        for address in sorted(asset.ips | asset.macs):
            by_address.setdefault(address, asset.id)
    for asset in sorted(new.assets.values(), key=lambda a: a.id):
        if asset.id in pairs:
            continue
        for address in sorted(asset.ips | asset.macs):
            old_id = by_address.get(address)
            if old_id is not None and old_id not in taken:
                pairs[asset.id] = old_id
                taken.add(old_id)
                break
    return pairs


def _operation_changes(
    old: Link, new: Link, categories: Mapping[str, str], out: InventoryDiff
) -> None:
    for name in sorted(new.operations.keys() - old.operations.keys()):
        cat = categories.get(name) or _category(new, name)
        out.new_operations.append(OperationChange(new.key, name, cat, new.operations[name]))
    for name in sorted(old.operations.keys() - new.operations.keys()):
        cat = categories.get(name) or _category(old, name)
        out.vanished_operations.append(OperationChange(old.key, name, cat, old.operations[name]))


def _category(link: Link, operation: str) -> str:
    """The category of an operation on a link, from the link alone.

    A link counts per operation and per category but does not record which
    operation fell in which category: a link that carries one category
    gives it; else the category whose count equals the operation's, if
    only one does.
    """
    cats = [c for c, n in link.categories.items() if n]
    if len(cats) == 1:
        return cats[0]
    count = link.operations.get(operation)
    same = [c for c in cats if link.categories[c] == count]
    return same[0] if len(same) == 1 else "?"


def _asset_ref(asset: Asset) -> AssetRef:
    return AssetRef(
        asset.id,
        display_name(asset),
        asset.role.value,
        tuple(sorted(asset.ips)),
        tuple(sorted(asset.macs)),
        asset.first_seen,
        asset.last_seen,
    )


def _asset_order(ref: AssetRef) -> tuple[str, str]:
    return (ref.name.lower(), ref.id)


def _link_ref(link: Link) -> LinkRef:
    return LinkRef(
        link.key,
        link.packets,
        tuple(sorted(link.operations.items())),
        link.first_seen,
        link.last_seen,
    )


# -- cutting the observation stream in time ---------------------------------


def span(obs: Observation) -> tuple[float, float]:
    """The packet times an observation covers, first to last."""
    if isinstance(obs, AssetSeen | Identity | TagSample | DeviceHealth):
        return (obs.time, obs.time)
    return (obs.first_seen, obs.last_seen)


def newest_time(observations: Iterable[Observation]) -> float | None:
    """The latest packet time in a stream (the reference for ``2h ago``)."""
    newest: float | None = None
    for obs in observations:
        last = span(obs)[1]
        if newest is None or last > newest:
            newest = last
    return newest


def as_of(observations: Iterable[Observation], moment: float) -> Iterator[Observation]:
    """What was known at ``moment``: the observations that began at or before it.

    An aggregated record that runs past the moment (a flow's reads from
    08:00 to 09:00, cut at 08:30) is kept with its end clamped to the
    moment; its counts cannot be split and stay whole.
    """
    for obs in observations:
        first, last = span(obs)
        if first > moment:
            continue
        yield _clamp(obs, first, min(last, moment)) if last > moment else obs


def between(
    observations: Iterable[Observation], start: float, end: float | None = None
) -> Iterator[Observation]:
    """What was active in the window ``(start, end]``.

    Records that overlap the window are kept, clamped to it.  Identities
    learned before the window are kept too: a device that said its name at
    07:00 still has that name at 09:00, and an identity alone adds no
    asset.  Host sightings are emitted at the first and the last activity
    of a host, so a host busy through the whole window has no sighting
    inside it: sightings are paired per (MAC, IP, VLAN) and the host kept
    if the span between its first and last sighting meets the window.
    """
    hosts: dict[tuple[str | None, str | None, int | None], list[AssetSeen]] = {}
    for obs in observations:
        first, last = span(obs)
        if isinstance(obs, AssetSeen):
            seen = hosts.setdefault((obs.mac, obs.ip, obs.vlan), [obs, obs])
            if obs.time < seen[0].time:
                seen[0] = obs
            if obs.time > seen[1].time:
                seen[1] = obs
            continue
        if isinstance(obs, Identity):
            if end is None or obs.time <= end:
                yield obs
            continue
        if last <= start or (end is not None and first > end):
            continue
        lo, hi = max(first, start), last if end is None else min(last, end)
        yield obs if (lo, hi) == (first, last) else _clamp(obs, lo, hi)
    for first_seen, last_seen in hosts.values():
        if last_seen.time <= start or (end is not None and first_seen.time > end):
            continue
        inside = [
            s for s in (first_seen, last_seen) if start < s.time and (end is None or s.time <= end)
        ]
        if not inside and end is not None:  # busy from before the window to after it
            inside = [dataclasses.replace(first_seen, time=end)]
        yield from dict.fromkeys(inside)


def _clamp(obs: Observation, first: float, last: float) -> Observation:
    if isinstance(obs, Communication | Operation | ParseAnomaly):
        return dataclasses.replace(obs, first_seen=first, last_seen=last)
    return obs
