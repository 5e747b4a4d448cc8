"""Use case: the inventory's known vulnerabilities as alerts (rule ``OTM-KNOWN-VULNERABILITY``).

``otm vulns`` lists matches on demand; this raises them where analysts
triage everything else (``otm alerts``, ``alerts show``, the SIEM export):
one alert per device with its modules, not one per CVE or advisory, so a
plant of 500 drives with ten advisories each is 500 alerts, each listing
its ten advisories.  An alert holds, per advisory, the CVEs, the best CVSS
score, the match's confidence and reason and the first remediation; its
evidence is where the device said its identity (the capture and packet of
its firmware) and each advisory (id and revision) with what matched.

The rule is data (``rules.yaml``, kind ``vulnerability``) so a site's rules
file re-rates, re-tunes or disables it: ``min_confidence`` (matches below
it raise nothing, default medium), ``min_cvss`` (matches whose best base
score is lower raise nothing; a match without any score is kept) and
``severity_from_cvss`` (the alert's severity is the FIRST CVSS v3.1/v4.0
rating of its best score when that is above the rule's severity, the floor).

``refresh_alerts`` runs after ``otm vulns import`` and after each change of
the inventory (``otm analyze``, ``otm scan``):

- a device that matches gets its alert (new), or its stored alert brought up
  to date when anything about it changed; an alert an analyst closed (or
  accepted) is written again, and so reopened, only when something new
  applies - another advisory or CVE, or a worse severity - never because
  the same matches were computed again or some went away;
- an open or acknowledged alert whose device no longer matches (firmware
  upgraded, device gone, advisory removed) is closed by ``otm`` with a note
  that says why: it does not keep firing;
- with the rule disabled nothing is raised nor closed.

Times are the device's (first and last seen, packet time), so replaying the
same captures and advisories gives the same alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from otm.detection import (
    EVIDENCE_KEPT,
    Alert,
    Finding,
    Rule,
    RuleSet,
    Severity,
    alert_to_dict,
)
from otm.model.assets import Asset, FieldValue, Inventory
from otm.observations.records import Evidence
from otm.services.detection import rules_in_force
from otm.services.vulns import VulnsError, load_advisories
from otm.store.combined import Store
from otm.vulns.matching import Confidence, Match, Matcher, match_sort_key
from otm.vulns.records import Score
from otm.vulns.subjects import Subject

RULE_ID = "OTM-KNOWN-VULNERABILITY"

CLOSER = "otm"
"""Who closes an alert whose device no longer matches (the notes say so)."""

CVSS_RATINGS = ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH), (4.0, Severity.MEDIUM))
"""FIRST CVSS v3.1 specification, section 5 (v4.0 keeps the scale): 9.0-10.0
critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low, 0.0 none."""

SHOWN = 3
"""Advisories (and devices) a message names before "and N more"."""


@dataclass(frozen=True)
class AlertPolicy:
    """The rule's parameters, read and checked."""

    min_confidence: Confidence = Confidence.MEDIUM
    min_cvss: float = 4.0
    severity_from_cvss: bool = True

    @classmethod
    def of(cls, rule: Rule) -> AlertPolicy:
        """The parameters of ``rule``; ``VulnsError`` names the one that is wrong."""
        where = f"rule {rule.id}"
        text = rule.param("min_confidence", cls.min_confidence.value)
        try:
            confidence = Confidence(str(text).strip().lower())
        except ValueError:
            raise VulnsError(
                f"{where}: min_confidence {text!r} is not low, medium or high"
            ) from None
        score = rule.param("min_cvss", cls.min_cvss)
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 10:
            raise VulnsError(f"{where}: min_cvss {score!r} is not a score from 0 to 10")
        from_cvss = rule.param("severity_from_cvss", cls.severity_from_cvss)
        if not isinstance(from_cvss, bool):
            raise VulnsError(f"{where}: severity_from_cvss must be true or false")
        return cls(confidence, float(score), from_cvss)

    def admits(self, match: Match) -> bool:
        """Whether a match raises an alert (confidence, then best score)."""
        if match.confidence.rank < self.min_confidence.rank:
            return False
        score = match.max_score
        return score is None or score.base_score >= self.min_cvss

    def describe(self) -> str:
        """The thresholds in words (for a closing note)."""
        text = f"{self.min_confidence.value} confidence"
        if self.min_cvss > 0:
            text += f" and CVSS {self.min_cvss:g}"
        return text + " or above"


def cvss_severity(score: float) -> Severity | None:
    """The CVSS qualitative rating of a base score (``CVSS_RATINGS``); None for 0.0."""
    for floor, severity in CVSS_RATINGS:
        if score >= floor:
            return severity
    return Severity.LOW if score > 0 else None


def _severity(rule: Rule, policy: AlertPolicy, matches: Sequence[Match]) -> Severity:
    severity = rule.severity
    if not policy.severity_from_cvss:
        return severity
    for m in matches:
        score = m.max_score
        rated = cvss_severity(score.base_score) if score is not None else None
        if rated is not None and rated.rank > severity.rank:
            severity = rated
    return severity


# -- the alerts, pure -----------------------------------------------------------------


def vulnerability_alerts(
    rule: Rule, matches: Iterable[Match], inventory: Inventory, policy: AlertPolicy | None = None
) -> list[Alert]:
    """One alert per asset whose admitted matches (``AlertPolicy.admits``) name it.

    ``matches`` are ``Matcher.match_assets`` results; assets are looked up
    in ``inventory`` for their times and identity evidence.
    """
    policy = policy or AlertPolicy.of(rule)
    by_asset: dict[str, list[Match]] = {}
    for m in matches:
        if policy.admits(m):
            by_asset.setdefault(m.subject.asset_id, []).append(m)
    out: list[Alert] = []
    for asset_id in sorted(by_asset):
        asset = inventory.assets.get(asset_id)
        if asset is not None:
            found = sorted(by_asset[asset_id], key=match_sort_key)
            out.append(_alert(rule, policy, asset, found))
    return out


def _alert(rule: Rule, policy: AlertPolicy, asset: Asset, matches: list[Match]) -> Alert:
    severity = _severity(rule, policy, matches)
    subjects = _unique_subjects(matches)
    advisories = _unique(m.advisory_id for m in matches)
    cves = sorted({c for m in matches for c in m.cves})
    top = _best_score(matches)
    confidence = max((m.confidence for m in matches), key=lambda c: c.rank)
    identity = [_identity_evidence(asset, s) for s in subjects]
    evidence = [e for e in identity if e is not None]
    details: dict[str, object] = {
        "device": _device(subjects[0]),
        "advisories": advisories,
        "cves": cves,
        "cvss": None if top is None else top.base_score,
        "cvss_vector": None if top is None else top.vector,
        "confidence": confidence.value,
        "matches": [_match_line(m) for m in matches],
        "reasons": [f"{m.advisory_id}: {m.reason}" for m in matches],
        "remediations": [_remediation(m) for m in matches if m.remediations],
    }
    modules = [s.component for s in subjects if s.component]
    if modules:
        details["modules"] = modules
    finding = Finding(
        rule=replace(rule, severity=severity),
        key=asset.id,
        first_seen=asset.first_seen,
        last_seen=asset.last_seen,
        subjects=(subjects[0].address,),
        message=_message(subjects, advisories, cves, top, confidence),
        evidence=evidence[0] if evidence else _advisory_evidence(matches[0]),
        count=len(matches),
        details=details,
    )
    alert = Alert.of(finding)
    for extra in [*evidence[1:], *(_advisory_evidence(m) for m in matches)]:
        if len(alert.evidence) >= EVIDENCE_KEPT:
            break
        if extra not in alert.evidence:
            alert.evidence.append(extra)
    return alert


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _unique_subjects(matches: Sequence[Match]) -> list[Subject]:
    """The devices and modules matched, the asset itself first, then modules by key."""
    seen: dict[str | None, Subject] = {}
    for m in matches:
        seen.setdefault(m.subject.component, m.subject)
    return [seen[k] for k in sorted(seen, key=lambda k: (k is not None, k or ""))]


def _best_score(matches: Sequence[Match]) -> Score | None:
    scores = [s for m in matches if (s := m.max_score) is not None]
    return max(scores, key=lambda s: (s.base_score, s.version), default=None)


def _device(subject: Subject) -> str:
    """``slot 0: Rockwell Automation 1756-L61/B firmware 16.020``."""
    name = subject.model or subject.product_name or subject.order_number or "device"
    parts = [subject.vendor or "", name]
    if subject.order_number and subject.order_number != name:
        parts.append(f"({subject.order_number})")
    if subject.firmware:
        parts.append(f"firmware {subject.firmware}")
    text = " ".join(p for p in parts if p)
    return f"{subject.component}: {text}" if subject.component else text


def _message(
    subjects: list[Subject],
    advisories: list[str],
    cves: list[str],
    top: Score | None,
    confidence: Confidence,
) -> str:
    first = subjects[0]
    device = f"{first.address} {_device(first)}"
    if len(subjects) > 1:
        device += f" and {len(subjects) - 1} more module{'s' if len(subjects) > 2 else ''}"
    named = ", ".join(advisories[:SHOWN])
    if len(advisories) > SHOWN:
        named += f" and {len(advisories) - SHOWN} more"
    text = (
        f"{device}: {len(cves)} known vulnerabilit{'ies' if len(cves) != 1 else 'y'} in "
        f"{len(advisories)} advisor{'ies' if len(advisories) != 1 else 'y'} ({named})"
    )
    if top is not None:
        rated = cvss_severity(top.base_score)
        text += f", highest CVSS {top.base_score:g}" + (f" {rated.value}" if rated else "")
    return text + f", {confidence.value} confidence"


def _match_line(m: Match) -> str:
    score = m.max_score
    cvss = "no CVSS" if score is None else f"CVSS {score.base_score:g}"
    what = m.subject.component + ": " if m.subject.component else ""
    cves = ", ".join(m.cves) or "no CVE"
    return (
        f"{what}{m.advisory_id} rev {m.advisory_revision} {m.advisory_title!r}: {cves} "
        f"({cvss}, {m.confidence.value} confidence)"
    )


def _remediation(m: Match) -> str:
    fix = m.remediations[0]
    text = f"{m.advisory_id}: {fix.category.value}: {' '.join(fix.details.split())}"
    return text + (f" ({fix.url})" if fix.url else "")


def _advisory_evidence(m: Match) -> Evidence:
    what = f"{m.subject.component}: " if m.subject.component else ""
    return Evidence(
        "advisory",
        f"{m.advisory_id} rev {m.advisory_revision}",
        None,
        f"{what}{m.product.label} [{m.product.product_id}] by {m.identified}; {m.version}",
    )


def _identity_evidence(asset: Asset, subject: Subject) -> Evidence | None:
    """Where the device (or module) said the firmware (else the model) it was matched on."""
    fields = asset.fields
    if subject.component is not None:
        component = asset.components.get(subject.component)
        fields = component.fields if component is not None else {}
    for name in ("firmware", "order_number", "model", "product_name"):
        values: list[FieldValue] = fields.get(name, [])
        if values:
            best = max(values, key=lambda v: (v.last_seen, v.first_seen))
            return best.evidence
    return None


# -- keeping them in the store -----------------------------------------------------------


@dataclass
class AlertRefresh:
    """What one refresh did: counts, the alerts written, the ids closed."""

    enabled: bool = True
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.new or self.updated or self.closed)


_ACTIVE = ("open", "acknowledged")
"""Statuses of alerts still being worked on: they follow the matches both ways."""


def _something_new(alert: Alert, old: dict[str, Any]) -> bool:
    """Another advisory or CVE, or a worse severity, than the stored alert had."""
    before = old.get("details", {})
    if set(alert.details["advisories"]) - set(before.get("advisories", [])):
        return True
    if set(alert.details["cves"]) - set(before.get("cves", [])):
        return True
    try:
        return alert.severity.rank > Severity(str(old.get("severity"))).rank
    except ValueError:
        return True


def policy_in_force(rules: RuleSet) -> AlertPolicy | None:
    """The rule's thresholds, or None while a site's rules disable it (``VulnsError``
    for a parameter that is wrong)."""
    rule = rules.get(RULE_ID)
    return AlertPolicy.of(rule) if rule.enabled else None


def refresh_alerts(store: Store, now: float, rules: RuleSet | None = None) -> AlertRefresh:
    """Raise, update and close the vulnerability alerts (the module docstring).

    ``rules`` are the rules in force (a site's file applied); otm's own when
    None.  Raises ``VulnsError`` for a rule parameter that is wrong; database
    failures raise ``StoreError``.
    """
    rules = rules or rules_in_force()
    policy = policy_in_force(rules)
    if policy is None:
        return AlertRefresh(enabled=False)
    rule = rules.get(RULE_ID)
    stored = {s.id: s for s in store.alerts(rule=RULE_ID)}
    if not stored and not store.advisories():
        return AlertRefresh()
    loaded = load_advisories(store)
    inventory = store.load_inventory()
    matches = Matcher(loaded.advisories).match_assets(
        inventory.assets.values(), policy.min_confidence
    )
    alerts = vulnerability_alerts(rule, matches, inventory, policy)
    out = AlertRefresh(problems=loaded.problems)
    changed: list[Alert] = []
    for alert in alerts:
        old = stored.get(alert.id)
        if old is not None:
            alert.first_seen = min(alert.first_seen, float(old.data["first_seen"]))
            if alert_to_dict(alert) == old.data or (
                old.status not in _ACTIVE and not _something_new(alert, old.data)
            ):
                out.unchanged += 1
                continue
        changed.append(alert)
    if changed:
        out.new, out.updated = store.save_alerts([alert_to_dict(a) for a in changed], now)
    out.alerts = changed
    current = {a.id for a in alerts}
    for alert_id, old in sorted(stored.items()):
        if alert_id in current or old.status not in _ACTIVE:
            continue
        store.set_alert_status(
            alert_id, "closed", CLOSER, now, _why_closed(old.data, inventory, policy)
        )
        out.closed.append(alert_id)
    return out


def _why_closed(old: dict[str, Any], inventory: Inventory, policy: AlertPolicy) -> str:
    asset = inventory.assets.get(str(old.get("key", "")))
    if asset is None:
        return "resolved: the device is no longer in the inventory"
    subjects = old.get("subjects") or [asset.id]
    firmware = asset.value("firmware")
    now = f" (firmware now {firmware})" if firmware is not None else ""
    return (
        f"resolved: no imported advisory matches {subjects[0]} any more at {policy.describe()}{now}"
    )
