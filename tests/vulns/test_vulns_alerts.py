"""Known vulnerabilities as alerts (rule OTM-KNOWN-VULNERABILITY): devices built by hand
against the shared CISA advisories, first pure (one alert per device, its severity from
CVSS, the rule's thresholds), then through the store on SQLite and PostgreSQL (raised,
left alone when nothing changed, reopened only for news, closed when a device no
longer matches).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from vulns_support import ADVISORIES, EVIDENCE, make_asset, shared_advisories

from otm.detection import KINDS, Severity, alert_from_dict, alert_id, alert_to_dict, default_rules
from otm.model.assets import Asset, FieldValue, Inventory
from otm.observations.records import Evidence
from otm.services import siem
from otm.services.detection import rules_in_force
from otm.services.vulns import VulnsError, import_paths
from otm.services.vulns_alerts import (
    RULE_ID,
    AlertPolicy,
    cvss_severity,
    refresh_alerts,
    vulnerability_alerts,
)
from otm.store.combined import Store
from otm.vulns.matching import Confidence, Matcher

CAPTURED = Evidence("capture", "plant.pcap", 42, "s7comm read_szl 0x0011 response")


def s7_315(firmware: str = "V3.2.7") -> Asset:
    """A Siemens S7-300 CPU 315-2 PN/DP: three shared advisories apply below V3.2.19."""
    asset = make_asset(
        "10.0.0.1",
        "s7comm",
        vendor="Siemens",
        model="CPU 315-2 PN/DP",
        order_number="6ES7 315-2EH14-0AB0",
    )
    asset.fields["firmware"] = [FieldValue(firmware, CAPTURED, 150.0, 190.0, "s7comm")]
    asset.first_seen, asset.last_seen = 100.0, 200.0
    return asset


def cp1l() -> Asset:
    """An Omron CP1L-EL20DR-D (FINS names the vendor): ICSA-23-073-01, CVSS 9.1."""
    asset = make_asset("10.0.0.2", "omron-fins", model="CP1L-EL20DR-D", firmware="01.00")
    asset.first_seen, asset.last_seen = 110.0, 210.0
    return asset


def chassis() -> Asset:
    """A ControlLogix 1756-EN2T/A with a 1756-L83E/B CPU in slot 0."""
    return make_asset(
        "10.0.0.15",
        "enip",
        vendor="Rockwell Automation/Allen-Bradley",
        model="1756-EN2T/A",
        firmware="5.008",
        components={
            "slot 0": {
                "vendor": "Rockwell Automation/Allen-Bradley",
                "model": "1756-L83E/B",
                "firmware": "33.011",
            }
        },
    )


RULE = default_rules(KINDS).get(RULE_ID)
S7_ADVISORIES = {"ICSA-22-104-06", "ICSA-22-314-02", "ICSA-23-222-09"}


def alerts_of(*assets: Asset, policy: AlertPolicy | None = None, rule=RULE):  # type: ignore[no-untyped-def]
    inv = Inventory(assets={a.id: a for a in assets})
    matches = Matcher(shared_advisories()).match_assets(inv.assets.values())
    return {a.key: a for a in vulnerability_alerts(rule, matches, inv, policy)}


# -- pure --------------------------------------------------------------------------------


def test_the_rule_is_shipped_with_its_technique_and_thresholds() -> None:
    assert RULE.kind == "vulnerability" and RULE.enabled
    assert RULE.technique == "T0866" and RULE.technique_name == "Exploitation of Remote Services"
    assert RULE.severity is Severity.MEDIUM
    assert AlertPolicy.of(RULE) == AlertPolicy(Confidence.MEDIUM, 4.0, True)


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (0.0, None),
        (0.1, Severity.LOW),
        (3.9, Severity.LOW),
        (4.0, Severity.MEDIUM),
        (6.9, Severity.MEDIUM),
        (7.0, Severity.HIGH),
        (8.9, Severity.HIGH),
        (9.0, Severity.CRITICAL),
        (10.0, Severity.CRITICAL),
    ],
)
def test_cvss_ratings_follow_first(score: float, severity: Severity | None) -> None:
    assert cvss_severity(score) is severity


def test_one_alert_per_device_with_every_advisory() -> None:
    alert = alerts_of(s7_315())["asset-10.0.0.1"]
    assert alert.id == alert_id(RULE_ID, "asset-10.0.0.1")
    assert alert.rule_id == RULE_ID and alert.technique == "T0866"
    assert alert.count == 3 and set(alert.details["advisories"]) == S7_ADVISORIES
    assert alert.details["cves"] == ["CVE-2022-25622", "CVE-2022-30694", "CVE-2022-4304"]
    assert alert.details["cvss"] == 6.5 and alert.severity is Severity.MEDIUM
    assert alert.subjects == ("10.0.0.1",)
    assert (alert.first_seen, alert.last_seen) == (100.0, 200.0)  # the device's, packet time
    assert alert.message == (
        "10.0.0.1 Siemens CPU 315-2 PN/DP (6ES7 315-2EH14-0AB0) firmware V3.2.7: 3 known "
        "vulnerabilities in 3 advisories (ICSA-22-314-02, ICSA-23-222-09, ICSA-22-104-06), "
        "highest CVSS 6.5 medium, high confidence"
    )
    # evidence: where the device said its firmware, then each advisory and what matched
    assert alert.evidence[0] == CAPTURED
    assert [e.ref for e in alert.evidence[1:]] == [
        "ICSA-22-314-02 rev 2",
        "ICSA-23-222-09 rev 1",
        "ICSA-22-104-06 rev 2",
    ]
    assert all(e.source == "advisory" for e in alert.evidence[1:])
    assert "by order number 6ES7315-2EH14-0AB0; firmware V3.2.7 is <V3.2.19" in (
        alert.evidence[1].message
    )
    assert any(
        "vendor_fix: Update to V3.2.19 or later version" in r for r in alert.details["remediations"]
    )
    assert all("order number 6ES7315-2EH14-0AB0" in r for r in alert.details["reasons"])
    assert alert_from_dict(alert_to_dict(alert)) == alert


def test_modules_land_on_their_asset_s_alert() -> None:
    alert = alerts_of(chassis())["asset-10.0.0.15"]
    assert alert.details["modules"] == ["slot 0"]
    assert set(alert.details["advisories"]) == {
        "ICSA-18-310-02",
        "ICSA-24-226-09",
        "ICSA-24-226-10",
        "ICSA-24-284-20",
    }
    assert alert.message.startswith("10.0.0.15 Rockwell Automation/Allen-Bradley 1756-EN2T/A")
    assert " and 1 more module: " in alert.message
    assert any(m.startswith("slot 0: ICSA-24-226-10") for m in alert.details["matches"])
    assert alert.severity is Severity.HIGH  # 8.6


def test_severity_from_cvss_with_the_rule_as_floor() -> None:
    assert alerts_of(cp1l())["asset-10.0.0.2"].severity is Severity.CRITICAL  # 9.1
    policy = AlertPolicy(Confidence.MEDIUM, 4.0, severity_from_cvss=False)
    assert alerts_of(cp1l(), policy=policy)["asset-10.0.0.2"].severity is Severity.MEDIUM
    floor = replace(RULE, severity=Severity.HIGH)
    assert alerts_of(s7_315(), rule=floor)["asset-10.0.0.1"].severity is Severity.HIGH


def test_thresholds_of_confidence_and_score() -> None:
    higher = alerts_of(s7_315(), policy=AlertPolicy(Confidence.MEDIUM, 6.0, True))
    assert higher["asset-10.0.0.1"].details["advisories"] == ["ICSA-22-314-02"]
    assert alerts_of(s7_315(), policy=AlertPolicy(Confidence.MEDIUM, 7.0, True)) == {}
    # The S7-1200 family advisories with "all versions" are low confidence.
    s7_1200 = make_asset(
        "10.0.0.3",
        "s7comm-plus",
        vendor="Siemens",
        model="S7-1200 CPU 1214C DC/DC/Rly",
        order_number="6ES7 214-1HE30-0XB0",
        firmware="V2.2",
    )
    everything = alerts_of(s7_1200, policy=AlertPolicy(Confidence.LOW, 0.0, True))
    default = alerts_of(s7_1200)
    assert len(everything["asset-10.0.0.3"].details["advisories"]) > len(
        default["asset-10.0.0.3"].details["advisories"]
    )
    assert any("low confidence" in m for m in everything["asset-10.0.0.3"].details["matches"])


def test_rule_parameters_are_checked() -> None:
    for params, text in (
        ({"min_confidence": "certain"}, "min_confidence 'certain'"),
        ({"min_cvss": 11}, "min_cvss 11"),
        ({"min_cvss": "high"}, "min_cvss 'high'"),
        ({"severity_from_cvss": "yes"}, "severity_from_cvss must be"),
    ):
        rule = replace(RULE, params={**RULE.params, **params})
        with pytest.raises(VulnsError, match=text):
            AlertPolicy.of(rule)


# -- through the store ----------------------------------------------------------------------


def _import(store: Store, *names: str, now: float = 1000.0) -> None:
    import_paths(store, [ADVISORIES / n for n in names], now)


def _stored(store: Store) -> dict[str, tuple[str, dict[str, object], float]]:
    return {s.data["key"]: (s.status, s.data, s.updated_at) for s in store.alerts(rule=RULE_ID)}


def test_alerts_follow_the_matches(store_url: str) -> None:
    with Store(store_url) as store:
        store.save_inventory(Inventory(assets={a.id: a for a in (s7_315(), cp1l())}))
        _import(store, "icsa-22-104-06.json", "icsa-23-222-09.json", "icsa-23-073-01.json")
        first = refresh_alerts(store, 2000.0)
        assert (first.new, first.updated, first.closed) == (2, 0, [])
        stored = _stored(store)
        s7_status, s7, s7_time = stored["asset-10.0.0.1"]
        assert s7_status == "open" and s7["severity"] == "medium" and s7["count"] == 2
        assert stored["asset-10.0.0.2"][1]["severity"] == "critical"
        assert stored["asset-10.0.0.2"][1]["details"]["cves"] == ["CVE-2023-0811"]

        # the same matches computed again write nothing
        again = refresh_alerts(store, 3000.0)
        assert (again.new, again.updated, again.unchanged, again.closed) == (0, 0, 2, [])
        assert _stored(store)["asset-10.0.0.1"][2] == s7_time

        # closed by an analyst: it stays closed while nothing new applies ...
        store.set_alert_status(str(s7["id"]), "closed", "ana", 3100.0, "patch planned")
        assert refresh_alerts(store, 3200.0).changed is False
        assert _stored(store)["asset-10.0.0.1"][0] == "closed"
        # ... and opens again, with a note, when another advisory applies
        _import(store, "icsa-22-314-02.json")
        news = refresh_alerts(store, 3300.0)
        assert (news.new, news.updated) == (0, 1)
        status, s7, _ = _stored(store)["asset-10.0.0.1"]
        assert status == "open" and s7["count"] == 3
        assert set(s7["details"]["advisories"]) == S7_ADVISORIES  # type: ignore[call-overload]
        assert store.alert_notes(str(s7["id"]))[-1].action == "reopen"

        # the firmware is upgraded past the fix: the alert is closed by otm, with why
        store.save_inventory(Inventory(assets={a.id: a for a in (s7_315("V3.2.19"), cp1l())}))
        fixed = refresh_alerts(store, 4000.0)
        assert fixed.closed == [s7["id"]] and (fixed.new, fixed.updated) == (0, 0)
        assert _stored(store)["asset-10.0.0.1"][0] == "closed"
        note = store.alert_notes(str(s7["id"]))[-1]
        assert (note.user, note.action) == ("otm", "closed")
        assert note.text == (
            "resolved: no imported advisory matches 10.0.0.1 any more at medium confidence "
            "and CVSS 4 or above (firmware now V3.2.19)"
        )
        assert refresh_alerts(store, 4100.0).changed is False  # it does not keep firing

        # an acknowledged alert whose device left the inventory is closed too
        omron = str(_stored(store)["asset-10.0.0.2"][1]["id"])
        store.set_alert_status(omron, "acknowledged", "ana", 4200.0)
        store.save_inventory(Inventory(assets={"asset-10.0.0.1": s7_315("V3.2.19")}))
        assert refresh_alerts(store, 4300.0).closed == [omron]
        assert store.alert_notes(omron)[-1].text == (
            "resolved: the device is no longer in the inventory"
        )

        # what the SIEM gets
        line = siem.cef_line(store.alert(omron))  # type: ignore[arg-type]
        assert "|OTM-KNOWN-VULNERABILITY|Device affected by known vulnerabilities|10|" in line
        assert "src=10.0.0.2" in line and "cs3=test hand-made" in line


def test_a_site_disables_or_retunes_the_rule(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'otm.db'}") as store:
        store.save_inventory(Inventory(assets={"asset-10.0.0.1": s7_315()}))
        _import(store, "icsa-22-104-06.json", "icsa-22-314-02.json", "icsa-23-222-09.json")
        off = tmp_path / "off.yaml"
        off.write_text(f"schema: otm.rules/1\ndisable: [{RULE_ID}]\n", encoding="utf-8")
        disabled = refresh_alerts(store, 2000.0, rules_in_force(off))
        assert disabled.enabled is False and store.alerts(rule=RULE_ID) == []
        strict = tmp_path / "strict.yaml"
        strict.write_text(
            "schema: otm.rules/1\nrules:\n"
            f"  - id: {RULE_ID}\n    severity: high\n    params: {{min_cvss: 6.0}}\n",
            encoding="utf-8",
        )
        refresh_alerts(store, 2100.0, rules_in_force(strict))
        (alert,) = store.alerts(rule=RULE_ID)
        assert alert.data["details"]["advisories"] == ["ICSA-22-314-02"]
        assert alert.data["severity"] == "high"  # the site's floor beats CVSS 6.5 medium
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            f"schema: otm.rules/1\nrules:\n  - id: {RULE_ID}\n    params: {{min_cvss: x}}\n",
            encoding="utf-8",
        )
        with pytest.raises(VulnsError, match="min_cvss 'x'"):
            refresh_alerts(store, 2200.0, rules_in_force(bad))


def test_nothing_to_do_without_advisories(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'otm.db'}") as store:
        store.save_inventory(Inventory(assets={"asset-10.0.0.1": s7_315()}))
        outcome = refresh_alerts(store, 1.0)
        assert outcome.enabled and not outcome.changed and outcome.unchanged == 0
        assert store.alerts() == []


def test_identity_evidence_of_a_module() -> None:
    asset = chassis()
    asset.components["slot 0"].fields["firmware"] = [
        FieldValue("33.011", CAPTURED, 1.0, 2.0, "enip")
    ]
    alert = alerts_of(asset)["asset-10.0.0.15"]
    assert alert.evidence[:2] == [EVIDENCE, CAPTURED]  # the asset's, then slot 0's
