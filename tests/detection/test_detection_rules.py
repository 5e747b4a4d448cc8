"""Rules as data: otm's own file loads, a site's file tunes it, bad files say what is wrong."""

from __future__ import annotations

import pytest

from otm.detection import KINDS, TECHNIQUES, RuleError, Severity, default_rules, parse_rules


def test_otm_rules_load_and_name_known_kinds_and_techniques() -> None:
    rules = default_rules(KINDS)
    assert len(rules) >= 20
    for rule in rules:
        assert rule.kind in KINDS
        assert rule.technique in TECHNIQUES, rule.id
        assert rule.name and rule.description, rule.id
    # every kind otm has is used by at least one shipped rule
    assert {r.kind for r in rules} == set(KINDS)


def test_a_site_file_overrides_disables_and_adds() -> None:
    rules = default_rules(KINDS).apply(
        """
schema: otm.rules/1
disable: [OTM-NEW-PROTOCOL]
rules:
  - {id: OTM-PLC-STOP, severity: high}
  - {id: OTM-SWEEP, params: {hosts: 3}}
  - id: SITE-BOILER-WRITES
    name: Writes to the boiler PLC
    kind: operation
    severity: high
    technique: T0855
    params: {categories: [write], servers: [10.10.1.30]}
""",
        "site.yaml",
        KINDS,
    )
    assert rules.get("OTM-PLC-STOP").severity is Severity.HIGH
    assert rules.get("OTM-PLC-STOP").params["names"]  # untouched keys stay
    assert rules.get("OTM-SWEEP").params == {"hosts": 3, "ports": 10, "window": 300}
    assert not rules.get("OTM-NEW-PROTOCOL").enabled
    assert "OTM-NEW-PROTOCOL" not in {r.id for r in rules.enabled()}
    assert rules.get("SITE-BOILER-WRITES").technique_name == "Unauthorized Command Message"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("rules: []", ["not an otm.rules/1 document"]),
        ("schema: otm.rules/1\nrules: [{id: X1, name: n, kind: nope, severity: low, "
         "technique: T0855}]", ["kind 'nope'"]),
        ("schema: otm.rules/1\nrules: [{id: X1, name: n, kind: operation, severity: dire, "
         "technique: T0855}]", ["severity 'dire'"]),
        ("schema: otm.rules/1\nrules: [{id: 'bad id', name: n}]", ["id 'bad id'"]),
        ("schema: otm.rules/1\nrules: [{id: X1, kind: operation}]", ["needs name, severity"]),
        ("schema: otm.rules/1\nrules: [{id: X1, name: n, kind: operation, severity: low, "
         "technique: 'attack'}]", ["technique 'attack'"]),
        ("schema: otm.rules/1\nrules: [{id: X1, colour: red}]", ["unknown key(s) colour"]),
        ("schema: otm.rules/1\ndisable: [NOPE]", ["disable: no rule 'NOPE'"]),
        ("schema: otm.rules/1\nrules: [{id: X1, name: n, kind: operation, severity: low, "
         "technique: T0855, params: [1]}]", ["params must be a mapping"]),
        ("schema: [", ["not YAML"]),
    ],
)  # fmt: skip
def test_bad_rule_files_say_where_and_why(text: str, words: list[str]) -> None:
    with pytest.raises(RuleError) as err:
        parse_rules(text, "site.yaml", KINDS)
    message = str(err.value)
    assert message.startswith("site.yaml")
    for word in words:
        assert word in message, message
