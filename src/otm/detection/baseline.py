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

Two more things are learnt from ``Operation`` s:

- ``polling``: per link (client, server, protocol) and operation how often
  the client polls, as the range of the mean interval between its reads.  An
  operation is a count of requests between ``first_seen`` and
  ``last_seen`` (per checkpoint, per operation name and unit), so a run of
  them has a mean interval of ``(last - first) / (count - 1)``.  Polls are
  reads (``is_poll``), but not the reports a server sends unasked.  A
  ``PollSampler`` joins the read operations of one (link, name, detail)
  across checkpoints (a live sensor hands over every 5 s, a capture
  analysed in one piece once) until they hold at least
  ``POLL_MIN_REQUESTS`` requests spread over at least ``POLL_MIN_SPAN``
  seconds: that is a *sample*, whatever the checkpoints were, and the
  link keeps the shortest and the longest sample interval and how many
  samples it had.  The detection engine samples the same way, so what it
  compares was measured alike.  Per operation, because a poller reads coils
  every 2 s and registers every 0.3 s; the units of an operation are one
  range (a gateway's units are polled alike).  The range also says whether
  the reads are a poll at all: a poller repeats its period (the shared
  captures' pollers: samples within 10 % of each other, checkpoints every
  5 s), an HMI reading what the operator opens does not (the WinCC HMI of
  ``wincc_s400_production.pcapng``: samples 2.5 to 24 s apart); see
  ``Polling.spread``.  Fewer or closer requests say nothing about a
  period: an engineering tool's burst of 50 reads in 0.2 s is no poll (the
  shared ``specialCIP.pcap`` and ``bacnet_example.pcap`` start so).  A
  poller that reads a burst every cycle (five properties every 20 s) has a
  mean interval well under its cycle: the silence rule's ``min_silence``
  is there for it.
- ``units``: per (server, protocol) the units asked for and by whom: the
  Modbus unit id, the DNP3 outstation address, the IEC 104 common address
  (``UNIT_FIELDS`` of ``Operation.detail``): a gateway's units.

Learning only adds; ``frozen`` says the learning phase is over (the
detectors then compare against it).  Accepting an alert folds the
observations behind it into the baseline (``learn``), so the same thing is
normal from then on.  ``to_dict``/``from_dict`` carry it to the store,
with the reads not yet a polling sample (``polling_open``), so that learning
goes on across a live sensor's checkpoints, each of which stores the
baseline and reads it back; a dict written before ``values``, ``polling`` or
``units`` existed reads with none of them learnt.
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
    ParseAnomaly,
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

PollKey = tuple[str, str, str, str]
"""(client, server, protocol, operation name): one poll of a link (any port)."""

POLL_CATEGORIES = frozenset({"read"})
"""Operation categories that are polling."""

NOT_POLLS = frozenset({"unsolicited_response", "information_report"})
"""Read operations a server sends unasked, when something changed (a DNP3
unsolicited response, an MMS information report): events, not polls."""

POLL_MIN_REQUESTS = 10
"""Requests an operation needs to be a polling sample: nine intervals average
out the jitter of one late answer."""

POLL_MIN_SPAN = 10.0
"""Seconds those requests must spread over: a burst shorter than that has no
period (a tool reading a block list; the MMS client of the shared
``mmsy.pcap`` reads 20 times a second for its first 10 s, then once a
second).  A poller at 1 s fills it with ten."""

POLL_MAX_GAP = 300.0
"""Seconds between two pieces of one sample at most; a longer pause starts a new
one (a poller that stopped for the night has no period across it).  A poller
slower than that is not one for ``polling``."""

MAX_OPEN_SAMPLES = 100_000
"""Samples a ``PollSampler`` keeps open (links x operation names x units of a
plant, with room); past it they start over."""

SampleKey = tuple[str, str, str, str, tuple[tuple[str, str | int], ...]]
"""(client, server, protocol, operation name, detail): the reads one run joins."""

UNIT_FIELDS = ("unit_id", "outstation_address", "common_address")
"""``Operation.detail`` keys naming the unit behind a server: Modbus unit id,
DNP3 outstation address, IEC 104 common address (an operation has one)."""


@dataclass
class WrittenRange:
    """The values written to one address while learning: their range and writers."""

    minimum: int | float
    maximum: int | float
    writers: set[str] = field(default_factory=set)


@dataclass
class Polling:
    """How often one client polled one operation of one server over one protocol
    while learning: the shortest and the longest mean interval (seconds) of its
    samples."""

    shortest: float
    longest: float
    samples: int = 1

    @property
    def spread(self) -> float:
        """Longest over shortest: 1 for a poll as steady as a clock."""
        return self.longest / self.shortest if self.shortest > 0 else float("inf")


def is_poll(obs: Operation) -> bool:
    """Whether an operation is a client's poll (a read it asked for)."""
    return obs.category in POLL_CATEGORIES and obs.name not in NOT_POLLS


@dataclass(frozen=True)
class PollSample:
    """Requests of one (link, operation, detail): how many, the first and the last."""

    count: int
    first: float
    last: float

    @property
    def span(self) -> float:
        return self.last - self.first

    @property
    def interval(self) -> float:
        """Seconds between two requests on average."""
        return self.span / (self.count - 1) if self.count > 1 else 0.0


class PollSampler:
    """Joins read operations into polling samples across checkpoints (see the module
    docstring): ``add`` returns a sample when an operation completes one."""

    def __init__(
        self, min_requests: int = POLL_MIN_REQUESTS, min_span: float = POLL_MIN_SPAN
    ) -> None:
        self.min_requests = min_requests
        self.min_span = min_span
        self._open: dict[SampleKey, list[float]] = {}

    def add(self, client: str, server: str, obs: Operation) -> PollSample | None:
        """Count a read operation in; the sample it completes, or None."""
        key = (client, server, obs.protocol, obs.name, tuple(obs.detail.items()))
        piece = [float(obs.count), obs.first_seen, obs.last_seen]
        run = self._open.get(key)
        if run is not None and -POLL_MAX_GAP <= obs.first_seen - run[2] <= POLL_MAX_GAP:
            run[0] += piece[0]
            run[1] = min(run[1], piece[1])
            run[2] = max(run[2], piece[2])
        else:
            if len(self._open) >= MAX_OPEN_SAMPLES:
                self._open.clear()
            run = self._open[key] = piece
        if run[0] < self.min_requests or run[2] - run[1] < self.min_span:
            return None
        del self._open[key]
        return PollSample(int(run[0]), run[1], run[2])

    def to_rows(self) -> list[list[Any]]:
        """The open runs as JSON-ready rows: client, server, protocol, name, detail
        pairs, count, first, last."""
        rows = [
            [c, s, p, n, [list(pair) for pair in detail], int(run[0]), run[1], run[2]]
            for (c, s, p, n, detail), run in self._open.items()
        ]
        return sorted(rows, key=repr)

    def load_rows(self, rows: Iterable[list[Any]]) -> None:
        """Open the runs ``to_rows`` wrote."""
        for client, server, protocol, name, detail, count, first, last in rows:
            pairs = tuple((str(k), v) for k, v in detail)
            self._open[(client, server, protocol, name, pairs)] = [
                float(count),
                float(first),
                float(last),
            ]


def unit_of(obs: Operation) -> str | None:
    """The unit an operation addresses behind its server (``UNIT_FIELDS``), as text."""
    detail = obs.detail
    if not detail:
        return None
    for name in UNIT_FIELDS:
        value = detail.get(name)
        if value is not None:
            return str(value)
    return None


def endpoint(ip: str | None, mac: str | None) -> str | None:
    """How links and the baseline name a host: its IP, else its MAC."""
    return ip or mac


def observation_time(obs: Observation) -> float:
    """When an observation happened (its first time for spans)."""
    if isinstance(obs, AssetSeen | Identity):
        return obs.time
    return float(getattr(obs, "first_seen", 0.0))


def observation_ends(obs: Observation) -> tuple[str, ...]:
    """The hosts an observation is about, as the baseline names them (``endpoint``)."""
    if isinstance(obs, AssetSeen | Identity):
        one = endpoint(obs.ip, obs.mac)
        return (one,) if one else ()
    if isinstance(obs, Communication | Operation):
        ends = (endpoint(obs.client_ip, obs.client_mac), endpoint(obs.server_ip, obs.server_mac))
        return tuple(e for e in ends if e)
    if isinstance(obs, ValueWritten):
        return tuple(e for e in (obs.client_ip, obs.server_ip) if e)
    if isinstance(obs, ParseAnomaly):
        return (obs.ip,) if obs.ip else ()
    return ()


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
    polling: dict[PollKey, Polling] = field(default_factory=dict)
    units: dict[tuple[str, str], dict[str, set[str]]] = field(default_factory=dict)
    first: float | None = None
    last: float | None = None
    observations: int = 0
    frozen: bool = False
    _pairs: tuple[int, set[tuple[str, str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _ip_macs: tuple[tuple[int, int], set[str]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    # Reads not yet a polling sample (learning's working state, not learnt data).
    _sampler: PollSampler = field(
        default_factory=PollSampler, init=False, repr=False, compare=False
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
        elif is_poll(obs):
            sample = self._sampler.add(client, server, obs)
            if sample is not None:
                self._poll((client, server, obs.protocol, obs.name), sample.interval)
        unit = unit_of(obs)
        if unit is not None:
            by_unit = self.units.setdefault((server, obs.protocol), {})
            by_unit.setdefault(unit, set()).add(client)

    def _poll(self, key: PollKey, interval: float) -> None:
        known = self.polling.get(key)
        if known is None:
            self.polling[key] = Polling(interval, interval)
            return
        known.shortest = min(known.shortest, interval)
        known.longest = max(known.longest, interval)
        known.samples += 1

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

    def unit_known(self, client: str, server: str, protocol: str, unit: str, by_any: bool) -> bool:
        """Whether ``unit`` of ``server`` was asked for while learning: by anyone
        (``by_any``), or by ``client``."""
        clients = self.units.get((server, protocol), {}).get(unit)
        return clients is not None and (by_any or client in clients)

    def known_host(self, ip: str | None, mac: str | None) -> bool:
        """Whether this host was seen while learning."""
        if ip is not None:
            return ip in self.hosts
        if mac is None:
            return False
        if mac in self.macs:
            return True
        # The MACs behind the IPs, as one set: the walker reports every MAC-only host
        # (LLDP, DCP, a DHCP client), and a scan of every host's MACs for each was
        # the largest cost of detection on the passive benchmark's capture.
        stamp = (self.observations, len(self.hosts))
        if self._ip_macs is None or self._ip_macs[0] != stamp:
            self._ip_macs = (stamp, {m for macs in self.hosts.values() for m in macs})
        return mac in self._ip_macs[1]

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
            "polling": [
                [*k, p.shortest, p.longest, p.samples] for k, p in sorted(self.polling.items())
            ],
            "units": [
                [server, protocol, unit, sorted(clients)]
                for (server, protocol), by_unit in sorted(self.units.items())
                for unit, clients in sorted(by_unit.items())
            ],
            # Reads not yet a sample: a live sensor's learning goes on across the
            # checkpoints that store and reload the baseline.
            "polling_open": self._sampler.to_rows(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        """The baseline ``to_dict`` wrote; ``ValueError`` for another schema."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a baseline of {SCHEMA}: {data.get('schema')!r}")
        base = cls(
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
            polling={
                (c, s, p, n): Polling(float(low), float(high), int(samples))
                for c, s, p, n, low, high, samples in data.get("polling", [])
            },
            units=_units(data.get("units", [])),
            first=data["first"],
            last=data["last"],
            observations=int(data["observations"]),
            frozen=bool(data["frozen"]),
        )
        base._sampler.load_rows(data.get("polling_open", []))
        return base


def _units(rows: list[list[Any]]) -> dict[tuple[str, str], dict[str, set[str]]]:
    units: dict[tuple[str, str], dict[str, set[str]]] = {}
    for server, protocol, unit, clients in rows:
        units.setdefault((server, protocol), {})[str(unit)] = set(clients)
    return units
