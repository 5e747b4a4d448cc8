"""Threat detection: a learnt baseline, rules as data, findings aggregated into alerts (pure).

::

    baseline = Baseline()
    baseline.learn(normal_observations)
    baseline.frozen = True
    engine = DetectionEngine(baseline)          # otm's rules (rules.yaml)
    book = AlertBook()
    book.add(engine.detect(new_observations))   # one alert per rule and thing, with counts

No I/O and no clock: times come from the observations, so a replay gives the
same alerts.  The baseline and the alerts are plain data for the store.
"""

from otm.detection.alerts import (
    EVIDENCE_KEPT,
    Alert,
    AlertBook,
    Finding,
    alert_from_dict,
    alert_id,
    alert_to_dict,
)
from otm.detection.baseline import Baseline, observation_ends, observation_time
from otm.detection.detectors import KINDS, PlantContext
from otm.detection.engine import DetectionEngine
from otm.detection.rules import (
    TECHNIQUES,
    Rule,
    RuleError,
    RuleSet,
    Severity,
    default_rules,
    parse_rules,
)

__all__ = [
    "EVIDENCE_KEPT",
    "KINDS",
    "TECHNIQUES",
    "Alert",
    "AlertBook",
    "Baseline",
    "DetectionEngine",
    "Finding",
    "PlantContext",
    "Rule",
    "RuleError",
    "RuleSet",
    "Severity",
    "alert_from_dict",
    "alert_id",
    "alert_to_dict",
    "default_rules",
    "observation_ends",
    "observation_time",
    "parse_rules",
]
