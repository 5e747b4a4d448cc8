"""Findings and alerts: one finding per thing a rule saw, one alert per distinct thing.

A detector returns ``Finding`` s; the ``AlertBook`` folds findings with the
same rule and key into one ``Alert`` with a count, the first and last time,
and a bounded sample of evidence - a port scan of 10,000 probes is one
alert with a count, not 10,000 rows.  An alert's id is stable (the rule id
and a hash of its key), so the same finding in a later capture or a later
checkpoint lands on the same alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from otm.detection.rules import Rule, Severity
from otm.observations.records import Evidence, Observation
from otm.observations.serialization import from_dict, to_dict

EVIDENCE_KEPT = 10
"""Evidence an alert keeps: the first ones, which say how it started."""


@dataclass(frozen=True)
class Finding:
    """What one rule saw in one observation (or one batch, for scans)."""

    rule: Rule
    key: str
    first_seen: float
    last_seen: float
    subjects: tuple[str, ...]
    message: str
    evidence: Evidence
    count: int = 1
    details: Mapping[str, Any] = field(default_factory=dict)
    observation: Observation | None = None


def alert_id(rule_id: str, key: str) -> str:
    """The stable id of the alert of ``rule_id`` about ``key``."""
    digest = hashlib.sha1(f"{rule_id}\x00{key}".encode()).hexdigest()[:12]
    return f"{rule_id}:{digest}"


@dataclass
class Alert:
    """Every finding of one rule about one thing, aggregated."""

    id: str
    rule_id: str
    name: str
    severity: Severity
    technique: str
    technique_name: str
    key: str
    message: str
    subjects: tuple[str, ...]
    first_seen: float
    last_seen: float
    count: int
    evidence: list[Evidence] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)

    @classmethod
    def of(cls, finding: Finding) -> Alert:
        """A new alert from its first finding."""
        rule = finding.rule
        alert = cls(
            alert_id(rule.id, finding.key),
            rule.id,
            rule.name,
            rule.severity,
            rule.technique,
            rule.technique_name,
            finding.key,
            finding.message,
            finding.subjects,
            finding.first_seen,
            finding.last_seen,
            0,
        )
        alert.add(finding)
        return alert

    def add(self, finding: Finding) -> None:
        """Fold another finding of the same rule and key in."""
        self.count += finding.count
        self.first_seen = min(self.first_seen, finding.first_seen)
        self.last_seen = max(self.last_seen, finding.last_seen)
        if len(self.evidence) < EVIDENCE_KEPT and finding.evidence not in self.evidence:
            self.evidence.append(finding.evidence)
        if finding.observation is not None and len(self.observations) < EVIDENCE_KEPT:
            self.observations.append(finding.observation)
        for name, value in finding.details.items():
            self.details.setdefault(name, value)


class AlertBook:
    """Alerts by id, built from findings in any order."""

    def __init__(self, alerts: Iterable[Alert] = ()) -> None:
        self.alerts: dict[str, Alert] = {a.id: a for a in alerts}

    def add(self, findings: Iterable[Finding]) -> list[Alert]:
        """Fold findings in; the alerts they created or changed, in first-touch order."""
        touched: dict[str, Alert] = {}
        for finding in findings:
            key = alert_id(finding.rule.id, finding.key)
            alert = self.alerts.get(key)
            if alert is None:
                alert = self.alerts[key] = Alert.of(finding)
            else:
                alert.add(finding)
            touched[key] = alert
        return list(touched.values())

    def sorted(self) -> list[Alert]:
        """Most severe first, then latest first."""
        return sorted(self.alerts.values(), key=lambda a: (-a.severity.rank, -a.last_seen, a.id))


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    """A JSON-ready dict of an alert (observations in the ``otm.observation/1`` shape)."""
    return {
        "id": alert.id,
        "rule_id": alert.rule_id,
        "name": alert.name,
        "severity": alert.severity.value,
        "technique": alert.technique,
        "technique_name": alert.technique_name,
        "key": alert.key,
        "message": alert.message,
        "subjects": list(alert.subjects),
        "first_seen": alert.first_seen,
        "last_seen": alert.last_seen,
        "count": alert.count,
        "evidence": [
            {"source": e.source, "ref": e.ref, "packet": e.packet, "message": e.message}
            for e in alert.evidence
        ],
        "details": alert.details,
        "observations": [to_dict(o) for o in alert.observations],
    }


def alert_from_dict(data: Mapping[str, Any]) -> Alert:
    """The alert ``alert_to_dict`` wrote; ``ValueError`` for anything else."""
    try:
        return Alert(
            id=str(data["id"]),
            rule_id=str(data["rule_id"]),
            name=str(data["name"]),
            severity=Severity(data["severity"]),
            technique=str(data["technique"]),
            technique_name=str(data["technique_name"]),
            key=str(data["key"]),
            message=str(data["message"]),
            subjects=tuple(str(s) for s in data["subjects"]),
            first_seen=float(data["first_seen"]),
            last_seen=float(data["last_seen"]),
            count=int(data["count"]),
            evidence=[Evidence(**e) for e in data["evidence"]],
            details=dict(data["details"]),
            observations=[from_dict(o) for o in data["observations"]],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not an alert: {exc}") from exc
