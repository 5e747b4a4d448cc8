"""Use case: learn what is normal, then raise alerts on what is not, and keep them.

The phases, as an analyst runs them::

    otm baseline learn           # start (or go on) learning from every stored source
    otm analyze normal-week.pcap # each new source is learnt while learning
    otm baseline freeze          # learning ends: from now on, detect
    otm analyze today.pcap       # new sources are checked; alerts stored
    otm alerts                   # what fired, most severe first
    otm baseline accept ID       # "this is normal": fold it into the baseline

Learning can be bounded in time and scoped to zones (``LearningPlan``)::

    otm baseline learn --for 7d        # learn a week of traffic, then freeze by itself
    otm baseline learn --zone cell-2   # the site is protected; cell-2 (new) learns
    otm baseline freeze --zone cell-2  # ... and is protected from now on

Time is observation time (the packets' own), not the wall clock, so a week
learnt from a replayed capture is the capture's first week, and a live
sensor's is the coming week.  A zone-scoped observation is one with an end
(host, client or server) in a learning zone, by the plant map's membership
or, for hosts the inventory does not know yet, by a declared zone's
subnets; it is learnt and judged only by the rules that need no baseline,
while the rest of the site is compared with the frozen baseline.

Without any baseline, the rules that judge traffic on its own (a PLC stop,
a program download, Telnet, an SNMP default community, malformed messages)
still run on every new source; the rules about novelty wait for a frozen
baseline.  ``DetectionSession`` carries one engine across the checkpoints of
a live sensor, so a scan spread over several checkpoints is one alert.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otm.detection import (
    KINDS,
    Alert,
    AlertBook,
    Baseline,
    DetectionEngine,
    Finding,
    PlantContext,
    RuleSet,
    alert_from_dict,
    alert_id,
    alert_to_dict,
    default_rules,
    observation_ends,
    observation_time,
)
from otm.model.plant import Source as LevelSource
from otm.observations.records import (
    Observation,
)
from otm.store.combined import Store
from otm.store.errors import StoreError
from otm.topology.plan import build_plant_map


class DetectionError(Exception):
    """Something the analyst asked that cannot be done as asked; the message says why."""


def rules_in_force(rules_file: Path | None = None) -> RuleSet:
    """otm's rules, changed by a site's ``otm.rules/1`` file when one is given."""
    rules = default_rules(KINDS)
    if rules_file is None:
        return rules
    try:
        text = rules_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DetectionError(f"cannot read {rules_file}: {exc.strerror or exc}") from None
    return rules.apply(text, str(rules_file), KINDS)


def plant_context(store: Store) -> PlantContext:
    """Levels, roles and zones of the hosts, from the inventory and the plant file,
    and the conduits it allows between its zones.

    Levels otm could only guess (an asset nothing places sits at level 3
    "for review") are left out: a level-skip alert on a guess is noise.
    """
    inventory = store.load_inventory()
    config = store.load_plant_config()
    plant = build_plant_map(inventory, config)
    levels: dict[str, float] = {}
    roles: dict[str, str] = {}
    zones: dict[str, str] = {}
    for asset in inventory.assets.values():
        ends = [*asset.ips, *asset.macs]
        placed = plant.levels.get(asset.id)
        member = plant.membership.get(asset.id)
        for end in ends:
            roles[end] = asset.role.value
            if placed is not None and (
                placed.source is LevelSource.DECLARED or "(review)" not in placed.reason
            ):
                levels[end] = placed.level.rank
            if member is not None:
                zones[end] = member.zone
    return PlantContext(
        levels=levels,
        roles=roles,
        zones=zones,
        declared_zones=frozenset(z.name for z in config.zones),
        conduits=tuple(config.conduits),
    )


PLAN = "learning-plan"
"""The name the learning plan is stored under, beside the baseline."""

SITE = ""
"""The plan's key for learning the whole site (not one zone)."""


@dataclass
class LearningPlan:
    """What is still learning, and for how long (module docstring).

    ``scopes`` maps a zone name (or ``SITE`` for the whole site) to a
    duration in seconds of observation time, or None for "until frozen";
    ``started`` holds, per scope, the time of the first observation it
    learnt, so the duration counts from the traffic, not from the command.
    """

    scopes: dict[str, float | None] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "schema": "otm.learning-plan/1",
            "scopes": dict(sorted(self.scopes.items())),
            "started": dict(sorted(self.started.items())),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearningPlan:
        """The plan ``to_dict`` wrote."""
        return cls(
            {str(k): None if v is None else float(v) for k, v in data.get("scopes", {}).items()},
            {str(k): float(v) for k, v in data.get("started", {}).items()},
        )

    def ends(self, scope: str) -> float | None:
        """When a started, time-bounded scope stops learning (observation time)."""
        duration = self.scopes.get(scope)
        start = self.started.get(scope)
        return None if duration is None or start is None else start + duration

    @property
    def zones(self) -> set[str]:
        """The zones learning on their own."""
        return {z for z in self.scopes if z != SITE}


def load_plan(store: Store) -> LearningPlan:
    """The stored learning plan (an empty one when there is none)."""
    stored = store.load_baseline(PLAN)
    return LearningPlan() if stored is None else LearningPlan.from_dict(stored[0])


def save_plan(store: Store, plan: LearningPlan, now: float) -> None:
    """Store the learning plan (deleted when nothing is planned)."""
    if plan.scopes:
        store.save_baseline(plan.to_dict(), [], now, PLAN)
    else:
        store.delete_baseline(PLAN)


def parse_duration(text: str) -> float:
    """Seconds of ``30m``, ``12h``, ``7d``, ``2w`` or plain seconds; ``DetectionError`` else."""
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
    body, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        value = float(body) * units[unit]
    except ValueError:
        raise DetectionError(
            f"{text!r} is not a duration: a number with s, m, h, d or w (7d)"
        ) from None
    if not value > 0:
        raise DetectionError(f"a learning time must be positive, not {text!r}")
    return value


class ZoneOf:
    """A host's zone: the plant map's membership, else the first declared zone whose
    subnets hold its IP (for hosts the inventory does not know yet)."""

    def __init__(self, context: PlantContext, subnets: Sequence[tuple[str, str]]) -> None:
        self._known = context.zones
        self._subnets = []
        for zone, text in subnets:
            try:
                self._subnets.append((zone, ipaddress.ip_network(text, strict=False)))
            except ValueError:
                continue

    def __call__(self, host: str) -> str | None:
        zone = self._known.get(host)
        if zone is not None:
            return zone
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        return next((z for z, net in self._subnets if address in net), None)


@dataclass
class BaselineStatus:
    """What ``otm baseline show`` prints."""

    exists: bool
    frozen: bool = False
    sources: list[str] = field(default_factory=list)
    baseline: Baseline | None = None
    plan: LearningPlan = field(default_factory=LearningPlan)


def load_baseline(store: Store) -> tuple[Baseline | None, list[str]]:
    """The stored baseline and the sources it learnt (None, [] when there is none)."""
    stored = store.load_baseline()
    if stored is None:
        return None, []
    body, sources = stored
    try:
        return Baseline.from_dict(body), sources
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(
            f"cannot read the baseline stored in {store.url}: {exc} (written by a newer otm?)"
        ) from exc


def baseline_status(store: Store) -> BaselineStatus:
    """Whether there is a baseline, its phase, and what it learnt from."""
    baseline, sources = load_baseline(store)
    if baseline is None:
        return BaselineStatus(False)
    return BaselineStatus(True, baseline.frozen, sources, baseline, load_plan(store))


def learn(
    store: Store,
    now: float,
    keys: Sequence[str] | None = None,
    zones: Sequence[str] = (),
    duration: float | None = None,
) -> tuple[int, int]:
    """Start or go on learning from stored sources (all not learnt yet, or ``keys``).

    Returns (sources learnt, observations taken).  Without ``zones`` the
    whole site learns; refused once frozen (an analyst unfreezes on purpose,
    ``reset``, rather than by accident).  With ``zones`` the baseline must be
    frozen: those zones learn on their own (from ``keys`` now, when given,
    and from new traffic) while the rest stays protected.  ``duration``
    (seconds of observation time) ends the learning by itself.
    """
    baseline, learnt = load_baseline(store)
    plan = load_plan(store)
    if zones:
        return _learn_zones(store, now, baseline, learnt, plan, keys, zones, duration)
    if baseline is None:
        baseline = Baseline()
    if baseline.frozen:
        raise DetectionError(
            "the baseline is frozen: accept alerts to teach it, learn a zone on its own "
            "(--zone), or `otm baseline reset` to learn again from scratch"
        )
    known = {s.key for s in store.sources()}
    wanted = list(keys) if keys else sorted(known - set(learnt))
    missing = [k for k in wanted if k not in known]
    if missing:
        raise DetectionError(f"no stored source {', '.join(missing)}")
    taken = 0
    for key in wanted:
        if key in learnt:
            continue
        taken += baseline.learn(store.observations_of(key))
        learnt.append(key)
    store.save_baseline(baseline.to_dict(), learnt, now)
    if duration is not None:
        plan.scopes[SITE] = duration
        plan.started.pop(SITE, None)
        save_plan(store, plan, now)
    return len(wanted), taken


def _learn_zones(
    store: Store,
    now: float,
    baseline: Baseline | None,
    learnt: list[str],
    plan: LearningPlan,
    keys: Sequence[str] | None,
    zones: Sequence[str],
    duration: float | None,
) -> tuple[int, int]:
    if baseline is None or not baseline.frozen:
        raise DetectionError(
            "the whole site is still learning: zones learn on their own once the baseline is "
            "frozen (`otm baseline freeze`)"
        )
    context = plant_context(store)
    known_zones = set(context.zones.values()) | set(context.declared_zones)
    unknown = [z for z in zones if z not in known_zones]
    if unknown:
        raise DetectionError(
            f"no zone {', '.join(unknown)} in the plant map (`otm zones` lists them)"
        )
    taken = 0
    if keys:
        sources = {s.key for s in store.sources()}
        missing = [k for k in keys if k not in sources]
        if missing:
            raise DetectionError(f"no stored source {', '.join(missing)}")
        zone_of = _zone_of(store, context)
        wanted = set(zones)
        for key in keys:
            taken += baseline.learn(
                o
                for o in store.observations_of(key)
                if any(zone_of(e) in wanted for e in observation_ends(o))
            )
        store.save_baseline(baseline.to_dict(), learnt, now)
    for zone in zones:
        plan.scopes[zone] = duration
        plan.started.pop(zone, None)
    save_plan(store, plan, now)
    return len(keys or ()), taken


def _zone_of(store: Store, context: PlantContext) -> ZoneOf:
    config = store.load_plant_config()
    return ZoneOf(context, [(z.name, net) for z in config.zones for net in z.subnets])


def freeze(store: Store, now: float, zones: Sequence[str] = ()) -> Baseline:
    """End learning (of the whole site, or of ``zones`` only); returns the baseline."""
    baseline, learnt = load_baseline(store)
    if baseline is None:
        raise DetectionError("there is no baseline to freeze: `otm baseline learn` first")
    plan = load_plan(store)
    if zones:
        missing = [z for z in zones if z not in plan.zones]
        if missing:
            raise DetectionError(f"zone {', '.join(missing)} is not learning")
        for zone in zones:
            plan.scopes.pop(zone, None)
            plan.started.pop(zone, None)
        save_plan(store, plan, now)
        return baseline
    if baseline.observations == 0:
        raise DetectionError("the baseline learnt nothing yet: analyse normal traffic first")
    baseline.frozen = True
    store.save_baseline(baseline.to_dict(), learnt, now)
    plan.scopes.pop(SITE, None)
    plan.started.pop(SITE, None)
    save_plan(store, plan, now)
    return baseline


def reset(store: Store) -> bool:
    """Forget the baseline and the learning plan (alerts stay); whether there was one."""
    store.delete_baseline(PLAN)
    return store.delete_baseline()


@dataclass
class DetectOutcome:
    """What one batch of observations did to the baseline and the alerts.

    ``froze``: the site's learning time ran out within the batch (the rest
    of it was detected against the frozen baseline); ``zones_done``: zones
    whose learning time ran out.
    """

    learnt: int = 0
    new: int = 0
    updated: int = 0
    alerts: list[Alert] = field(default_factory=list)
    froze: bool = False
    zones_done: list[str] = field(default_factory=list)


class DetectionSession:
    """One engine over the sources (or checkpoints) of one run; see the module docstring."""

    def __init__(self, store: Store, rules_file: Path | None = None) -> None:
        self.store = store
        self.rules = rules_in_force(rules_file)
        baseline, _ = load_baseline(store)
        self._learning = baseline is not None and not baseline.frozen
        context = plant_context(store)
        self._engine = DetectionEngine(baseline or Baseline(), self.rules, context)
        self._plan = load_plan(store)
        self._zone_of = _zone_of(store, context) if self._plan.zones else None
        # Judges what zones learn, with the rules that need no baseline only.
        self._learner = DetectionEngine(Baseline(), self.rules, context)

    def process(self, key: str, observations: Sequence[Observation], now: float) -> DetectOutcome:
        """Detect on a source's new observations; learn them too while learning."""
        out = DetectOutcome()
        batch = list(observations)
        if self._learning:
            findings = self._learn_site(key, batch, now, out)
        elif self._plan.zones and self._zone_of is not None:
            findings = self._learn_zones(batch, now, out)
        else:
            findings = self._engine.detect(batch)
        if not findings:
            return out
        # Only the alerts these findings land on: a plant may hold thousands.
        touched = {alert_id(f.rule.id, f.key) for f in findings}
        book = AlertBook(alert_from_dict(s.data) for s in self.store.alerts_by_id(touched))
        out.alerts = book.add(findings)
        out.new, out.updated = self.store.save_alerts([alert_to_dict(a) for a in out.alerts], now)
        return out

    def _learn_site(
        self, key: str, batch: list[Observation], now: float, out: DetectOutcome
    ) -> list[Finding]:
        baseline, learnt = load_baseline(self.store)
        if baseline is None or baseline.frozen:  # frozen by someone else meanwhile
            self._learning = False
            self._engine.baseline = baseline or Baseline()
            return self._engine.detect(batch)
        end = self._site_end(batch, now)
        learning = batch if end is None else [o for o in batch if observation_time(o) < end]
        later = [] if end is None else [o for o in batch if observation_time(o) >= end]
        out.learnt = baseline.learn(learning)
        if key not in learnt:
            learnt.append(key)
        self._engine.baseline = baseline
        found = self._engine.detect(learning)
        if later:
            baseline.frozen = True
            self._learning = False
            out.froze = True
            self._plan.scopes.pop(SITE, None)
            self._plan.started.pop(SITE, None)
            save_plan(self.store, self._plan, now)
        self.store.save_baseline(baseline.to_dict(), learnt, now)
        if later:
            found.extend(self._engine.detect(later))
        return found

    def _site_end(self, batch: list[Observation], now: float) -> float | None:
        """When the site's learning time ends (None: no limit), starting its clock."""
        if self._plan.scopes.get(SITE) is None:
            return None
        if SITE not in self._plan.started:
            if not batch:
                return None
            self._plan.started[SITE] = min(observation_time(o) for o in batch)
            save_plan(self.store, self._plan, now)
        return self._plan.ends(SITE)

    def _learn_zones(
        self, batch: list[Observation], now: float, out: DetectOutcome
    ) -> list[Finding]:
        assert self._zone_of is not None
        plan = self._plan
        active = set(plan.zones)
        changed = False
        learning: list[Observation] = []
        others: list[Observation] = []
        for obs in batch:
            zones = {self._zone_of(e) for e in observation_ends(obs)} & active
            when = observation_time(obs)
            for zone in sorted(z for z in zones if z is not None):
                if zone not in plan.started:
                    plan.started[zone] = when
                    changed = True
                end = plan.ends(zone)
                if end is not None and when >= end:
                    plan.scopes.pop(zone, None)
                    plan.started.pop(zone, None)
                    active.discard(zone)
                    out.zones_done.append(zone)
                    changed = True
            (learning if zones & active else others).append(obs)
        if changed:
            save_plan(self.store, plan, now)
        if learning:
            baseline, learnt = load_baseline(self.store)
            if baseline is not None:
                out.learnt = baseline.learn(learning)
                self.store.save_baseline(baseline.to_dict(), learnt, now)
                self._engine.baseline = baseline
        return [*self._learner.detect(learning), *self._engine.detect(others)]


def detect_sources(
    store: Store, keys: Iterable[str], now: float, rules_file: Path | None = None
) -> DetectOutcome:
    """Run detection (and learning, while learning) over stored sources, in order."""
    session = DetectionSession(store, rules_file)
    total = DetectOutcome()
    for key in keys:
        outcome = session.process(key, list(store.observations_of(key)), now)
        total.learnt += outcome.learnt
        total.new += outcome.new
        total.updated += outcome.updated
        total.alerts.extend(outcome.alerts)
        total.froze = total.froze or outcome.froze
        total.zones_done.extend(outcome.zones_done)
    return total


def accept(store: Store, alert_id: str, user: str, now: float, comment: str = "") -> Alert:
    """Fold an alert's observations into the baseline and mark it accepted."""
    stored = store.alert(alert_id)
    if stored is None:
        raise DetectionError(f"no alert {alert_id!r} (or the prefix names several)")
    alert = alert_from_dict(stored.data)
    baseline, learnt = load_baseline(store)
    if baseline is None:
        raise DetectionError("there is no baseline to accept into: `otm baseline learn` first")
    if not alert.observations:
        raise DetectionError(f"alert {alert.id} keeps no observation to learn from")
    baseline.learn(alert.observations)
    store.save_baseline(baseline.to_dict(), learnt, now)
    text = comment or f"accepted into the baseline ({len(alert.observations)} observation(s))"
    store.set_alert_status(alert.id, "accepted", user, now, text)
    return alert
