"""The inventory consumer: observations in, assets, links and anomalies out.

Pure: no store, no clock.  ``InventoryBuilder.apply`` takes observations in
any order and ``build`` resolves them into an ``Inventory``.  Resolution runs
over the whole set because whether a MAC is a router's (and so must not merge
the IPs behind it) is only known once every pair has been seen; replaying the
same observations always gives the same inventory (ids, orders, values).

Where each fact comes from:

- addresses, VLANs, first/last seen: ``AssetSeen`` (and the ends of links).
  Every unicast MAC is an address node, every host IP another; a pair seen
  together ties them into one asset unless the MAC is a router's
  (``otm.inventory.addresses``).  So a device seen only by its MAC (IP None:
  layer-2 frames, PROFINET DCP before it has an address, a scan's DCP
  answer) is an asset of its own, and the same MAC seen later with an IP is
  the same asset, whichever came first (its id is drawn from the MAC).  A
  switch whose ports each send from their own MAC (STP, LLDP) is as many
  assets: nothing on the wire ties a port's MAC to its chassis but what
  the switch says of itself (LLDP's chassis id, kept on each as
  ``lldp_chassis_mac``).  Group MACs (multicast, broadcast) and the
  all-zero MAC are no device's and make no asset;
- identity fields: ``Identity`` (per component when it names one), each value
  kept with the evidence of the observation that first taught it;
- vendor from the MAC: the offline IEEE OUI table, as field ``mac_vendor``;
  vendor from a CIP vendor id: the offline ODVA table, as field ``vendor``;
- links and the operations on them: ``Communication`` and ``Operation``;
  the services each end uses or serves: ``Communication``, whose server end
  serves the protocol only if it answered (``answered``: a UDP host that only
  received a scan's probes is linked to the scanner but serves nothing);
- parse anomalies: ``ParseAnomaly``;
- role: ``otm.inventory.roles`` over the behaviour summary, in which a link
  counts for its server (``serves``, ``clients``) unless none of its
  ``Communication``s was answered (a live capture's deltas of one flow: any
  answered one will do); its client uses the protocol either way.  Whether
  a link was answered lives here only: the stored ``Link`` has no column
  for it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from otm.inventory.addresses import AddressGroups, host_ip, router_macs, usable_mac
from otm.inventory.roles import TELECONTROL_PROTOCOLS, Behaviour, infer_role
from otm.inventory.vendors import cip_vendor, mac_vendor
from otm.model.assets import (
    AnomalyCount,
    Asset,
    Component,
    FieldValue,
    Inventory,
    Link,
    Role,
    ServiceUse,
)
from otm.observations.records import (
    AssetSeen,
    Communication,
    Evidence,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
)

OUI_EVIDENCE_REF = "IEEE OUI registry (netaddr package)"
CIP_VENDOR_REF = "ODVA CIP vendor list (pycomm3 package)"

_MAC = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")

PROGRAM_CATEGORIES = frozenset({"program", "control"})
PROGRAM_ONLY = frozenset({"program"})
"""Operation categories that make their client an engineering workstation."""


@dataclass
class _Seen:
    first: float
    last: float
    evidence: Evidence
    vlans: set[int] = field(default_factory=set)


class InventoryBuilder:
    """Collects observations, then builds the inventory they imply."""

    def __init__(self) -> None:
        self._pairs: dict[tuple[str | None, str | None], _Seen] = {}
        self._identities: list[Identity] = []
        self._comms: list[Communication] = []
        self._ops: list[Operation] = []
        self._anomalies: list[ParseAnomaly] = []
        self._op_categories: dict[str, str] = {}
        # Keys of the links none of whose Communications was answered (per build).
        self._unanswered: set[tuple[str, str, str, str, int]] = set()

    def apply(self, obs: Observation) -> None:
        """Take one observation (any order)."""
        if isinstance(obs, AssetSeen):
            self._seen(obs.mac, obs.ip, obs.time, obs.evidence, obs.vlan)
        elif isinstance(obs, Identity):
            self._identities.append(obs)
        elif isinstance(obs, Communication):
            self._comms.append(obs)
        elif isinstance(obs, Operation):
            self._ops.append(obs)
            self._op_categories[obs.name] = obs.category
        elif isinstance(obs, ParseAnomaly):
            self._anomalies.append(obs)

    def apply_all(self, observations: Iterable[Observation]) -> InventoryBuilder:
        """Take many observations; returns self for chaining."""
        for obs in observations:
            self.apply(obs)
        return self

    def _seen(
        self, mac: str | None, ip: str | None, t: float, ev: Evidence, vlan: int | None
    ) -> None:
        mac = mac or None  # link types without MACs report ""
        if ip is not None and not host_ip(ip):
            ip = None
        if mac is None and ip is None:
            return
        key = (mac, ip)
        seen = self._pairs.get(key)
        if seen is None:
            seen = self._pairs[key] = _Seen(t, t, ev)
        else:
            if t < seen.first:
                seen.first, seen.evidence = t, ev
            seen.last = max(seen.last, t)
        if vlan is not None:
            seen.vlans.add(vlan)

    # -- resolution -------------------------------------------------------

    def build(self) -> Inventory:
        """Resolve everything collected into an inventory."""
        pairs = self._pairs
        routers = router_macs((m, i) for (m, i) in pairs if m and i and usable_mac(m))
        groups = AddressGroups()
        for mac, ip in sorted(pairs, key=_pair_order):
            mac_ok = usable_mac(mac)
            if ip is not None:
                groups.add("ip:" + ip)
            if mac is not None and mac_ok:
                groups.add("mac:" + mac)
            if ip is not None and mac is not None and mac_ok and mac not in routers:
                groups.union("ip:" + ip, "mac:" + mac)
        # Ends of links that never sent a frame themselves (one-way captures).
        for c in self._comms:
            for ip, mac in ((c.client_ip, c.client_mac), (c.server_ip, c.server_mac)):
                if ip is not None and host_ip(ip):
                    groups.add("ip:" + ip)
                elif ip is None and mac is not None and usable_mac(mac):
                    groups.add("mac:" + mac)

        inv = Inventory()
        node_asset: dict[str, Asset] = {}
        for members in sorted(groups.groups().values()):
            asset = self._new_asset(members)
            inv.assets[asset.id] = asset
            for node in members:
                node_asset[node] = asset
        self._place_pairs(node_asset, routers)
        self._place_links(inv, node_asset)
        self._place_identities(node_asset)
        self._place_mac_vendors(inv, routers)
        self._place_anomalies(inv)
        self._infer_roles(inv, node_asset, routers)
        return inv

    def _new_asset(self, members: list[str]) -> Asset:
        macs = [m[4:] for m in members if m.startswith("mac:")]
        ips = [m[3:] for m in members if m.startswith("ip:")]
        anchor = ("mac:" + macs[0]) if macs else ("ip:" + min(ips, key=_ip_order))
        asset_id = hashlib.sha1(anchor.encode()).hexdigest()[:12]
        return Asset(id=asset_id, ips=set(ips), macs=set(macs))

    def _place_pairs(self, node_asset: dict[str, Asset], routers: set[str]) -> None:
        for (mac, ip), seen in sorted(self._pairs.items(), key=lambda kv: _pair_order(kv[0])):
            asset = node_asset.get("ip:" + ip) if ip else node_asset.get("mac:" + (mac or ""))
            if asset is None:
                continue
            if mac is not None and mac not in routers:
                asset.macs.add(mac)
            _touch(asset, seen.first, seen.last, seen.evidence)
            asset.vlans |= seen.vlans

    def _place_links(self, inv: Inventory, node_asset: dict[str, Asset]) -> None:
        answered: set[tuple[str, str, str, str, int]] = set()
        unanswered: set[tuple[str, str, str, str, int]] = set()
        for c in self._comms:
            client = c.client_ip or c.client_mac or "?"
            server = c.server_ip or c.server_mac or "?"
            link = _link(inv, client, server, c)
            link.packets += c.packets
            link.bytes += c.bytes
            if c.first_seen < link.first_seen:
                link.first_seen, link.evidence = c.first_seen, c.evidence
            link.last_seen = max(link.last_seen, c.last_seen)
            (answered if c.answered else unanswered).add(link.key)
            for end, role in ((c.client_ip or c.client_mac, "client"), (server, "server")):
                asset = _asset_of(node_asset, end)
                if asset is None:
                    continue
                if c.answered or role == "client":
                    use = ServiceUse(c.protocol, role, c.transport.value, c.port)
                    if use not in asset.services:
                        asset.services.append(use)
                _touch(asset, c.first_seen, c.last_seen, c.evidence)
        self._unanswered = unanswered - answered
        for op in self._ops:
            client = op.client_ip or op.client_mac or "?"
            server = op.server_ip or op.server_mac or "?"
            link = _link(inv, client, server, op)
            link.operations[op.name] = link.operations.get(op.name, 0) + op.count
            link.categories[op.category] = link.categories.get(op.category, 0) + op.count
        for asset in inv.assets.values():
            asset.services.sort(key=lambda s: (s.name, s.role, s.transport, s.port))

    def _place_identities(self, node_asset: dict[str, Asset]) -> None:
        for ident in sorted(self._identities, key=lambda i: (i.time, i.evidence.packet or 0)):
            asset = _asset_of(node_asset, ident.ip) or _asset_of(node_asset, ident.mac)
            if asset is None:
                continue
            fields = dict(ident.fields)
            vendor_id = fields.get("vendor_id")
            if ident.protocol in ("enip", "cip") and isinstance(vendor_id, int):
                name = cip_vendor(vendor_id)
                if name and "vendor" not in fields:
                    fields["vendor"] = name
            if ident.component is None:
                target = asset.fields
                _touch(asset, ident.time, ident.time, ident.evidence)
            else:
                comp = asset.components.get(ident.component)
                if comp is None:
                    comp = asset.components[ident.component] = Component(
                        ident.component, first_seen=ident.time, last_seen=ident.time
                    )
                comp.first_seen = min(comp.first_seen, ident.time)
                comp.last_seen = max(comp.last_seen, ident.time)
                target = comp.fields
            for name, value in sorted(fields.items()):
                _record(target, name, value, ident.time, ident.evidence, ident.protocol)

    def _place_mac_vendors(self, inv: Inventory, routers: set[str]) -> None:
        for asset in inv.assets.values():
            for mac in sorted(asset.macs):
                vendor = mac_vendor(mac) if usable_mac(mac) else None
                if vendor:
                    ev = Evidence("oui", OUI_EVIDENCE_REF, None, f"OUI of {mac}")
                    _record(asset.fields, "mac_vendor", vendor, asset.first_seen, ev, "oui")

    def _place_anomalies(self, inv: Inventory) -> None:
        for a in self._anomalies:
            key = (a.protocol, a.kind, a.ip)
            known = inv.anomalies.get(key)
            if known is None:
                inv.anomalies[key] = AnomalyCount(
                    a.protocol,
                    a.kind,
                    a.count,
                    a.first_seen,
                    a.last_seen,
                    a.ip,
                    a.evidence,
                    a.detail,
                )
            else:
                known.count += a.count
                if a.first_seen < known.first_seen:
                    known.first_seen, known.evidence = a.first_seen, a.evidence
                known.last_seen = max(known.last_seen, a.last_seen)

    def _infer_roles(self, inv: Inventory, node_asset: dict[str, Asset], routers: set[str]) -> None:
        behaviours = {asset_id: Behaviour() for asset_id in inv.assets}
        for link in inv.links.values():
            client = _asset_of(node_asset, link.client)
            server = _asset_of(node_asset, link.server)
            if client is not None:
                b = behaviours[client.id]
                b.uses.add(link.protocol)
                b.servers_polled.add(server.id if server else link.server)
                for cat, n in link.categories.items():
                    b.asked[cat] = b.asked.get(cat, 0) + n
                # Control through a telecontrol protocol is operation, not engineering.
                kinds = (
                    PROGRAM_ONLY if link.protocol in TELECONTROL_PROTOCOLS else PROGRAM_CATEGORIES
                )
                b.program_ops |= {
                    name for name in link.operations if self._op_categories.get(name) in kinds
                }
            if server is not None and link.key not in self._unanswered:
                b = behaviours[server.id]
                b.serves.add(link.protocol)
                b.clients.add(client.id if client else link.client)
        router_ips: dict[str, int] = {}
        for mac, ip in self._pairs:
            if mac in routers and ip:
                router_ips[mac] = router_ips.get(mac, 0) + 1
        for asset in inv.assets.values():
            b = behaviours[asset.id]
            b.router_ips = sum(router_ips.get(m, 0) for m in asset.macs)
            b.profinet_roles = {
                r
                for v in asset.fields.get("profinet_device_role", [])
                for r in str(v.value).split(",")
            }
            b.capabilities = {
                cap for v in asset.fields.get("capabilities", []) for cap in str(v.value).split(",")
            }
            b.cip_device_type = _cip_device_type(asset)
            module = asset.value("order_number")
            b.s7_module = str(module) if module is not None else None
            role, reason = infer_role(b)
            asset.role, asset.role_reason = role, reason


def build_inventory(observations: Iterable[Observation]) -> Inventory:
    """Convenience: the inventory implied by these observations."""
    return InventoryBuilder().apply_all(observations).build()


# -- helpers ---------------------------------------------------------------


def _link(inv: Inventory, client: str, server: str, obs: Communication | Operation) -> Link:
    """The link an observation lands on, created on first sight."""
    key = (client, server, obs.protocol, obs.transport.value, obs.port)
    link = inv.links.get(key)
    if link is None:
        link = inv.links[key] = Link(
            client,
            server,
            obs.protocol,
            obs.transport.value,
            obs.port,
            first_seen=obs.first_seen,
            last_seen=obs.last_seen,
            evidence=obs.evidence,
        )
    return link


def _cip_device_type(asset: Asset) -> int | None:
    types: list[int] = []
    for values in [asset.fields.get("device_type")] + [
        c.fields.get("device_type") for c in asset.components.values()
    ]:
        for v in values or ():
            if isinstance(v.value, int) and v.protocol in ("enip", "cip"):
                types.append(v.value)
    if 0x0E in types:
        return 0x0E
    return types[0] if types else None


def _record(
    target: dict[str, list[FieldValue]],
    name: str,
    value: str | int,
    t: float,
    ev: Evidence,
    protocol: str,
) -> None:
    if value == "" or value is None:
        return
    values = target.setdefault(name, [])
    # One entry per value and kind of source: a firmware both seen on the wire
    # and read from the device keeps both evidences side by side.
    for known in values:
        if known.value == value and known.evidence.source == ev.source:
            if t < known.first_seen:
                known.first_seen, known.evidence = t, ev
            known.last_seen = max(known.last_seen, t)
            return
    values.append(FieldValue(value, ev, t, t, protocol))


def _touch(asset: Asset, first: float, last: float, ev: Evidence) -> None:
    if asset.evidence is None or first < asset.first_seen:
        asset.first_seen = first
        asset.evidence = ev
    asset.last_seen = max(asset.last_seen, last)


def _asset_of(node_asset: dict[str, Asset], address: str | None) -> Asset | None:
    if not address:
        return None
    if _MAC.fullmatch(address):
        return node_asset.get("mac:" + address) or node_asset.get("ip:" + address)
    return node_asset.get("ip:" + address)


def _ip_order(ip: str) -> tuple[int, int]:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return (9, 0)
    return (addr.version, int(addr))


def _pair_order(pair: tuple[str | None, str | None]) -> tuple[str, str]:
    return (pair[0] or "", pair[1] or "")


__all__ = ["InventoryBuilder", "Role", "build_inventory"]
