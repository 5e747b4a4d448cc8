"""Use case: learn what is normal, then raise alerts on what is not, and keep them.

The phases, as an analyst runs them::

    otm baseline learn           # start (or go on) learning from every stored source
    otm analyze normal-week.pcap # each new source is learnt while learning
    otm baseline freeze          # learning ends: from now on, detect
    otm analyze today.pcap       # new sources are checked; alerts stored
    otm alerts                   # what fired, most severe first
    otm baseline accept ID       # "this is normal": fold it into the baseline

Without any baseline, the rules that judge traffic on its own (a PLC stop,
a program download, Telnet, an SNMP default community, malformed messages)
still run on every new source; the rules about novelty wait for a frozen
baseline.  ``DetectionSession`` carries one engine across the checkpoints of
a live sensor, so a scan spread over several checkpoints is one alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otm.detection import (
    KINDS,
    Alert,
    AlertBook,
    Baseline,
    DetectionEngine,
    PlantContext,
    RuleSet,
    alert_from_dict,
    alert_id,
    alert_to_dict,
    default_rules,
)
from otm.model.plant import Source as LevelSource
from otm.observations.records import Observation
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


@dataclass
class BaselineStatus:
    """What ``otm baseline show`` prints."""

    exists: bool
    frozen: bool = False
    sources: list[str] = field(default_factory=list)
    baseline: Baseline | None = None


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
    return BaselineStatus(True, baseline.frozen, sources, baseline)


def learn(store: Store, now: float, keys: Sequence[str] | None = None) -> tuple[int, int]:
    """Start or go on learning from stored sources (all not learnt yet, or ``keys``).

    Returns (sources learnt, observations taken).  Refused once frozen: an
    analyst unfreezes on purpose (``reset``) rather than by accident.
    """
    baseline, learnt = load_baseline(store)
    if baseline is None:
        baseline = Baseline()
    if baseline.frozen:
        raise DetectionError(
            "the baseline is frozen: accept alerts to teach it, or `otm baseline reset` to "
            "learn again from scratch"
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
    return len(wanted), taken


def freeze(store: Store, now: float) -> Baseline:
    """End learning; returns the frozen baseline."""
    baseline, learnt = load_baseline(store)
    if baseline is None:
        raise DetectionError("there is no baseline to freeze: `otm baseline learn` first")
    if baseline.observations == 0:
        raise DetectionError("the baseline learnt nothing yet: analyse normal traffic first")
    baseline.frozen = True
    store.save_baseline(baseline.to_dict(), learnt, now)
    return baseline


def reset(store: Store) -> bool:
    """Forget the baseline (alerts stay); whether there was one."""
    return store.delete_baseline()


@dataclass
class DetectOutcome:
    """What one batch of observations did to the baseline and the alerts."""

    learnt: int = 0
    new: int = 0
    updated: int = 0
    alerts: list[Alert] = field(default_factory=list)


class DetectionSession:
    """One engine over the sources (or checkpoints) of one run; see the module docstring."""

    def __init__(self, store: Store, rules_file: Path | None = None) -> None:
        self.store = store
        self.rules = rules_in_force(rules_file)
        baseline, _ = load_baseline(store)
        self._learning = baseline is not None and not baseline.frozen
        self._engine = DetectionEngine(baseline or Baseline(), self.rules, plant_context(store))

    def process(self, key: str, observations: Sequence[Observation], now: float) -> DetectOutcome:
        """Detect on a source's new observations; learn them too while learning."""
        out = DetectOutcome()
        if self._learning:
            baseline, learnt = load_baseline(self.store)
            if baseline is not None and not baseline.frozen:
                out.learnt = baseline.learn(observations)
                if key not in learnt:
                    learnt.append(key)
                self.store.save_baseline(baseline.to_dict(), learnt, now)
                self._engine.baseline = baseline
        findings = self._engine.detect(observations)
        if not findings:
            return out
        # Only the alerts these findings land on: a plant may hold thousands.
        touched = {alert_id(f.rule.id, f.key) for f in findings}
        book = AlertBook(alert_from_dict(s.data) for s in self.store.alerts_by_id(touched))
        out.alerts = book.add(findings)
        out.new, out.updated = self.store.save_alerts([alert_to_dict(a) for a in out.alerts], now)
        return out


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
