"""The detectors: one function a rule kind, observation (and baseline) in, findings out.

Each kind reads its rule's parameters; the shipped rules (``rules.yaml``)
and a user's file choose which kinds run with which settings.  Kinds:

``new_asset``        a host (IP, or MAC without IP) not in the baseline
``new_mac``          a known IP behind a MAC it never had (spoofing, a swapped device)
``new_link``         a (client, server, protocol, port) the baseline lacks
``new_protocol``     a known host speaking a protocol it never spoke
``new_operation``    an operation never seen on a known link
``new_writer``       a write/command/program operation (``categories``) from a
                     client that never changed that server over that protocol;
                     ``except_names`` (``protocol:name`` globs) are not changes
                     (a program upload is category ``program`` but reads the PLC)
``operation``        any operation matching ``names`` (``protocol:name`` or
                     ``name`` globs) or ``categories``; ``unless_known`` skips
                     those the link already carried while learning
``value_range``      ``check: range`` (the default): a ``ValueWritten`` whose smallest or
                     largest value lies outside the range learnt for that (server,
                     protocol, address), widened on each side by ``margin`` (a fraction
                     of the learnt span, default 0.1) but at least ``min_margin``
                     (absolute, default 1: a value always written alike may move by
                     one step); addresses never written while learning are not judged.
                     ``check: new_address``: a write to such an address (a separate
                     rule, so that it can be rated or disabled on its own).  Both judge
                     values of ``min_bits`` (default 2) bits or more: a coil or an S7
                     bit is a command (start, stop, acknowledge), not a parameter, and
                     who sends commands is ``new_writer``'s business
``identity_change``  an identity field (``fields``) that differs from the baseline's
``identity_fact``    an identity field (``field``) present, optionally with one of
                     ``values``: a clear-text SNMP community, OPC UA without security
``anomaly``          parser anomalies (malformed, unknown function) of ``min_count`` or more
``remote_access``    ``protocols`` (RDP, VNC, Telnet, SMB ...) into a host at Purdue
                     level ``max_level`` or below, or whose role is a control role
``level_skip``       a link between hosts more than ``max_distance`` Purdue levels apart
``cross_zone``       a link between hosts in two zones (one of them declared) that no
                     conduit of the plant file allows: zone pair in that direction,
                     protocol and server port where the conduit names them; silent
                     while the plant file declares no conduit
``timing``           per batch, on the polls the baseline learnt (``Baseline.polling``:
                     per link and operation, the range of the mean interval) with
                     ``min_samples`` samples (default 1) no more than ``max_spread``
                     apart (longest over shortest, default 2: else it is no poll).
                     ``check: rate`` (the default): a polling sample (reads joined
                     across checkpoints as the baseline's are, at least
                     ``min_requests`` over ``min_span`` seconds, default 10 and 10)
                     whose mean interval is ``faster`` times shorter than the shortest
                     learnt (a flood, a second poller, a DoS) or ``slower`` times
                     longer than the longest (each a factor, default 4; null turns a
                     side off).  ``check: silence``: a link with such a poll and no
                     read for ``periods`` times its longest learnt interval (default
                     10) and at least ``min_silence`` seconds (default 120) of its own
                     source's traffic, begun after learning (see ``engine``)
``sweep``            per batch: one client reaching ``hosts`` or more servers it never
                     reached, or ``ports`` or more ports of one server (a scan), or
                     ``units`` or more units of one server (Modbus unit ids, DNP3
                     outstation and IEC 104 common addresses: ``Baseline.units``) that
                     nobody asked for while learning (``units_by: client``: that it
                     never asked for), within ``window`` seconds; ``hosts``, ``ports``
                     (default 10 each) and ``units`` (default off) are turned off by null
``flood``            per batch: ``count`` or more operations (default 100) matching
                     ``names``, ``categories`` and ``protocols`` within ``window``
                     seconds (default 60), counted
                     per link, per client or per server (``by``; a client or server
                     needs ``peers`` distinct other ends, default 1, so that a storm on
                     one link is the link's alert); ``group_only``: only operations sent
                     to a broadcast or multicast address; ``unless_known``: not the
                     operations a link carried while learning

Detectors that compare with the baseline stay silent while it is not frozen
(``Baseline.frozen``): learning is not detecting.  Policy kinds
(``identity_fact``, ``anomaly``, ``remote_access``, ``level_skip``,
``cross_zone``, ``flood`` without ``unless_known``) fire in either phase:
they judge the traffic, not its novelty.  The kinds that read the plant map
(levels, roles, zones and conduits: ``PlantContext``) judge only hosts the
inventory knew when the context was built.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from otm.detection.alerts import Finding
from otm.detection.baseline import IDENTITY_FIELDS, Baseline, endpoint, observation_time
from otm.detection.rules import Rule
from otm.model.plant import ConduitSpec, allowed_by, judged, why_not_allowed
from otm.observations.records import (
    AssetSeen,
    Communication,
    Evidence,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    ValueWritten,
)

CONTROL_ROLES = frozenset({"plc", "rtu", "io-module", "hmi", "engineering-workstation"})
"""Roles of hosts that belong to levels 0-2 when no level is declared."""


@dataclass(frozen=True)
class PlantContext:
    """What the plant map knows about hosts, by endpoint (all optional), and the
    conduits the plant file allows between its ``declared_zones``."""

    levels: Mapping[str, float] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)
    zones: Mapping[str, str] = field(default_factory=dict)  # declared or inferred zone
    declared_zones: frozenset[str] = frozenset()
    conduits: tuple[ConduitSpec, ...] = ()


Detector = Callable[[Rule, Observation, Baseline, PlantContext], Iterator[Finding]]


def _finding(
    rule: Rule,
    key: str,
    obs: Observation,
    subjects: tuple[str, ...],
    message: str,
    evidence: Evidence,
    count: int = 1,
    **details: object,
) -> Finding:
    first, last = _span(obs)
    return Finding(rule, key, first, last, subjects, message, evidence, count, details, obs)


def _about_operation(
    rule: Rule, obs: Operation, ends: tuple[str, str], key: str, message: str, **details: object
) -> Finding:
    """A finding about one operation on a link: its count, its name and category."""
    return _finding(
        rule,
        key,
        obs,
        ends,
        message,
        obs.evidence,
        obs.count,
        protocol=obs.protocol,
        operation=obs.name,
        category=obs.category,
        **details,
    )


def _span(obs: Observation) -> tuple[float, float]:
    first = observation_time(obs)
    return first, getattr(obs, "last_seen", first)


def new_asset(rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext) -> Iterator[Finding]:
    if not base.frozen or not isinstance(obs, AssetSeen):
        return
    if (obs.ip is None and obs.mac is None) or base.known_host(obs.ip, obs.mac):
        return
    who = obs.ip or obs.mac or ""
    mac = f" (MAC {obs.mac})" if obs.ip and obs.mac else ""
    yield _finding(rule, who, obs, (who,), f"new host {who}{mac}", obs.evidence, mac=obs.mac)


def new_mac(rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext) -> Iterator[Finding]:
    if not base.frozen or not isinstance(obs, AssetSeen) or obs.ip is None or obs.mac is None:
        return
    known = base.hosts.get(obs.ip)
    if not known or obs.mac in known:
        return
    was = ", ".join(sorted(known))
    yield _finding(
        rule,
        f"{obs.ip}|{obs.mac}",
        obs,
        (obs.ip,),
        f"{obs.ip} now sends from MAC {obs.mac} (baseline: {was})",
        obs.evidence,
        mac=obs.mac,
        baseline_macs=sorted(known),
    )


def _ends(obs: Communication | Operation) -> tuple[str, str] | None:
    client = endpoint(obs.client_ip, obs.client_mac)
    server = endpoint(obs.server_ip, obs.server_mac)
    if client is None or server is None:
        return None
    return client, server


def new_link(rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext) -> Iterator[Finding]:
    if not base.frozen or not isinstance(obs, Communication) or (ends := _ends(obs)) is None:
        return
    client, server = ends
    if (client, server, obs.protocol, obs.port) in base.links:
        return
    where = f"{obs.protocol}/{obs.port}" if obs.port else obs.protocol
    yield _finding(
        rule,
        f"{client}>{server}|{obs.protocol}|{obs.port}",
        obs,
        (client, server),
        f"new link {client} -> {server} over {where}",
        obs.evidence,
        protocol=obs.protocol,
        port=obs.port,
        packets=obs.packets,
    )


def new_protocol(
    rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext
) -> Iterator[Finding]:
    if not base.frozen or not isinstance(obs, Communication) or (ends := _ends(obs)) is None:
        return
    for host, side in zip(ends, ("client", "server"), strict=True):
        spoken = base.protocols.get(host)
        if spoken is None or obs.protocol in spoken:
            continue  # a host the baseline never saw is new_asset's business
        yield _finding(
            rule,
            f"{host}|{obs.protocol}",
            obs,
            (host,),
            f"{host} speaks {obs.protocol} ({side}) for the first time",
            obs.evidence,
            protocol=obs.protocol,
            side=side,
        )


def new_operation(
    rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext
) -> Iterator[Finding]:
    if not base.frozen or not isinstance(obs, Operation) or (ends := _ends(obs)) is None:
        return
    known = base.operations.get((*ends, obs.protocol))
    if known is None or obs.name in known:
        return  # a link never seen is new_link's business
    categories = rule.param("categories", None)
    if categories is not None and obs.category not in categories:
        return
    client, server = ends
    yield _about_operation(
        rule,
        obs,
        ends,
        f"{client}>{server}|{obs.protocol}|{obs.name}",
        f"{client} asks {server} for {obs.protocol} {obs.name} ({obs.category}) for the first time",
    )


def new_writer(
    rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext
) -> Iterator[Finding]:
    if not base.frozen or not isinstance(obs, Operation) or (ends := _ends(obs)) is None:
        return
    if obs.category not in rule.param("categories", ("write", "control", "program")):
        return
    if name_matches(rule.param("except_names", ()), obs.protocol, obs.name):
        return
    client, server = ends
    writers = base.writers.get((server, obs.protocol), set())
    if client in writers:
        return
    usual = (
        f"while learning only {', '.join(sorted(writers))} did"
        if writers
        else "nobody did while learning"
    )
    yield _about_operation(
        rule,
        obs,
        ends,
        f"{client}>{server}|{obs.protocol}",
        f"{client} sends {obs.protocol} {obs.name} ({obs.category}) to {server}; {usual}",
        baseline_writers=sorted(writers),
    )


def name_matches(patterns: Sequence[str], protocol: str, name: str) -> bool:
    """Whether ``protocol:name`` matches one of the ``protocol:name`` or ``name`` globs."""
    return bool(patterns) and _matches(tuple(patterns), protocol, name)


@lru_cache(maxsize=4096)
def _matches(patterns: tuple[str, ...], protocol: str, name: str) -> bool:
    """Whether ``protocol:name`` matches a pattern; cached because a few hundred
    (protocol, name) pairs recur millions of times (the glob match was half of
    detection's time on the passive benchmark's capture).  4096 entries: the
    named rules times the operations a plant's protocols have, with room."""
    for pattern in patterns:
        proto, _, op = pattern.rpartition(":")
        if proto and not fnmatch.fnmatchcase(protocol, proto):
            continue
        if fnmatch.fnmatchcase(name, op):
            return True
    return False


def operation(rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext) -> Iterator[Finding]:
    if not isinstance(obs, Operation):
        return
    # The ends only for a match: each named rule sees every operation.
    if (
        not rule.selects_operation(obs.protocol, obs.name, obs.category)
        or (ends := _ends(obs)) is None
    ):
        return
    servers = rule.param("servers", None)
    if servers is not None and ends[1] not in servers:
        return
    known = base.operations.get((*ends, obs.protocol), set())
    if rule.param("unless_known", False) and (not base.frozen or obs.name in known):
        return
    client, server = ends
    yield _about_operation(
        rule,
        obs,
        ends,
        f"{client}>{server}|{obs.protocol}|{obs.name}",
        f"{client} -> {server}: {obs.protocol} {obs.name} ({obs.count}x)",
        **{f"detail_{k}": v for k, v in obs.detail.items()},
    )


def identity_change(
    rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext
) -> Iterator[Finding]:
    if not base.frozen or not isinstance(obs, Identity):
        return
    where = endpoint(obs.ip, obs.mac)
    if where is None:
        return
    fields = rule.param("fields", sorted(IDENTITY_FIELDS))
    for name, value in obs.fields.items():
        if name not in fields:
            continue
        was = base.identity.get((where, obs.protocol, obs.component or "", name))
        if was is None or was == str(value):
            continue
        part = f" {obs.component}" if obs.component else ""
        yield _finding(
            rule,
            f"{where}|{obs.protocol}|{obs.component or ''}|{name}|{value}",
            obs,
            (where,),
            f"{where}{part} {name} is {value!s} over {obs.protocol}; baseline: {was}",
            obs.evidence,
            field=name,
            value=str(value),
            baseline=was,
        )


def identity_fact(
    rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext
) -> Iterator[Finding]:
    if not isinstance(obs, Identity) or (where := endpoint(obs.ip, obs.mac)) is None:
        return
    name = rule.param("field", "")
    if name not in obs.fields:
        return
    value = str(obs.fields[name])
    values = rule.param("values", None)
    if values is not None and value not in values:
        return
    shown = value if rule.param("show_value", True) else "(withheld)"
    yield _finding(
        rule,
        f"{where}|{obs.protocol}|{name}|{value}",
        obs,
        (where,),
        f"{where}: {obs.protocol} {name} = {shown}",
        obs.evidence,
        field=name,
        value=shown,
    )


def anomaly(rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext) -> Iterator[Finding]:
    if not isinstance(obs, ParseAnomaly) or obs.count < rule.param("min_count", 1):
        return
    who = obs.ip or "?"
    kinds = rule.param("kinds", None)
    if kinds is not None and obs.kind not in kinds:
        return
    yield _finding(
        rule,
        f"{who}|{obs.protocol}|{obs.kind}",
        obs,
        (who,) if obs.ip else (),
        f"{obs.count} {obs.protocol} message(s) that do not parse ({obs.kind}) from {who}",
        obs.evidence,
        obs.count,
        protocol=obs.protocol,
        kind=obs.kind,
        detail=obs.detail,
    )


def _control_host(host: str, ctx: PlantContext, max_level: float) -> str | None:
    level = ctx.levels.get(host)
    if level is not None:
        return f"level {level:g}" if level <= max_level else None
    role = ctx.roles.get(host)
    if role in CONTROL_ROLES:
        return f"a {role}"
    return None


def remote_access(
    rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext
) -> Iterator[Finding]:
    if not isinstance(obs, Communication) or (ends := _ends(obs)) is None:
        return
    if obs.protocol not in rule.param("protocols", ("rdp", "vnc", "telnet", "smb")):
        return
    client, server = ends
    max_level = rule.param("max_level", 2)
    why = "anywhere" if max_level is None else _control_host(server, ctx, float(max_level))
    if why is None:
        return
    yield _finding(
        rule,
        f"{client}>{server}|{obs.protocol}",
        obs,
        ends,
        f"{obs.protocol} from {client} into {server} ({why})",
        obs.evidence,
        protocol=obs.protocol,
        packets=obs.packets,
    )


def level_skip(
    rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext
) -> Iterator[Finding]:
    if not isinstance(obs, Communication) or (ends := _ends(obs)) is None:
        return
    client, server = ends
    a, b = ctx.levels.get(client), ctx.levels.get(server)
    if a is None or b is None:
        return
    # Levels 3.5 (the DMZ) and 4 are one step apart, as 3 and 3.5 are.
    steps = abs(_step(a) - _step(b))
    if steps <= int(rule.param("max_distance", 1)):
        return
    yield _finding(
        rule,
        f"{client}>{server}|{obs.protocol}",
        obs,
        ends,
        f"{client} (level {a:g}) talks {obs.protocol} to {server} (level {b:g}): "
        f"{steps} levels apart",
        obs.evidence,
        protocol=obs.protocol,
        packets=obs.packets,
    )


def cross_zone(
    rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext
) -> Iterator[Finding]:
    if not ctx.conduits or not isinstance(obs, Communication) or (ends := _ends(obs)) is None:
        return
    client, server = ends
    a, b = ctx.zones.get(client), ctx.zones.get(server)
    if a is None or b is None or not judged(ctx.conduits, ctx.declared_zones, a, b):
        return
    if allowed_by(ctx.conduits, a, b, obs.protocol, obs.port) is not None:
        return
    where = f"{obs.protocol}/{obs.port}" if obs.port else obs.protocol
    yield _finding(
        rule,
        f"{client}>{server}|{obs.protocol}",
        obs,
        ends,
        f"{client} ({a}) -> {server} ({b}) over {where}: no declared conduit allows it; "
        f"{why_not_allowed(ctx.conduits, a, b)}",
        obs.evidence,
        protocol=obs.protocol,
        port=obs.port,
        client_zone=a,
        server_zone=b,
        packets=obs.packets,
        answered=obs.answered,
    )


def value_range(
    rule: Rule, obs: Observation, base: Baseline, ctx: PlantContext
) -> Iterator[Finding]:
    if not base.frozen or not isinstance(obs, ValueWritten) or obs.server_ip is None:
        return
    if obs.bits < int(rule.param("min_bits", 2)):
        return
    client, server = obs.client_ip or "?", obs.server_ip
    learnt = base.values.get((server, obs.protocol, obs.address))
    subjects = (client, server) if obs.client_ip else (server,)
    if rule.param("check", "range") == "new_address":
        if learnt is not None:
            return
        yield _finding(
            rule,
            f"{server}|{obs.protocol}|{obs.address}",
            obs,
            subjects,
            f"{client} writes {obs.protocol} {obs.address} of {server} "
            f"({_values(obs.minimum, obs.maximum)}); nobody wrote it while learning",
            obs.evidence,
            obs.count,
            protocol=obs.protocol,
            address=obs.address,
            minimum=obs.minimum,
            maximum=obs.maximum,
            last_value=obs.last_value,
        )
        return
    if learnt is None:
        return  # never written while learning: the new_address check's business
    slack = max(
        (learnt.maximum - learnt.minimum) * float(rule.param("margin", 0.1)),
        float(rule.param("min_margin", 1)),
    )
    low, high = learnt.minimum - slack, learnt.maximum + slack
    if low <= obs.minimum and obs.maximum <= high:
        return
    yield _finding(
        rule,
        f"{server}|{obs.protocol}|{obs.address}",
        obs,
        subjects,
        f"{client} writes {_values(obs.minimum, obs.maximum)} to {obs.protocol} {obs.address} "
        f"of {server}; learnt {_values(learnt.minimum, learnt.maximum)}, "
        f"allowed {_number(low)} to {_number(high)}",
        obs.evidence,
        obs.count,
        protocol=obs.protocol,
        address=obs.address,
        minimum=obs.minimum,
        maximum=obs.maximum,
        last_value=obs.last_value,
        baseline_minimum=learnt.minimum,
        baseline_maximum=learnt.maximum,
        baseline_writers=sorted(learnt.writers),
    )


def _values(low: float, high: float) -> str:
    return _number(low) if low == high else f"{_number(low)} to {_number(high)}"


def _number(value: float) -> str:
    """A value as an analyst reads it: integers whole, other floats to 7 digits."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.7g}"


_STEPS = (0.0, 1.0, 2.0, 3.0, 3.5, 4.0, 5.0)


def _step(level: float) -> int:
    return min(range(len(_STEPS)), key=lambda i: abs(_STEPS[i] - level))


DETECTORS: dict[str, Detector] = {
    "new_asset": new_asset,
    "new_mac": new_mac,
    "new_link": new_link,
    "new_protocol": new_protocol,
    "new_operation": new_operation,
    "new_writer": new_writer,
    "operation": operation,
    "identity_change": identity_change,
    "identity_fact": identity_fact,
    "anomaly": anomaly,
    "remote_access": remote_access,
    "level_skip": level_skip,
    "value_range": value_range,
    "cross_zone": cross_zone,
}
"""Per-observation detectors by kind; ``BATCH_KINDS`` are the engine's."""

SERVICE_KINDS = ("vulnerability",)
"""Kinds whose findings the services raise from what they compute (a known
vulnerability matched to an asset), not the engine from observations: their
rules are data like the others, so a site can re-rate or disable them."""

BATCH_KINDS = ("sweep", "flood", "timing")
"""Kinds only the engine evaluates, over batches, with state across them."""

KINDS = (*DETECTORS, *BATCH_KINDS, *SERVICE_KINDS)
"""Every rule kind."""

ACCEPTS: dict[str, tuple[type, ...]] = {
    "new_asset": (AssetSeen,),
    "new_mac": (AssetSeen,),
    "new_link": (Communication,),
    "new_protocol": (Communication,),
    "new_operation": (Operation,),
    "new_writer": (Operation,),
    "operation": (Operation,),
    "identity_change": (Identity,),
    "identity_fact": (Identity,),
    "anomaly": (ParseAnomaly,),
    "remote_access": (Communication,),
    "level_skip": (Communication,),
    "cross_zone": (Communication,),
    "value_range": (ValueWritten,),
}
"""The observation types each kind's detector reads: the engine hands it only
those (calling every detector on every observation was a third of detection's
time).  A kind missing here sees every observation."""
