"""``DetectionEngine``: observations in, findings out, against a baseline, by the rules in force.

Pure and deterministic: times come from the observations, so a capture
replayed gives the same findings.  ``detect`` evaluates every enabled rule
on every observation of a type its kind reads (each kind's detector,
``detectors.DETECTORS``; the types: ``detectors.ACCEPTS``) and then the
batch rules (``sweep``, ``flood``, ``timing``); a
``new_operation`` finding is dropped when a named ``operation`` rule saw
the same observation (the download alert says more than "new operation").

Batch rules keep state in the engine across batches (``detect`` calls),
so that what a live sensor sees over several checkpoints is one thing:

- ``sweep``: which new servers and ports each client reached, and which
  new units of each server, and when; forgotten after the rule's ``window``
  seconds of observation time.
- ``flood``: the matching operations of each link, client or server as
  pieces (count, first and last time: what an ``Operation`` says), within
  the rule's ``window`` before the group's latest time.  A piece spread
  over more than the window counts in proportion to its overlap with it
  (requests assumed evenly spread: an ``Operation`` tells no more), so a
  capture analysed in one piece, where a link's hour of exceptions is one
  observation, counts its rate, not its total.  The pieces of a batch are
  taken in time order, so the order of a batch does not matter.  A group
  reaching ``count`` starts a flood: one finding counting what is in the
  window, then one a batch counting what came since, while it lasts, all
  on the same alert (the key is the group's): one alert that grows.
- ``timing`` ``check: rate``: the reads of each (link, operation, detail)
  joined into polling samples across batches, as the baseline samples
  them (``PollSampler``), each compared with the range learnt.
- ``timing`` ``check: silence``: per *source* (``Evidence.ref``: a capture
  file, an interface), the time it was watched and the latest read of
  each link.  At the end of each batch a link with a learnt poll whose
  latest read is followed by ``periods`` times its longest learnt
  interval (and at least ``min_silence`` seconds) of watched time is
  silent: one finding, again after the reads came back and stopped anew.

Watched time is the union of the source's TCP and UDP flows (their
``Communication`` spans), joined across gaps shorter than ``SOURCE_GAP``:
time in which the sensor saw traffic, never the wall clock.  So a capture
ending is no silence (nothing comes after its last flow), nor is a
capture paused, two files joined into one, or a second file analysed in
the same run (another source, with its own time: a baseline learnt from
last year's capture would otherwise make every link look silent for a
year).  A silence already as long as its limit when judging started (the
first batch with the baseline frozen) was learnt, not reported: the
polls that ended while learning are part of normal.  What differs
between a live sensor and an offline replay is what a batch holds: a
sensor hands over each checkpoint's counts (every 5 s), so a link that
stops shows at the first checkpoint past its limit, even if its polls
come back later; a capture analysed in one piece is one batch, a link's
reads there are one operation (count, first, last), so only a silence
that lasts to the end of the capture shows, not a gap in the middle.  A
source's silences are judged only for links it carried reads of: a
sensor restarted judges a link once it has seen it poll again.

While the baseline is not frozen the engine is learning: ``detect`` still
reports the policy rules, and the caller folds the observations into the
baseline (``Baseline.learn``).
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from otm.detection.alerts import Finding
from otm.detection.baseline import (
    Baseline,
    PollSampler,
    endpoint,
    is_poll,
    unit_of,
)
from otm.detection.detectors import (
    ACCEPTS,
    DETECTORS,
    KINDS,
    Detector,
    PlantContext,
    name_matches,
)
from otm.detection.rules import Rule, RuleError, RuleSet, default_rules
from otm.observations.records import (
    Communication,
    Evidence,
    Observation,
    Operation,
    Transport,
)

LinkKey = tuple[str, str, str]
"""(client, server, protocol): a link as the silence rules watch it."""

MAX_SOURCES = 64
"""Sources whose clocks and latest reads the silence rules keep: a live sensor
has one, an analysis run one a capture; past it the oldest is forgotten."""

SOURCE_GAP = 300.0
"""Seconds without any flow in a source that are not watched time: a wire that
carries a polled link is never that quiet, so such a gap is a capture paused,
files joined (the shared ``dnp3.pcap`` and ``enip_cip_example.pcap`` join
traces years apart) or a sensor down, not a silence anyone saw.  Flows end
after the walker's idle timeouts (10 min TCP, 2 min UDP), so one flow never
bridges a longer gap; layer-2 traffic (LLDP, DCP: one record per pair of
MACs and batch, whatever the gaps) is not counted."""

MAX_SPANS = 1024
"""Watched spans a source keeps (one per stretch of traffic between gaps);
past it the oldest go, and a silence begun before them is not reported."""

MAX_SWEEP_PAIRS = 100_000
"""(client, server) pairs whose new units a unit sweep keeps; when full, those
quiet for a window go (all of them if none is: a flood of spoofed sources)."""

MAX_PIECES = 4096
"""Pieces (operations) a flood group keeps within its window: a checkpoint
every few seconds for a few minutes' window, times the operation names and
units of a link, with room; past it the oldest go (counted too low, never
too high)."""


@dataclass
class _Reach:
    """One client's new servers (and per server its new ports), with first times."""

    servers: dict[str, float] = field(default_factory=dict)
    ports: dict[str, dict[int, float]] = field(default_factory=dict)
    reported_servers: int = 0
    reported_ports: dict[str, int] = field(default_factory=dict)
    evidence: Evidence | None = None
    oldest: float = float("inf")
    """The earliest first time held: nothing to forget before it (``_forget`` walked
    every held server and port for each communication: a tenth of detection's time)."""


@dataclass
class _Units:
    """One client's new units of one server (``protocol unit`` -> first time)."""

    evidence: Evidence
    units: dict[str, float] = field(default_factory=dict)
    reported: int = 0
    latest: float = float("-inf")


@dataclass(frozen=True)
class _Flood:
    """A ``flood`` rule's parameters, read once."""

    rule: Rule
    names: tuple[str, ...]
    categories: frozenset[str] | None
    protocols: frozenset[str] | None
    group_only: bool
    unless_known: bool
    by: tuple[str, ...]
    count: int
    window: float
    peers: int
    what: str

    @classmethod
    def of(cls, rule: Rule) -> _Flood:
        categories = rule.param("categories", None)
        protocols = rule.param("protocols", None)
        by = tuple(rule.param("by", ("link",)))
        unknown = set(by) - {"link", "client", "server"}
        if unknown:
            raise RuleError(
                f"{rule.id}: by {sorted(unknown)}: a flood counts per link, client or server"
            )
        return cls(
            rule,
            tuple(rule.param("names", ())),
            None if categories is None else frozenset(categories),
            None if protocols is None else frozenset(protocols),
            bool(rule.param("group_only", False)),
            bool(rule.param("unless_known", False)),
            by,
            int(rule.param("count", 100)),
            float(rule.param("window", 60)),
            int(rule.param("peers", 1)),
            str(rule.param("what", "matching operations")),
        )

    def matches(self, obs: Operation, client: str, server: str, base: Baseline) -> bool:
        if self.protocols is not None and obs.protocol not in self.protocols:
            return False
        by_category = self.categories is not None and obs.category in self.categories
        if not by_category and not name_matches(self.names, obs.protocol, obs.name):
            return False
        if self.group_only and not is_group_address(server):
            return False
        if self.unless_known:
            if not base.frozen:
                return False
            if obs.name in base.operations.get((client, server, obs.protocol), ()):
                return False
        return True


@dataclass
class _Piece:
    first: float
    last: float
    count: int
    peer: str
    obs: Operation


@dataclass
class _Burst:
    """One flood group's pieces within the window, and whether it is flooding."""

    pieces: list[_Piece] = field(default_factory=list)
    now: float = float("-inf")
    flooding: bool = False


@dataclass
class _Polled:
    """A link's latest read in one source, and the silence rules that reported since."""

    last: float
    evidence: Evidence
    reported: set[str] = field(default_factory=set)


@dataclass
class _Source:
    """What the silence rules know of one source: when it carried traffic (``watch``),
    since when it is judged, and the latest read of each link it carried."""

    judged_from: float | None
    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    links: dict[LinkKey, _Polled] = field(default_factory=dict)

    @property
    def clock(self) -> float:
        return self.ends[-1] if self.ends else float("-inf")

    def watch(self, first: float, last: float) -> None:
        """Add a flow's span to the time watched: spans less than ``SOURCE_GAP``
        apart join (``starts``/``ends``: sorted, disjoint, at least that far apart)."""
        starts, ends = self.starts, self.ends
        if ends and ends[-1] + SOURCE_GAP >= first >= starts[-1]:
            ends[-1] = max(ends[-1], last)  # the usual case: the latest span goes on
            return
        i = bisect_left(ends, first - SOURCE_GAP)
        j = bisect_right(starts, last + SOURCE_GAP)
        if i < j:
            starts[i:j] = [min(first, starts[i])]
            ends[i:j] = [max(last, ends[j - 1])]
        else:
            starts.insert(i, first)
            ends.insert(i, last)
        if len(starts) > MAX_SPANS:
            del starts[0], ends[0]

    def watched(self, since: float, until: float) -> float:
        """Seconds of [since, until] within the watched spans."""
        total = 0.0
        starts, ends = self.starts, self.ends
        for k in range(bisect_right(ends, since), len(starts)):
            if starts[k] >= until:
                break
            total += min(ends[k], until) - max(starts[k], since)
        return total


class DetectionEngine:
    """The rules of a ``RuleSet`` against a ``Baseline`` (see the module docstring)."""

    def __init__(
        self,
        baseline: Baseline,
        rules: RuleSet | None = None,
        context: PlantContext | None = None,
    ) -> None:
        self.baseline = baseline
        self.rules = rules if rules is not None else default_rules(KINDS)
        self.context = context or PlantContext()
        enabled = self.rules.enabled()
        timings = [r for r in enabled if r.kind == "timing"]
        self._silences = [r for r in timings if r.param("check", "rate") == "silence"]
        self._rates = [
            (r, PollSampler(int(r.param("min_requests", 10)), float(r.param("min_span", 10))))
            for r in timings
            if r.param("check", "rate") == "rate"
        ]
        self._per_obs = [(r, DETECTORS[r.kind]) for r in enabled if r.kind in DETECTORS]
        # The rules that read each observation type, built on first sight of the
        # type (a handful of types: bounded).
        self._per_type: dict[type, list[tuple[Rule, Detector]]] = {}
        self._sweeps = [r for r in enabled if r.kind == "sweep"]
        self._host_sweeps = [
            r
            for r in self._sweeps
            if r.param("hosts", 10) is not None or r.param("ports", 10) is not None
        ]
        self._unit_sweeps = [r for r in self._sweeps if r.param("units", None) is not None]
        self._reach: dict[str, dict[str, _Reach]] = {r.id: {} for r in self._sweeps}
        self._units: dict[str, dict[tuple[str, str], _Units]] = {
            r.id: {} for r in self._unit_sweeps
        }
        self._floods = [_Flood.of(r) for r in enabled if r.kind == "flood"]
        # An operation whose category no flood counts skips them (unless one names
        # operations): the usual read or write costs one set look-up.
        self._flood_any = any(f.names for f in self._floods)
        self._flood_categories = frozenset(c for f in self._floods for c in f.categories or ())
        self._periodic: dict[str, tuple[tuple[int, int], dict[LinkKey, float]]] = {}
        self._bursts: dict[str, dict[str, _Burst]] = {f.rule.id: {} for f in self._floods}
        self._now = float("-inf")  # the latest flood piece: bursts older by a window go
        self._sources: dict[str, _Source] = {}
        self._by_operation = bool(
            self._unit_sweeps or self._floods or self._silences or self._rates
        )

    def detect(self, observations: Iterable[Observation]) -> list[Finding]:
        """Every finding of the enabled rules on these observations, in input order
        (the batch rules' findings after them)."""
        out: list[Finding] = []
        base, ctx = self.baseline, self.context
        pending: dict[tuple[int, str], list[_Piece]] = {}
        sources: set[str] = set()
        if self._silences and base.frozen:
            for source in self._sources.values():
                if source.judged_from is None:
                    # Judging starts now: a silence begun while learning was learnt.
                    source.judged_from = source.clock
        for obs in observations:
            found: list[Finding] = []
            pairs = self._per_type.get(type(obs))
            if pairs is None:
                pairs = self._rules_for(obs)
            for rule, detector in pairs:
                found.extend(detector(rule, obs, base, ctx))
            if any(f.rule.kind == "operation" for f in found):
                # A named operation rule says more than "new operation" about the same act.
                found = [f for f in found if f.rule.kind != "new_operation"]
            out.extend(found)
            if isinstance(obs, Communication):
                if self._host_sweeps and base.frozen:
                    for rule in self._host_sweeps:
                        out.extend(self._sweep(rule, obs))
                if self._silences and obs.transport is not Transport.ETHERNET:
                    ref = obs.evidence.ref
                    self._source(ref).watch(obs.first_seen, obs.last_seen)
                    sources.add(ref)
            elif self._by_operation and isinstance(obs, Operation):
                out.extend(self._operation(obs, pending, sources))
        if pending:
            out.extend(self._flood_findings(pending))
        if self._silences and base.frozen:
            out.extend(self._silence_findings(sources))
        return out

    def _rules_for(self, obs: Observation) -> list[tuple[Rule, Detector]]:
        pairs = [
            (rule, detector)
            for rule, detector in self._per_obs
            if (types := ACCEPTS.get(rule.kind)) is None or isinstance(obs, types)
        ]
        self._per_type[type(obs)] = pairs
        return pairs

    def _operation(
        self, obs: Operation, pending: dict[tuple[int, str], list[_Piece]], sources: set[str]
    ) -> list[Finding]:
        """The batch rules' share of an operation: units swept, flood pieces, latest reads."""
        sweep = bool(self._unit_sweeps and obs.detail and self.baseline.frozen)
        flood = self._flood_any or obs.category in self._flood_categories
        poll = bool(self._rates or self._silences) and is_poll(obs)
        if not (sweep or flood or poll):
            return []
        client = endpoint(obs.client_ip, obs.client_mac)
        server = endpoint(obs.server_ip, obs.server_mac)
        if client is None or server is None:
            return []
        out: list[Finding] = []
        if sweep:
            for rule in self._unit_sweeps:
                out.extend(self._unit_sweep(rule, obs, client, server))
        if flood:
            for i, spec in enumerate(self._floods):
                if spec.matches(obs, client, server, self.baseline):
                    for by in spec.by:
                        group, peer = _group(by, client, server)
                        piece = _Piece(obs.first_seen, obs.last_seen, obs.count, peer, obs)
                        pending.setdefault((i, group), []).append(piece)
        if not poll:
            return out
        if self._rates and self.baseline.frozen:
            for rule, sampler in self._rates:
                out.extend(self._rate(rule, sampler, obs, client, server))
        if self._silences:
            ref = obs.evidence.ref
            links = self._source(ref).links
            sources.add(ref)
            key = (client, server, obs.protocol)
            polled = links.get(key)
            if polled is None:
                links[key] = _Polled(obs.last_seen, obs.evidence)
            elif obs.last_seen > polled.last:
                polled.last, polled.evidence = obs.last_seen, obs.evidence
                polled.reported.clear()
        return out

    # -- sweep ------------------------------------------------------------------------

    def _sweep(self, rule: Rule, obs: Communication) -> list[Finding]:
        client = endpoint(obs.client_ip, obs.client_mac)
        server = endpoint(obs.server_ip, obs.server_mac)
        if client is None or server is None:
            return []
        window = float(rule.param("window", 300))
        reach = self._reach[rule.id].setdefault(client, _Reach())
        now = obs.first_seen
        _forget(reach, now - window)
        base = self.baseline
        out: list[Finding] = []
        if not base.reached(client, server) and server not in reach.servers:
            reach.servers[server] = now
            reach.oldest = min(reach.oldest, now)
            reach.evidence = reach.evidence or obs.evidence
        if (client, server, obs.protocol, obs.port) not in base.links:
            reach.ports.setdefault(server, {}).setdefault(obs.port, now)
            reach.oldest = min(reach.oldest, now)
        hosts = rule.param("hosts", 10)
        if (
            hosts is not None
            and len(reach.servers) >= int(hosts)
            and len(reach.servers) > reach.reported_servers
        ):
            grown = len(reach.servers) - max(reach.reported_servers, 0)
            count = grown if reach.reported_servers else len(reach.servers)
            reach.reported_servers = len(reach.servers)
            out.append(
                Finding(
                    rule,
                    f"{client}|hosts",
                    min(reach.servers.values()),
                    obs.last_seen,
                    (client,),
                    f"{client} reached {len(reach.servers)} hosts it never talked to "
                    f"within {window:g} s (a sweep)",
                    reach.evidence or obs.evidence,
                    count,
                    {"hosts": sorted(reach.servers)[:50]},
                    obs,
                )
            )
        limit = rule.param("ports", 10)
        if limit is None:
            return out
        ports = reach.ports.get(server, {})
        done = reach.reported_ports.get(server, 0)
        if len(ports) >= int(limit) and len(ports) > done:
            count = len(ports) - done if done else len(ports)
            reach.reported_ports[server] = len(ports)
            out.append(
                Finding(
                    rule,
                    f"{client}>{server}|ports",
                    min(ports.values()),
                    obs.last_seen,
                    (client, server),
                    f"{client} reached {len(ports)} new ports of {server} within {window:g} s "
                    "(a port scan)",
                    obs.evidence,
                    count,
                    {"ports": sorted(ports)[:100]},
                    obs,
                )
            )
        return out

    def _unit_sweep(self, rule: Rule, obs: Operation, client: str, server: str) -> list[Finding]:
        """Units of ``server`` the baseline never saw asked for, reached by ``client``."""
        unit = unit_of(obs)
        if unit is None:
            return []
        protocols = rule.param("protocols", None)
        if protocols is not None and obs.protocol not in protocols:
            return []
        by_any = rule.param("units_by", "anyone") != "client"
        if self.baseline.unit_known(client, server, obs.protocol, unit, by_any):
            return []
        window = float(rule.param("window", 300))
        now = obs.first_seen
        pairs = self._units[rule.id]
        reach = pairs.get((client, server))
        if reach is None or reach.latest < now - window:
            if len(pairs) >= MAX_SWEEP_PAIRS:
                _forget_units(pairs, now - window)
            reach = pairs[(client, server)] = _Units(obs.evidence)
        else:
            old = [u for u, t in reach.units.items() if t < now - window]
            for named in old:
                del reach.units[named]
            reach.reported = min(reach.reported, len(reach.units))
        named = f"{obs.protocol} {unit}"
        if named in reach.units:
            return []
        units = reach.units
        units[named] = now
        reach.latest = max(reach.latest, now)
        done = reach.reported
        if len(units) < int(rule.param("units", 8)) or len(units) <= done:
            return []
        reach.reported = len(units)
        shown = sorted(units, key=_unit_order)
        return [
            Finding(
                rule,
                f"{client}>{server}|units",
                min(units.values()),
                obs.last_seen,
                (client, server),
                f"{client} asked {server} for {len(units)} units nobody asked for while "
                f"learning within {window:g} s (a unit sweep through a gateway): "
                f"{', '.join(shown[:12])}{' ...' if len(shown) > 12 else ''}",
                reach.evidence,
                len(units) - done if done else len(units),
                {"units": shown[:256]},
                obs,
            )
        ]

    # -- flood --------------------------------------------------------------------------

    def _flood_findings(self, pending: dict[tuple[int, str], list[_Piece]]) -> list[Finding]:
        out: list[Finding] = []
        for (i, group), pieces in sorted(pending.items(), key=lambda item: item[0]):
            flood = self._floods[i]
            bursts = self._bursts[flood.rule.id]
            burst = bursts.setdefault(group, _Burst())
            finding = _flood(flood, group, burst, sorted(pieces, key=lambda p: (p.last, p.first)))
            if finding is not None:
                out.append(finding)
            self._now = max(self._now, burst.now)
        for flood in self._floods:
            # Groups quiet for a window are forgotten (the memory of a long run).
            bursts = self._bursts[flood.rule.id]
            stale = [g for g, b in bursts.items() if b.now < self._now - flood.window]
            for group in stale:
                del bursts[group]
        return out

    # -- timing -------------------------------------------------------------------------

    def _rate(
        self, rule: Rule, sampler: PollSampler, obs: Operation, client: str, server: str
    ) -> list[Finding]:
        """A polling sample of a learnt link far faster or slower than learnt."""
        learnt = self.baseline.polling.get((client, server, obs.protocol, obs.name))
        if learnt is None or learnt.samples < rule.param("min_samples", 1):
            return []
        if learnt.spread > rule.param("max_spread", 2):
            return []  # not a poll: reads that come when someone asks
        sample = sampler.add(client, server, obs)
        if sample is None:
            return []
        interval = sample.interval
        faster, slower = rule.param("faster", 4), rule.param("slower", 4)
        if faster is not None and interval * float(faster) < learnt.shortest:
            way = "faster"
        elif slower is not None and interval > learnt.longest * float(slower):
            way = "slower"
        else:
            return []
        return [
            Finding(
                rule,
                f"{client}>{server}|{obs.protocol}|{way}",
                sample.first,
                sample.last,
                (client, server),
                f"{client} polls {server} over {obs.protocol} {way} than learnt: {obs.name} "
                f"every {interval:.3g} s ({sample.count} requests in {sample.span:.3g} s); "
                f"learnt every {learnt.shortest:.3g} to {learnt.longest:.3g} s",
                obs.evidence,
                sample.count,
                {
                    "protocol": obs.protocol,
                    "operation": obs.name,
                    "direction": way,
                    "interval": round(interval, 6),
                    "baseline_shortest": learnt.shortest,
                    "baseline_longest": learnt.longest,
                },
                obs,
            )
        ]

    def _source(self, ref: str) -> _Source:
        source = self._sources.get(ref)
        if source is None:
            if len(self._sources) >= MAX_SOURCES:
                del self._sources[next(iter(self._sources))]
            # A source first seen while judging is judged from its start.
            start = float("-inf") if self.baseline.frozen else None
            source = self._sources[ref] = _Source(start)
        return source

    def _periodic_links(self, rule: Rule) -> dict[LinkKey, float]:
        """``_periodic`` of the baseline, cached until it learns again."""
        base = self.baseline
        stamp = (base.observations, len(base.polling))
        cached = self._periodic.get(rule.id)
        if cached is None or cached[0] != stamp:
            cached = self._periodic[rule.id] = (stamp, _periodic(base, rule))
        return cached[1]

    def _silence_findings(self, sources: set[str]) -> list[Finding]:
        out: list[Finding] = []
        periodic: dict[str, dict[LinkKey, float]] = {}
        for ref in sorted(sources):
            source = self._sources.get(ref)
            if source is None or not source.links or not source.ends:
                continue
            clock, since = source.clock, source.judged_from
            for rule in self._silences:
                longest = periodic.get(rule.id)
                if longest is None:
                    longest = periodic[rule.id] = self._periodic_links(rule)
                periods = float(rule.param("periods", 10))
                at_least = float(rule.param("min_silence", 120))
                for key, polled in source.links.items():
                    period = longest.get(key)
                    if period is None or rule.id in polled.reported:
                        continue
                    limit = max(periods * period, at_least)
                    silent = source.watched(polled.last, clock)
                    if silent < limit:
                        continue
                    polled.reported.add(rule.id)
                    if since is not None and source.watched(polled.last, since) >= limit:
                        continue  # silent already while learning: that is what was learnt
                    out.append(_silence(rule, key, polled, period, silent, clock, ref))
        return out


def _periodic(base: Baseline, rule: Rule) -> dict[LinkKey, float]:
    """The links with a poll ``rule`` judges (``min_samples``, ``max_spread``) and the
    longest learnt interval of those polls, by link."""
    min_samples = int(rule.param("min_samples", 1))
    max_spread = float(rule.param("max_spread", 2))
    longest: dict[LinkKey, float] = {}
    for (client, server, protocol, _name), learnt in base.polling.items():
        if learnt.samples >= min_samples and learnt.spread <= max_spread:
            link = (client, server, protocol)
            longest[link] = max(longest.get(link, 0.0), learnt.longest)
    return longest


def _silence(
    rule: Rule,
    key: LinkKey,
    polled: _Polled,
    period: float,
    silent: float,
    clock: float,
    ref: str,
) -> Finding:
    client, server, protocol = key
    return Finding(
        rule,
        f"{client}>{server}|{protocol}",
        polled.last,
        clock,
        (client, server),
        f"{client} stopped polling {server} over {protocol}: no read in {silent:.0f} s of "
        f"traffic on {ref} (learnt polls every {period:.3g} s or more often)",
        polled.evidence,
        1,
        {
            "protocol": protocol,
            "silent_seconds": round(silent, 3),
            "last_read": polled.last,
            "baseline_longest": period,
            "source": ref,
        },
    )


def _forget(reach: _Reach, before: float) -> None:
    if reach.oldest >= before:
        return
    old = [s for s, t in reach.servers.items() if t < before]
    for server in old:
        del reach.servers[server]
    if old:
        reach.reported_servers = min(reach.reported_servers, len(reach.servers))
    for server, ports in list(reach.ports.items()):
        for port in [p for p, t in ports.items() if t < before]:
            del ports[port]
        if not ports:
            del reach.ports[server]
            reach.reported_ports.pop(server, None)
    reach.oldest = min(
        (*reach.servers.values(), *(t for ports in reach.ports.values() for t in ports.values())),
        default=float("inf"),
    )


def _forget_units(pairs: dict[tuple[str, str], _Units], before: float) -> None:
    """Drop the (client, server) pairs with no new unit since ``before``; all of them
    when every pair is that recent (the table's bound, ``MAX_SWEEP_PAIRS``)."""
    stale = [pair for pair, reach in pairs.items() if reach.latest < before]
    for pair in stale:
        del pairs[pair]
    if len(pairs) >= MAX_SWEEP_PAIRS:
        pairs.clear()


def _unit_order(named: str) -> tuple[str, int, str]:
    protocol, _, unit = named.partition(" ")
    return (protocol, int(unit), "") if unit.isdigit() else (protocol, -1, unit)


def _group(by: str, client: str, server: str) -> tuple[str, str]:
    """A flood group's key and the piece's peer (the other end) for grouping ``by``."""
    if by == "client":
        return f"client|{client}", server
    if by == "server":
        return f"server|{server}", client
    return f"link|{client}>{server}", f"{client}>{server}"


def _flood(flood: _Flood, group: str, burst: _Burst, pieces: list[_Piece]) -> Finding | None:
    """Add a batch's pieces (in time order) to a group; the finding they make, if any."""
    window, grown = flood.window, 0
    first_crossing: _Piece | None = None
    need = 1 if group.startswith("link|") else flood.peers
    for piece in pieces:
        burst.now = max(burst.now, piece.last)
        start = burst.now - window
        kept = [p for p in burst.pieces if p.last >= start]
        kept.append(piece)
        burst.pieces = kept[-MAX_PIECES:]
        total, distinct = _in_window(burst.pieces, start, burst.now)
        if total >= flood.count and distinct >= need:
            if burst.flooding:
                grown += piece.count
            else:
                burst.flooding = True
                grown += round(total)
                first_crossing = first_crossing or piece
        else:
            burst.flooding = False
    if not grown:
        return None
    inside = [p for p in burst.pieces if p.last >= burst.now - window]
    start = min(p.first for p in inside)
    peers = sorted({p.peer for p in inside})
    names = sorted({f"{p.obs.protocol}:{p.obs.name}" for p in inside})
    latest = pieces[-1]
    evidence = min(inside, key=lambda p: (p.first, p.last)).obs.evidence
    kind, _, who = group.partition("|")
    if kind == "link":
        client, _, server = who.partition(">")
        subjects: tuple[str, ...] = (client, server)
        where = f"{client} -> {server}"
    else:
        subjects = (who,)
        others = "servers" if kind == "client" else "clients"
        where = f"{who} ({kind}, with {len(peers)} {others})"
    return Finding(
        flood.rule,
        group,
        start,
        burst.now,
        subjects,
        f"{where}: {round(_in_window(inside, burst.now - window, burst.now)[0])} "
        f"{flood.what} within {window:g} s ({', '.join(names[:6])}"
        f"{' ...' if len(names) > 6 else ''})",
        evidence,
        grown,
        {"operations": names[:50], "peers": peers[:50], "window": window},
        (first_crossing or latest).obs,
    )


def _in_window(pieces: list[_Piece], start: float, now: float) -> tuple[float, int]:
    """How many of the pieces' operations fall within [start, now] (each piece's spread
    evenly over its span), and how many distinct peers those pieces have."""
    total = 0.0
    peers: set[str] = set()
    for p in pieces:
        span = p.last - p.first
        if span <= 0:
            share = 1.0 if start <= p.first <= now else 0.0
        else:
            share = max(0.0, min(p.last, now) - max(p.first, start)) / span
        if share > 0:
            total += p.count * share
            peers.add(p.peer)
    return total, len(peers)


@lru_cache(maxsize=4096)
def is_group_address(end: str) -> bool:
    """Whether an endpoint (IP or MAC) is a broadcast or multicast address: IPv4
    multicast, 255.255.255.255 or a last octet of 255 (the directed broadcast of
    a /24, /16 or /8; a smaller subnet's broadcast is missed, a /23 host at .255
    taken for one); IPv6 multicast; a MAC with the group bit.  Cached: a plant
    has a few hundred endpoints."""
    try:
        address = ipaddress.ip_address(end)
    except ValueError:
        octets = end.split(":")
        if len(octets) != 6:
            return False
        try:
            return bool(int(octets[0], 16) & 0x01)
        except ValueError:
            return False
    if address.is_multicast:
        return True
    return address.version == 4 and end.endswith(".255")
