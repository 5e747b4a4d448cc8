"""Which addresses belong to one device: identity resolution across IP and MAC.

A frame ties its source MAC to its source IP.  On the device's own segment
that pair is the device; behind a router it is the router's MAC in front of
somebody else's IP.  So a MAC ties IPs into one asset only when it does not
look like a router's:

- it fronts at most ``ROUTER_MIN_IPS - 1`` distinct IPv4 addresses (a device
  that changed its address, or has two, stays one asset), and
- those addresses share one /24 (a gateway forwarding two remote hosts from
  different subnets is a router, not a multi-homed device).

The all-zero MAC (loopback captures), broadcast and multicast MACs never tie
anything.  IPv6 addresses follow their MAC like IPv4 ones but do not count
towards the router test: one IPv6 interface normally has several addresses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

ROUTER_MIN_IPS = 3
"""A MAC seen as the source of this many distinct IPv4 addresses is a router's."""

NULL_MAC = "00:00:00:00:00:00"


def usable_mac(mac: str | None) -> bool:
    """True if the MAC can identify a single device (unicast, not all-zero)."""
    if not mac or mac == NULL_MAC:
        return False
    try:
        return not int(mac[:2], 16) & 0x01
    except ValueError:
        return False


@lru_cache(maxsize=1 << 16)
def host_ip(ip: str | None) -> bool:
    """True if the address can be a host's own (not multicast, broadcast, unspecified)."""
    if not ip:
        return False
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if addr.is_multicast or addr.is_unspecified:
        return False
    return not (isinstance(addr, ipaddress.IPv4Address) and ip.endswith(".255"))


def router_macs(pairs: Iterable[tuple[str, str]]) -> set[str]:
    """MACs that front several IPv4 hosts, from (mac, ip) source pairs."""
    by_mac: dict[str, set[str]] = {}
    for mac, ip in pairs:
        if ":" in ip:  # IPv6: several addresses per interface are normal
            continue
        by_mac.setdefault(mac, set()).add(ip)
    routers = set()
    for mac, ips in by_mac.items():
        subnets = {ip.rsplit(".", 1)[0] for ip in ips}
        if len(ips) >= ROUTER_MIN_IPS or len(subnets) > 1:
            routers.add(mac)
    return routers


class AddressGroups:
    """Union-find over address nodes (``ip:...`` and ``mac:...``)."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def add(self, node: str) -> None:
        """Make a node known, alone in its group if new."""
        self._parent.setdefault(node, node)

    def find(self, node: str) -> str:
        """The representative of the node's group (path-halving)."""
        parent = self._parent
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(self, a: str, b: str) -> None:
        """Put two nodes in one group; the smaller representative wins (deterministic)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if rb < ra:
            ra, rb = rb, ra
        self._parent[rb] = ra

    def groups(self) -> dict[str, list[str]]:
        """Representative -> sorted members."""
        out: dict[str, list[str]] = {}
        for node in self._parent:
            out.setdefault(self.find(node), []).append(node)
        for members in out.values():
            members.sort()
        return out
