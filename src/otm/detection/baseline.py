"""The baseline: what normal looked like while otm was learning, as plain data.

Learnt from the same observations the inventory is built from, so a
capture of normal operation (or a week of live traffic) becomes: the hosts
and their MACs, the links (client, server, protocol, port), the operations
each link carried, who wrote to or commanded each server over each
protocol, the protocols each host speaks, the identity each device gave
(firmware, model, serial ...), and the range of the values written to each
address of each server (``values``: per (server, protocol, address) the
smallest and largest value written and who wrote them, from
``ValueWritten``).  Endpoints are named as links name them: the
IP address, or the MAC for traffic without one.

Learning only adds; ``frozen`` says the learning phase is over (the
detectors then compare against it).  Accepting an alert folds the
observations behind it into the baseline (``learn``), so the same thing is
normal from then on.  ``to_dict``/``from_dict`` carry it to the store; a
dict written before ``values`` existed reads with none learnt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from otm.observations.records import (
    AssetSeen,
    Communication,
    Identity,
    Observation,
    Operation,
    ValueWritten,
)

SCHEMA = "otm.baseline/1"

CHANGE_CATEGORIES = frozenset({"write", "control", "program"})
"""Operation categories that change something in a device or its process."""

IDENTITY_FIELDS = frozenset(
    {"firmware", "model", "serial", "hardware", "product_code", "order_number", "vendor"}
)
"""Identity fields the baseline remembers (the ones whose change means something)."""

LinkKey = tuple[str, str, str, int]
"""(client, server, protocol, port)."""

ValueKey = tuple[str, str, str]
"""(server, protocol, address) of values written."""


@dataclass
class WrittenRange:
    """The values written to one address while learning: their range and writers."""

    minimum: int | float
    maximum: int | float
    writers: set[str] = field(default_factory=set)


def endpoint(ip: str | None, mac: str | None) -> str | None:
    """How links and the baseline name a host: its IP, else its MAC."""
    return ip or mac


@dataclass
class Baseline:
    """Normal, as learnt (see the module docstring)."""

    hosts: dict[str, set[str]] = field(default_factory=dict)
    macs: set[str] = field(default_factory=set)
    links: set[LinkKey] = field(default_factory=set)
    operations: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    writers: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    protocols: dict[str, set[str]] = field(default_factory=dict)
    identity: dict[tuple[str, str, str, str], str] = field(default_factory=dict)
    values: dict[ValueKey, WrittenRange] = field(default_factory=dict)
    first: float | None = None
    last: float | None = None
    observations: int = 0
    frozen: bool = False
    _pairs: tuple[int, set[tuple[str, str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    # -- learning -----------------------------------------------------------------

    def learn(self, observations: Iterable[Observation]) -> int:
        """Add what these observations show; returns how many were taken."""
        taken = 0
        for obs in observations:
            if isinstance(obs, AssetSeen):
                self._seen(obs)
            elif isinstance(obs, Communication):
                self._communication(obs)
            elif isinstance(obs, Operation):
                self._operation(obs)
            elif isinstance(obs, Identity):
                self._identity(obs)
            elif isinstance(obs, ValueWritten):
                self._written(obs)
            else:
                continue
            taken += 1
        self.observations += taken
        return taken

    def _span(self, first: float, last: float) -> None:
        self.first = first if self.first is None else min(self.first, first)
        self.last = last if self.last is None else max(self.last, last)

    def _seen(self, obs: AssetSeen) -> None:
        self._span(obs.time, obs.time)
        if obs.ip is not None:
            macs = self.hosts.setdefault(obs.ip, set())
            if obs.mac is not None:
                macs.add(obs.mac)
        elif obs.mac is not None:
            self.macs.add(obs.mac)

    def _communication(self, obs: Communication) -> None:
        self._span(obs.first_seen, obs.last_seen)
        client = endpoint(obs.client_ip, obs.client_mac)
        server = endpoint(obs.server_ip, obs.server_mac)
        if client is None or server is None:
            return
        self.links.add((client, server, obs.protocol, obs.port))
        self.protocols.setdefault(client, set()).add(obs.protocol)
        self.protocols.setdefault(server, set()).add(obs.protocol)

    def _operation(self, obs: Operation) -> None:
        self._span(obs.first_seen, obs.last_seen)
        client = endpoint(obs.client_ip, obs.client_mac)
        server = endpoint(obs.server_ip, obs.server_mac)
        if client is None or server is None:
            return
        self.operations.setdefault((client, server, obs.protocol), set()).add(obs.name)
        if obs.category in CHANGE_CATEGORIES:
            self.writers.setdefault((server, obs.protocol), set()).add(client)

    def _identity(self, obs: Identity) -> None:
        self._span(obs.time, obs.time)
        where = endpoint(obs.ip, obs.mac)
        if where is None:
            return
        for name, value in obs.fields.items():
            if name in IDENTITY_FIELDS:
                self.identity[(where, obs.protocol, obs.component or "", name)] = str(value)

    def _written(self, obs: ValueWritten) -> None:
        self._span(obs.first_seen, obs.last_seen)
        server = obs.server_ip
        if server is None:
            return
        key = (server, obs.protocol, obs.address)
        known = self.values.get(key)
        if known is None:
            known = self.values[key] = WrittenRange(obs.minimum, obs.maximum)
        else:
            known.minimum = min(known.minimum, obs.minimum)
            known.maximum = max(known.maximum, obs.maximum)
        if obs.client_ip is not None:
            known.writers.add(obs.client_ip)

    # -- questions --------------------------------------------------------------------

    def reached(self, client: str, server: str) -> bool:
        """Whether ``client`` talked to ``server`` (any protocol) while learning."""
        if self._pairs is None or self._pairs[0] != len(self.links):
            self._pairs = (len(self.links), {(c, s) for c, s, _p, _port in self.links})
        return (client, server) in self._pairs[1]

    def known_host(self, ip: str | None, mac: str | None) -> bool:
        """Whether this host was seen while learning."""
        if ip is not None:
            return ip in self.hosts
        return mac is not None and (mac in self.macs or any(mac in m for m in self.hosts.values()))

    # -- plain data -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, sorted so that equal baselines serialise equally."""
        return {
            "schema": SCHEMA,
            "frozen": self.frozen,
            "first": self.first,
            "last": self.last,
            "observations": self.observations,
            "hosts": {ip: sorted(m) for ip, m in sorted(self.hosts.items())},
            "macs": sorted(self.macs),
            "links": [list(k) for k in sorted(self.links)],
            "operations": [[*k, sorted(v)] for k, v in sorted(self.operations.items())],
            "writers": [[*k, sorted(v)] for k, v in sorted(self.writers.items())],
            "protocols": {h: sorted(p) for h, p in sorted(self.protocols.items())},
            "identity": [[*k, v] for k, v in sorted(self.identity.items())],
            "values": [
                [*k, r.minimum, r.maximum, sorted(r.writers)]
                for k, r in sorted(self.values.items())
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        """The baseline ``to_dict`` wrote; ``ValueError`` for another schema."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a baseline of {SCHEMA}: {data.get('schema')!r}")
        return cls(
            hosts={ip: set(m) for ip, m in data["hosts"].items()},
            macs=set(data["macs"]),
            links={(c, s, p, int(port)) for c, s, p, port in data["links"]},
            operations={(c, s, p): set(names) for c, s, p, names in data["operations"]},
            writers={(s, p): set(clients) for s, p, clients in data["writers"]},
            protocols={h: set(p) for h, p in data["protocols"].items()},
            identity={(w, p, c, f): v for w, p, c, f, v in data["identity"]},
            values={
                (s, p, a): WrittenRange(low, high, set(writers))
                for s, p, a, low, high, writers in data.get("values", [])
            },
            first=data["first"],
            last=data["last"],
            observations=int(data["observations"]),
            frozen=bool(data["frozen"]),
        )
