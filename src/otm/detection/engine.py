"""``DetectionEngine``: observations in, findings out, against a baseline, by the rules in force.

Pure and deterministic: times come from the observations, so a capture
replayed gives the same findings.  ``detect`` evaluates every enabled rule
on every observation of a type its kind reads (each kind's detector,
``detectors.DETECTORS``; the types: ``detectors.ACCEPTS``) and then the
batch rules (``sweep``); a ``new_operation`` finding is dropped
when a named ``operation`` rule saw the same observation (the download
alert says more than "new operation").  The sweep state (which new servers and ports
each client reached, and when) lives in the engine across batches and is
forgotten after the rule's ``window`` seconds of observation time, so a
scan spread over several live checkpoints is still one scan.

While the baseline is not frozen the engine is learning: ``detect`` still
reports the policy rules, and the caller folds the observations into the
baseline (``Baseline.learn``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from otm.detection.alerts import Finding
from otm.detection.baseline import Baseline, endpoint
from otm.detection.detectors import ACCEPTS, DETECTORS, KINDS, Detector, PlantContext
from otm.detection.rules import Rule, RuleSet, default_rules
from otm.observations.records import Communication, Evidence, Observation


@dataclass
class _Reach:
    """One client's new servers (and per server its new ports), with first times."""

    servers: dict[str, float] = field(default_factory=dict)
    ports: dict[str, dict[int, float]] = field(default_factory=dict)
    reported_servers: int = 0
    reported_ports: dict[str, int] = field(default_factory=dict)
    evidence: Evidence | None = None


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
        self._per_obs = [(r, DETECTORS[r.kind]) for r in enabled if r.kind in DETECTORS]
        # The rules that read each observation type, built on first sight of the
        # type (a handful of types: bounded).
        self._per_type: dict[type, list[tuple[Rule, Detector]]] = {}
        self._sweeps = [r for r in enabled if r.kind == "sweep"]
        self._reach: dict[str, dict[str, _Reach]] = {r.id: {} for r in self._sweeps}

    def detect(self, observations: Iterable[Observation]) -> list[Finding]:
        """Every finding of the enabled rules on these observations, in input order."""
        out: list[Finding] = []
        base, ctx = self.baseline, self.context
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
            if self._sweeps and isinstance(obs, Communication) and base.frozen:
                for rule in self._sweeps:
                    out.extend(self._sweep(rule, obs))
        return out

    def _rules_for(self, obs: Observation) -> list[tuple[Rule, Detector]]:
        pairs = [
            (rule, detector)
            for rule, detector in self._per_obs
            if (types := ACCEPTS.get(rule.kind)) is None or isinstance(obs, types)
        ]
        self._per_type[type(obs)] = pairs
        return pairs

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
            reach.evidence = reach.evidence or obs.evidence
        if (client, server, obs.protocol, obs.port) not in base.links:
            reach.ports.setdefault(server, {}).setdefault(obs.port, now)
        hosts = int(rule.param("hosts", 10))
        if len(reach.servers) >= hosts and len(reach.servers) > reach.reported_servers:
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
        ports = reach.ports.get(server, {})
        limit = int(rule.param("ports", 10))
        done = reach.reported_ports.get(server, 0)
        if len(ports) >= limit and len(ports) > done:
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


def _forget(reach: _Reach, before: float) -> None:
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
