"""Known vulnerabilities: CSAF advisories in, devices affected (with why) out.

Pure domain, no I/O: the service reads the files and the store keeps them::

    advisory = parse_advisory(data, "icsa-22-104-06.json")   # or CsafError
    matcher = Matcher([advisory, ...])
    for match in matcher.match_assets(inventory.assets.values(), Confidence.MEDIUM):
        match.confidence, match.reason, match.cves, match.max_score, match.remediations

``csaf`` parses CSAF 2.0 (and 2.1) JSON into ``records``; ``versions``
reads the vendors' version texts into rules; ``vendors``, ``families`` and
``designations`` say who made a device and which product names are its;
``subjects`` turns assets and their modules into what is matched;
``matching`` decides, with a confidence and a reason a reviewer can check.
``exposure`` gives the hints beside them (``exposure_hints(inventory, plant,
conduits)``): firmware behind the newest seen on the same product,
protocols without authentication a device serves, devices the enterprise
side reaches.
"""

from __future__ import annotations

from otm.vulns.csaf import CsafError, advisory_from_json, parse_advisory, revision_key
from otm.vulns.exposure import Hint, HintKind, HintSeverity, exposure_hints
from otm.vulns.matching import Confidence, Match, Matcher, Strength, explain, match_advisory
from otm.vulns.records import Advisory, Product, Remediation, Score, Vulnerability
from otm.vulns.subjects import Subject, subjects_of
from otm.vulns.versions import Verdict, Version, VersionRule, parse_rule

__all__ = [
    "Advisory",
    "Confidence",
    "CsafError",
    "Hint",
    "HintKind",
    "HintSeverity",
    "Match",
    "Matcher",
    "Product",
    "Remediation",
    "Score",
    "Strength",
    "Subject",
    "Verdict",
    "Version",
    "VersionRule",
    "Vulnerability",
    "advisory_from_json",
    "explain",
    "exposure_hints",
    "match_advisory",
    "parse_advisory",
    "parse_rule",
    "revision_key",
    "subjects_of",
]
