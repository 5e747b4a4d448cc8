"""Safety by construction: where the scanner may send, and what it may send.

Two gates stand between a probe and the wire (DESIGN.md, "Do no harm"):

- **Scope.**  ``Scope.check(ip)`` accepts only addresses inside the networks
  the user named (``otm scan --allow 10.0.0.0/24``).  The network and
  broadcast addresses of an allowed network are refused unless the user also
  named that network as a broadcast domain (``--broadcast``) or named the
  address itself as a /32 (/31); multicast, the
  limited broadcast 255.255.255.255 and unspecified addresses are always
  refused.  Layer-2 discovery (PROFINET DCP) goes out only on interfaces the
  user named.
- **Catalog.**  Every request the scanner can emit is an entry
  ``(protocol, name, category)`` of ``READ_ONLY_BUILDERS``, added only by the
  ``read_only`` decorator, which refuses any category but read, identify,
  session and diagnostic.  ``build(protocol, name, **params)`` runs the
  entry's builder and then *decodes the bytes it built with otm's own codec*
  (the protocol's classifier, registered with ``classifier``) and refuses
  them unless the codec's category is a safe one too.  The transports check
  every payload again (``verify``) before a byte leaves, so a hand-made
  ``Request`` carrying a write cannot be sent either.

There is no builder for a write, a control (stop, restart) or a program
(download) request in the catalog, and no parameter of a builder can turn
one into such a request: ``tests/scanning/test_scan_safety.py`` enumerates
the catalog with generated parameters and proves it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from otm.protocols.common import DIAGNOSTIC, IDENTIFY, READ, SESSION

SAFE_CATEGORIES = frozenset({READ, IDENTIFY, SESSION, DIAGNOSTIC})
"""Operation categories the scanner may send; never write, control, program or other."""

MAX_HOSTS = 65536
"""Most hosts ``Scope.hosts`` enumerates when no target is named: a /16.  A
larger sweep is almost always a typo, and at the default 5 requests/s a /16
already takes hours; name targets or smaller networks instead."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


class OutOfScope(ValueError):  # noqa: N818 - the scope vocabulary of DESIGN.md and the brief
    """An address (or interface) the user did not allow the scanner to reach."""


class UnsafeRequest(ValueError):  # noqa: N818 - reads as the refusal it is
    """A request that is not a read-only catalog entry, or whose bytes are not."""


# -- scope ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """The networks (and broadcast domains, and layer-2 interfaces) a scan may reach.

    ``allow_broadcast`` networks must each be one of ``allow`` or inside one;
    only IPv4 has broadcast.  Build from text with ``Scope.parse``.
    """

    allow: tuple[Network, ...]
    allow_broadcast: tuple[Network, ...] = ()
    interfaces: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.allow:
            raise ValueError("a scope needs at least one allowed network")
        for net in self.allow_broadcast:
            if net.version != 4:
                raise ValueError(f"{net}: only IPv4 networks have a broadcast address")
            if not any(_inside(net, allowed) for allowed in self.allow):
                raise ValueError(f"broadcast domain {net} is not inside an allowed network")

    @classmethod
    def parse(
        cls,
        allow: Iterable[str],
        allow_broadcast: Iterable[str] = (),
        interfaces: Iterable[str] = (),
    ) -> Scope:
        """A scope from CIDR text (``10.0.0.0/24``, ``10.0.0.5``); host bits set are an error."""
        try:
            nets = tuple(ipaddress.ip_network(text.strip(), strict=True) for text in allow)
            bcast = tuple(
                ipaddress.ip_network(text.strip(), strict=True) for text in allow_broadcast
            )
        except ValueError as exc:
            raise ValueError(f"not a network: {exc}") from None
        return cls(nets, bcast, tuple(interfaces))

    def check(self, ip: str) -> Address:
        """The address if the scanner may send to it; raises ``OutOfScope`` otherwise."""
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise OutOfScope(f"{ip!r} is not an IP address") from None
        if addr.is_multicast or addr.is_unspecified or addr == _LIMITED_BROADCAST:
            raise OutOfScope(f"{addr} is a multicast, unspecified or limited broadcast address")
        containing = [net for net in self.allow if addr in net]
        if not containing:
            allowed = ", ".join(str(n) for n in self.allow)
            raise OutOfScope(f"{addr} is outside the allowed networks ({allowed})")
        if any(_single_host(net) for net in containing):
            return addr  # named as a host itself (/32, /31, /128): never a broadcast here
        for net in self._nets_with_edge(addr):
            if net not in self.allow_broadcast:
                raise OutOfScope(
                    f"{addr} is the network or broadcast address of {net}; "
                    "name that network as a broadcast domain to allow it"
                )
        return addr

    def contains(self, ip: str) -> bool:
        """True when ``check`` would accept ``ip``."""
        try:
            self.check(ip)
        except OutOfScope:
            return False
        return True

    def is_broadcast(self, ip: str) -> bool:
        """True when ``ip`` is the network or broadcast address of an allowed network."""
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return bool(self._nets_with_edge(addr))

    def broadcast_addresses(self) -> list[str]:
        """The directed broadcast address of each allowed broadcast domain."""
        return [str(net.broadcast_address) for net in self.allow_broadcast]

    def check_interface(self, interface: str) -> str:
        """The interface if layer-2 discovery may use it; raises ``OutOfScope`` otherwise."""
        if interface not in self.interfaces:
            raise OutOfScope(f"interface {interface!r} was not named for layer-2 discovery")
        return interface

    def hosts(self, limit: int = MAX_HOSTS) -> Iterator[str]:
        """Every host address of the allowed networks, in order, without repeats.

        Network and broadcast addresses are left out (unless an allowed /32 or
        /31 names them).  Raises ``OutOfScope``
        before yielding anything when there are more than ``limit``.
        """
        total = sum(max(net.num_addresses - 2, 1) for net in self.allow)
        if total > limit:
            raise OutOfScope(
                f"the allowed networks hold {total} addresses, more than {limit}: "
                "name targets or smaller networks"
            )
        seen: set[Address] = set()
        for net in self.allow:
            for addr in _host_addresses(net):
                if addr not in seen and self.contains(str(addr)):
                    seen.add(addr)
                    yield str(addr)

    def _nets_with_edge(self, addr: Address) -> list[Network]:
        """Allowed networks and broadcast domains whose network or broadcast address is ``addr``."""
        return [net for net in (*self.allow, *self.allow_broadcast) if _is_edge(addr, net)]


def _inside(net: Network, outer: Network) -> bool:
    return net.version == outer.version and net.subnet_of(outer)  # type: ignore[arg-type]


def _single_host(net: Network) -> bool:
    """A network the user wrote to name hosts, not a subnet: /31 and /32, /127 and /128."""
    return net.prefixlen >= net.max_prefixlen - 1


def _is_edge(addr: Address, net: Network) -> bool:
    """Network or broadcast address of ``net``; /31, /32 (RFC 3021) and IPv6 have none."""
    if net.version != 4 or net.prefixlen >= 31 or addr not in net:
        return False
    return addr in (net.network_address, net.broadcast_address)


def _host_addresses(net: Network) -> Iterator[Address]:
    if net.version == 4 and net.prefixlen >= 31:
        yield from net
    else:
        yield from net.hosts()


# -- requests and the catalog ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """A request ready to send: catalog entry name, its category and its bytes.

    Made by ``request()``; transports re-check the payload with ``verify``,
    so constructing one by hand gains nothing.
    """

    protocol: str
    name: str
    category: str
    payload: bytes


Builder = Callable[..., bytes]
"""A function of keyword parameters returning one request's bytes."""

Classifier = Callable[[bytes], "tuple[str, str] | None"]
"""Bytes of one request -> ``(operation name, category)`` as otm's codec reads
them, or None when the codec cannot decode them as one whole request."""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One request the scanner can emit.

    ``examples`` are parameter sets the safety test (and ``--dry-run``
    documentation) builds the request with; the test also generates others.
    """

    protocol: str
    name: str
    category: str
    builder: Builder
    examples: tuple[Mapping[str, Any], ...]


READ_ONLY_BUILDERS: dict[tuple[str, str], CatalogEntry] = {}
"""``(protocol, name)`` -> entry; filled only by ``read_only`` at import of the probes."""

CLASSIFIERS: dict[str, Classifier] = {}
"""Protocol -> the classifier that reads built bytes back with otm's codec."""

_B = TypeVar("_B", bound=Builder)
_C = TypeVar("_C", bound=Classifier)


def read_only(
    protocol: str, name: str, category: str, examples: Iterable[Mapping[str, Any]] = ({},)
) -> Callable[[_B], _B]:
    """Register a builder as catalog entry ``(protocol, name, category)``.

    Raises ``UnsafeRequest`` at import time for a category that is not safe,
    and ``ValueError`` when another builder already has the name.
    """
    if category not in SAFE_CATEGORIES:
        raise UnsafeRequest(f"{protocol} {name}: category {category!r} may not be scanned")

    def register(builder: _B) -> _B:
        key = (protocol, name)
        known = READ_ONLY_BUILDERS.get(key)
        if known is not None and known.builder is not builder:
            raise ValueError(f"{protocol} {name} is already in the catalog")
        READ_ONLY_BUILDERS[key] = CatalogEntry(protocol, name, category, builder, tuple(examples))
        return builder

    return register


def classifier(protocol: str) -> Callable[[_C], _C]:
    """Register the function that reads a protocol's built requests back (one per protocol)."""

    def register(fn: _C) -> _C:
        known = CLASSIFIERS.get(protocol)
        if known is not None and known is not fn:
            raise ValueError(f"{protocol} already has a classifier")
        CLASSIFIERS[protocol] = fn
        return fn

    return register


def verify(protocol: str, payload: bytes) -> tuple[str, str]:
    """``(name, category)`` of the bytes as otm's codec reads them, if safe to send.

    Raises ``UnsafeRequest`` when the protocol has no classifier, the codec
    cannot decode the bytes, or the category is not read/identify/session/
    diagnostic.
    """
    classify = CLASSIFIERS.get(protocol)
    if classify is None:
        raise UnsafeRequest(f"no classifier for {protocol}: its requests cannot be checked")
    try:
        found = classify(payload)
    except Exception as exc:  # a classifier bug must refuse, never let bytes through
        raise UnsafeRequest(f"{protocol}: classifying the request failed: {exc}") from exc
    if found is None:
        raise UnsafeRequest(f"{protocol}: otm's codec cannot decode the request {payload.hex()}")
    name, category = found
    if category not in SAFE_CATEGORIES:
        raise UnsafeRequest(f"{protocol} {name} is a {category} request: refused")
    return found


def entry(protocol: str, name: str) -> CatalogEntry:
    """The catalog entry, or ``UnsafeRequest`` when there is none."""
    found = READ_ONLY_BUILDERS.get((protocol, name))
    if found is None:
        raise UnsafeRequest(f"{protocol} {name} is not in the read-only catalog")
    if found.category not in SAFE_CATEGORIES:  # the dict is mutable; check again
        raise UnsafeRequest(f"{protocol} {name}: category {found.category!r} may not be scanned")
    return found


def build(protocol: str, name: str, **params: Any) -> bytes:
    """Bytes of catalog entry ``(protocol, name)`` built with ``params``, checked by the codec."""
    found = entry(protocol, name)
    payload = found.builder(**params)
    verify(protocol, payload)
    return payload


def request(protocol: str, name: str, **params: Any) -> Request:
    """``build`` wrapped as a ``Request`` for a transport."""
    found = entry(protocol, name)
    return Request(protocol, name, found.category, build(protocol, name, **params))


def catalog() -> list[CatalogEntry]:
    """Every entry, sorted by protocol and name."""
    return [READ_ONLY_BUILDERS[key] for key in sorted(READ_ONLY_BUILDERS)]
