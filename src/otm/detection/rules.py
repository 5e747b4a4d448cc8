"""Detection rules as data: what each rule looks for, how bad it is, which ATT&CK technique.

A rule names a *kind* (the detector that evaluates it, ``detectors.KINDS``)
and the parameters of that kind; everything an analyst tunes - severity,
thresholds, which operations count, whether the rule runs at all - is in
the rule, not in code.  otm ships its rules in ``rules.yaml`` beside this
module (``default_rules``); a user's ``otm.rules/1`` file may disable,
re-rate or re-parameterise them by id and add rules of the existing kinds::

    schema: otm.rules/1
    disable: [OTM-NEW-PROTOCOL]
    rules:
      - id: OTM-PLC-STOP            # an override: only the keys given change
        severity: high
      - id: SITE-UNIT-WRITE         # a new rule of an existing kind
        name: Writes to the boiler PLC
        kind: operation
        severity: high
        technique: T0855
        params: {categories: [write], servers: [10.10.1.30]}

Techniques are MITRE ATT&CK for ICS ids (``T0843`` Program Download ...);
``TECHNIQUES`` names those otm's rules use.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import yaml

SCHEMA = "otm.rules/1"


class Severity(StrEnum):
    """How urgent an alert is, most urgent last in the order of ``rank``."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for low ... 3 for critical."""
        return list(Severity).index(self)


TECHNIQUES: dict[str, str] = {
    "T0800": "Activate Firmware Update Mode",
    "T0812": "Default Credentials",
    "T0814": "Denial of Service",
    "T0816": "Device Restart/Shutdown",
    "T0822": "External Remote Services",
    "T0829": "Loss of View",
    "T0830": "Adversary-in-the-Middle",
    "T0836": "Modify Parameter",
    "T0839": "Module Firmware",
    "T0840": "Network Connection Enumeration",
    "T0843": "Program Download",
    "T0845": "Program Upload",
    "T0846": "Remote System Discovery",
    "T0848": "Rogue Master",
    "T0855": "Unauthorized Command Message",
    "T0858": "Change Operating Mode",
    "T0859": "Valid Accounts",
    "T0861": "Point & Tag Identification",
    "T0866": "Exploitation of Remote Services",
    "T0869": "Standard Application Layer Protocol",
    "T0872": "Indicator Removal on Host",
    "T0886": "Remote Services",
    "T0888": "Remote System Information Discovery",
    "T0809": "Data Destruction",
    "T0885": "Commonly Used Port",
}
"""ATT&CK for ICS technique names (attack.mitre.org/techniques/ics) by id."""


class RuleError(ValueError):
    """A rules file or rule that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Rule:
    """One detection rule (see the module docstring)."""

    id: str
    name: str
    kind: str
    severity: Severity
    technique: str
    description: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True

    @property
    def technique_name(self) -> str:
        """The technique's name, or the id when otm does not know it."""
        return TECHNIQUES.get(self.technique, self.technique)

    def param(self, name: str, default: Any) -> Any:
        """A parameter, or ``default`` when the rule leaves it out."""
        return self.params.get(name, default)

    @cached_property
    def _operation_matches(self) -> dict[tuple[str, str, str], bool]:
        return {}

    def selects_operation(self, protocol: str, name: str, category: str) -> bool:
        """Whether an operation rule's ``names`` (``protocol:name`` globs), ``categories``
        and ``protocols`` select this operation; remembered per rule, since a plant's few
        hundred (protocol, name, category) triples recur millions of times."""
        key = (protocol, name, category)
        known = self._operation_matches.get(key)
        if known is None:
            known = self._select(protocol, name, category)
            if len(self._operation_matches) < 65536:
                self._operation_matches[key] = known
        return known

    def _select(self, protocol: str, name: str, category: str) -> bool:
        protocols = self.param("protocols", None)
        if protocols is not None and protocol not in protocols:
            return False
        categories = self.param("categories", None)
        if categories is not None and category in categories:
            return True
        for pattern in self.param("names", ()):
            proto, _, op = pattern.rpartition(":")
            if proto and not fnmatch.fnmatchcase(protocol, proto):
                continue
            if fnmatch.fnmatchcase(name, op):
                return True
        return False


_ID = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,63}$")
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
_KEYS = {"id", "name", "kind", "severity", "technique", "description", "params", "enabled"}


def _rule(data: object, where: str, base: Rule | None, kinds: Iterable[str]) -> Rule:
    if not isinstance(data, Mapping):
        raise RuleError(f"{where}: a rule is a mapping, not {type(data).__name__}")
    unknown = set(data) - _KEYS
    if unknown:
        raise RuleError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise RuleError(f"{where}: id {rule_id!r} is not an id (A-Z, 0-9, '-' and '_')")
    values: dict[str, Any] = {}
    for key in ("name", "kind", "description", "technique"):
        if key in data:
            if not isinstance(data[key], str):
                raise RuleError(f"{where} ({rule_id}): {key} must be text")
            values[key] = data[key]
    if "severity" in data:
        try:
            values["severity"] = Severity(str(data["severity"]))
        except ValueError:
            raise RuleError(
                f"{where} ({rule_id}): severity {data['severity']!r} is not one of "
                f"{', '.join(s.value for s in Severity)}"
            ) from None
    if "params" in data:
        if not isinstance(data["params"], Mapping):
            raise RuleError(f"{where} ({rule_id}): params must be a mapping")
        values["params"] = {**(base.params if base else {}), **dict(data["params"])}
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise RuleError(f"{where} ({rule_id}): enabled must be true or false")
        values["enabled"] = data["enabled"]
    if base is not None:
        rule = replace(base, **values)
    else:
        missing = [k for k in ("name", "kind", "severity", "technique") if k not in values]
        if missing:
            raise RuleError(f"{where} ({rule_id}): a new rule needs {', '.join(missing)}")
        rule = Rule(id=rule_id, **values)
    known = set(kinds)
    if rule.kind not in known:
        raise RuleError(
            f"{where} ({rule_id}): kind {rule.kind!r} is not one of {', '.join(sorted(known))}"
        )
    if not _TECHNIQUE.match(rule.technique):
        raise RuleError(f"{where} ({rule_id}): technique {rule.technique!r} is not an id (T0843)")
    return rule


class RuleSet:
    """The rules in force, by id, in file order."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.id in self._rules:
                raise RuleError(f"rule {rule.id} is defined twice")
            self._rules[rule.id] = rule

    def __iter__(self) -> Any:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def get(self, rule_id: str) -> Rule:
        """A rule by id; ``KeyError`` names the known ones."""
        try:
            return self._rules[rule_id]
        except KeyError:
            raise KeyError(f"no rule {rule_id!r}") from None

    def enabled(self) -> list[Rule]:
        """The rules that run."""
        return [r for r in self._rules.values() if r.enabled]

    def apply(self, text: str, source: str, kinds: Iterable[str]) -> RuleSet:
        """These rules changed by an ``otm.rules/1`` document (see the module docstring)."""
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RuleError(f"{source}: not YAML: {exc}") from None
        if not isinstance(doc, Mapping) or doc.get("schema") != SCHEMA:
            raise RuleError(f"{source}: not an {SCHEMA} document (schema: {SCHEMA} first)")
        unknown = set(doc) - {"schema", "rules", "disable"}
        if unknown:
            raise RuleError(f"{source}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        kinds = list(kinds)
        rules = dict(self._rules)
        for i, item in enumerate(doc.get("rules") or []):
            rule_id = item.get("id") if isinstance(item, Mapping) else None
            base = rules.get(rule_id) if isinstance(rule_id, str) else None
            rule = _rule(item, f"{source}: rules[{i}]", base, kinds)
            rules[rule.id] = rule
        for rule_id in doc.get("disable") or []:
            if rule_id not in rules:
                raise RuleError(f"{source}: disable: no rule {rule_id!r}")
            rules[rule_id] = replace(rules[rule_id], enabled=False)
        return RuleSet(rules.values())


def parse_rules(text: str, source: str, kinds: Iterable[str]) -> RuleSet:
    """A complete rule set from an ``otm.rules/1`` document (every rule new)."""
    return RuleSet([]).apply(text, source, kinds)


def default_rules(kinds: Iterable[str]) -> RuleSet:
    """The rules otm ships (``rules.yaml`` beside this module), parsed once a process (a
    rule set is not changed in place: ``apply`` makes a new one)."""
    return _shipped(tuple(kinds))


@lru_cache(maxsize=8)
def _shipped(kinds: tuple[str, ...]) -> RuleSet:
    text = resources.files("otm.detection").joinpath("rules.yaml").read_text(encoding="utf-8")
    return parse_rules(text, "otm's rules.yaml", kinds)
