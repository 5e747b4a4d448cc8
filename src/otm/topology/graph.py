"""The communication graph: assets as nodes, observed links as directed edges.

Built from an inventory with networkx (a maintained graph library; the
analyses need shortest paths, reachability and layering, which it has).  A
node is an asset id; an edge ``client -> server`` (who initiates -> who
answers) aggregates every link between the two assets: protocols and ports,
operations by category, packets and bytes, first/last seen, and a
``weight``, the criticality of the dependency the edge carries: programming
and control count more than writes, writes more than reads.  Ends that are
no asset (a broadcast or multicast group, an address the inventory could
not resolve) are left out of the graph; their links stay in the inventory.

Node attributes: ``role``, ``name`` (display name), ``ips``, ``macs``,
``vlans``, and the layer-2 facts the asset announced (LLDP/CDP: system name,
port id, VLAN, chassis).  ``subnets`` groups assets by IPv4 /24 (or a
declared prefix length) with the gateways (routers) seen on each.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import networkx as nx

from otm.model.assets import Asset, Inventory, Link, Role

CATEGORY_WEIGHTS: dict[str, float] = {
    "program": 8.0,
    "control": 6.0,
    "write": 4.0,
    "session": 1.5,
    "diagnostic": 1.5,
    "read": 1.0,
    "identify": 0.5,
    "exception": 0.5,
    "other": 1.0,
}
"""How much an edge that carries an operation category matters."""

TRAFFIC_WEIGHT = 1.0
"""Weight of an edge that carries traffic but no named operation."""

L2_FIELDS = ("lldp_port_id", "lldp_port_description", "lldp_chassis_mac", "vlan_id",
             "capabilities", "management_ip")  # fmt: skip
"""Identity fields (from LLDP/CDP) that describe where an asset sits on layer 2."""


def display_name(asset: Asset) -> str:
    """The name a person would use: the device's own name, else a host name, else its IP."""
    for key in ("name", "hostname", "dns_name", "fqdn"):
        value = asset.value(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    if asset.ips:
        return sorted(asset.ips, key=_ip_sort)[0]
    return sorted(asset.macs)[0] if asset.macs else asset.id


def _ip_sort(ip: str) -> tuple[int, int]:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return (9, 0)
    return (addr.version, int(addr))


def edge_weight(categories: dict[str, int]) -> float:
    """The criticality of a dependency that carries these operation categories."""
    if not categories:
        return TRAFFIC_WEIGHT
    return max(CATEGORY_WEIGHTS.get(c, TRAFFIC_WEIGHT) for c, n in categories.items() if n)


@dataclass
class Subnet:
    """Assets sharing an IP prefix, and the routers seen in front of them."""

    prefix: str
    assets: set[str] = field(default_factory=set)
    gateways: set[str] = field(default_factory=set)


def address_index(inv: Inventory) -> dict[str, str]:
    """IP or MAC address -> asset id."""
    index: dict[str, str] = {}
    for asset in inv.assets.values():
        for address in asset.ips | asset.macs:
            index.setdefault(address, asset.id)
    return index


def build_graph(inv: Inventory, names: dict[str, str] | None = None) -> nx.DiGraph:
    """The communication graph of an inventory (see the module docstring)."""
    graph = nx.DiGraph()
    for asset in inv.assets.values():
        l2 = {k: asset.value(k) for k in L2_FIELDS if asset.value(k) is not None}
        graph.add_node(
            asset.id,
            role=asset.role.value,
            name=(names or {}).get(asset.id) or display_name(asset),
            ips=sorted(asset.ips, key=_ip_sort),
            macs=sorted(asset.macs),
            vlans=sorted(asset.vlans),
            l2=l2,
        )
    index = address_index(inv)
    for link in inv.links.values():
        client, server = index.get(link.client), index.get(link.server)
        if client is None or server is None or client == server:
            continue
        _add_link(graph, client, server, link)
    return graph


def _add_link(graph: nx.DiGraph, client: str, server: str, link: Link) -> None:
    if graph.has_edge(client, server):
        data = graph.edges[client, server]
    else:
        data = {
            "protocols": set(),
            "ports": set(),
            "operations": {},
            "categories": {},
            "packets": 0,
            "bytes": 0,
            "first_seen": link.first_seen,
            "last_seen": link.last_seen,
            "links": [],
        }
        graph.add_edge(client, server, **data)
        data = graph.edges[client, server]
    data["protocols"].add(link.protocol)
    data["ports"].add(f"{link.transport}/{link.port}")
    for name, count in link.operations.items():
        data["operations"][name] = data["operations"].get(name, 0) + count
    for cat, count in link.categories.items():
        data["categories"][cat] = data["categories"].get(cat, 0) + count
    data["packets"] += link.packets
    data["bytes"] += link.bytes
    data["first_seen"] = min(data["first_seen"], link.first_seen)
    data["last_seen"] = max(data["last_seen"], link.last_seen)
    data["links"].append(link.key)
    data["weight"] = edge_weight(data["categories"])


def subnets(inv: Inventory, prefix_v4: int = 24, prefix_v6: int = 64) -> dict[str, Subnet]:
    """Assets grouped by IP prefix, with the routers (network devices whose MAC
    fronts other hosts) that serve as their gateways."""
    out: dict[str, Subnet] = {}
    for asset in inv.assets.values():
        for ip in asset.ips:
            prefix = _prefix(ip, prefix_v4, prefix_v6)
            if prefix is None:
                continue
            net = out.setdefault(prefix, Subnet(prefix))
            net.assets.add(asset.id)
            if asset.role is Role.NETWORK_DEVICE:
                net.gateways.add(asset.id)
    return out


def _prefix(ip: str, v4: int, v6: int) -> str | None:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if addr.is_loopback or addr.is_link_local or addr.is_multicast:
        return None
    length = v4 if addr.version == 4 else v6
    return str(ipaddress.ip_network(f"{ip}/{length}", strict=False))
