"""Matching devices built by hand against the shared advisories and against small
advisories written for one edge each: vendors, identities, versions, statuses,
confidence, remediations.
"""

from __future__ import annotations

from vulns_support import (
    make_advisory,
    make_asset,
    shared_advisories,
    shared_advisory,
    vulnerability,
)

from otm.model.assets import Asset
from otm.vulns.matching import Confidence, Match, Matcher, Strength, explain, match_advisory
from otm.vulns.records import RemediationCategory
from otm.vulns.subjects import Subject, VendorSource, subjects_of
from otm.vulns.vendors import same_vendor, vendor_key


def _subject(asset: Asset) -> Subject:
    subjects = subjects_of(asset)
    assert len(subjects) == 1
    return subjects[0]


def _matches(asset: Asset) -> dict[str, Match]:
    matcher = Matcher(shared_advisories())
    return {m.advisory_id: m for s in subjects_of(asset) for m in matcher.match(s)}


def s7_315(firmware: str | None = "V3.2.7", order: str | None = "6ES7 315-2EH14-0AB0") -> Asset:
    fields: dict[str, str | int] = {"vendor": "Siemens", "model": "CPU 315-2 PN/DP"}
    if firmware:
        fields["firmware"] = firmware
    if order:
        fields["order_number"] = order
    return make_asset("10.0.0.1", "s7comm", **fields)


S7_300_ADVISORIES = {"ICSA-22-104-06", "ICSA-22-314-02", "ICSA-23-222-09"}


# -- vendors ----------------------------------------------------------------------------


def test_vendor_aliases() -> None:
    rockwell = ["Rockwell Automation", "Rockwell Automation/Allen-Bradley", "Allen-Bradley"]
    assert len({vendor_key(n) for n in rockwell}) == 1
    assert same_vendor("Siemens", "Siemens AG")
    assert same_vendor("Siemens Schweiz AG (Formerly: Cerberus AG)", "SIEMENS")
    assert same_vendor("Schneider Electric Software, LLC", "Schneider")
    assert same_vendor("OMRON Corporation", "Omron")
    assert same_vendor("Schweitzer Engineering Laboratories", "SEL")
    assert same_vendor("Acme Widgets, Inc.", "ACME Widgets GmbH")
    assert not same_vendor("ProSoft Technology", "Rockwell Automation")
    assert not same_vendor("Selco", "SEL")
    assert not same_vendor(None, None)


def test_no_vendor_no_match() -> None:
    asset = make_asset(
        "10.0.0.2",
        "snmp",
        model="CPU 315-2 PN/DP",
        firmware="V3.2.7",
        order_number="6ES7 315-2EH14-0AB0",
    )
    subject = _subject(asset)
    assert subject.vendor is None
    assert _matches(asset) == {}


def test_another_vendor_with_the_same_model_no_match() -> None:
    asset = make_asset(
        "10.0.0.3",
        "modbus",
        vendor="Acme Clones",
        model="CPU 315-2 PN/DP",
        order_number="6ES7 315-2EH14-0AB0",
        firmware="V3.2.7",
    )
    assert _matches(asset) == {}


def test_a_vendor_only_from_the_oui_lowers_confidence() -> None:
    said = make_asset("10.0.0.4", "omron-fins", model="CP1L-EL20DR-D", firmware="1.0")
    oui = make_asset(
        "10.0.0.5", "snmp", model="CP1L-EL20DR-D", firmware="1.0", mac_vendor="OMRON Corporation"
    )
    assert _subject(said).vendor_source is VendorSource.PROTOCOL
    assert _subject(oui).vendor_source is VendorSource.OUI
    for advisory in ("ICSA-23-073-01", "ICSA-22-179-02"):
        strong, weak = _matches(said)[advisory], _matches(oui)[advisory]
        assert weak.confidence.rank == strong.confidence.rank - 1
        assert "OUI" in weak.reason


# -- identity ---------------------------------------------------------------------------


def test_order_number_spaces_do_not_matter() -> None:
    for order in ("6ES7 315-2EH14-0AB0", "6ES7315-2EH14-0AB0", "6es7 315-2eh14-0ab0"):
        found = _matches(s7_315(order=order))
        assert set(found) == S7_300_ADVISORIES
        assert all(m.confidence is Confidence.HIGH for m in found.values())
        assert all("order number 6ES7315-2EH14-0AB0" in m.reason for m in found.values())


def test_a_model_name_without_order_number_is_not_exact() -> None:
    found = _matches(s7_315(order=None))
    assert set(found) == S7_300_ADVISORIES
    for m in found.values():
        assert m.confidence is Confidence.MEDIUM
        assert "the device's is not known" in m.identified
        assert m.product.label.startswith("SIMATIC")  # the first of equal entries


def test_another_order_number_vetoes_the_same_model_name() -> None:
    asset = make_asset(
        "10.0.0.6",
        "s7comm-plus",
        vendor="Siemens",
        model="S7-1200 CPU 1214C DC/DC/Rly",
        order_number="6ES7 214-1HE30-0XB0",
        firmware="V4.5",
    )
    judged = {
        p.product_id: i for p, i in explain(_subject(asset), shared_advisory("ICSA-24-284-01"))
    }
    assert judged["CSAFPID-0014"].strength is Strength.NONE
    assert "6ES7214-1HG40-0XB0" in judged["CSAFPID-0014"].why
    assert "ICSA-24-284-01" not in _matches(asset)
    with_new_hardware = make_asset(
        "10.0.0.7",
        "s7comm-plus",
        vendor="Siemens",
        model="S7-1200 CPU 1214C DC/DC/Rly",
        order_number="6ES7 214-1HG40-0XB0",
        firmware="V4.5",
    )
    assert _matches(with_new_hardware)["ICSA-24-284-01"].confidence is Confidence.HIGH


def test_series_letters_must_agree() -> None:
    advisory = make_advisory(
        [
            {
                "id": "A",
                "vendor": "Rockwell Automation",
                "name": "1756-EN2T Series B",
                "version": "vers:all/*",
            },
            {
                "id": "B",
                "vendor": "Rockwell Automation",
                "name": "1756-EN2T Series D",
                "version": "<= 10.10",
            },
        ],
        [vulnerability("CVE-2024-0001", ["A", "B"])],
    )
    series_d = make_asset(
        "10.0.0.8",
        "enip",
        vendor="Rockwell Automation/Allen-Bradley",
        model="1756-EN2T/D",
        firmware="10.007",
    )
    match = match_advisory(_subject(series_d), advisory)
    assert match is not None and match.product.product_id == "B"
    assert match.confidence is Confidence.HIGH
    newer = make_asset(
        "10.0.0.9",
        "enip",
        vendor="Rockwell Automation/Allen-Bradley",
        model="1756-EN2T/D",
        firmware="11.002",
    )
    assert match_advisory(_subject(newer), advisory) is None


def test_part_number_patterns_and_families_of_schneider() -> None:
    m340 = make_asset(
        "10.0.0.10",
        "modbus",
        vendor="Schneider Electric",
        product_code="BMX P34 2020",
        model="BMX P34 2020",
        firmware="v2.7",
    )
    found = _matches(m340)
    assert found["ICSA-21-194-02"].confidence is Confidence.HIGH  # BMXP34*: exact, all versions
    assert found["ICSA-23-201-01"].confidence is Confidence.HIGH  # BMXP34*, v2.7 < SV3.51
    assert found["ICSA-19-183-01"].confidence is Confidence.MEDIUM  # "Modicon M340" < 3.01
    assert "family" not in found["ICSA-21-194-02"].identified
    m580 = make_asset(
        "10.0.0.11",
        "modbus",
        vendor="Schneider Electric",
        product_code="BMEP582040",
        firmware="v4.01",
    )
    safety = {
        p.product_id: i for p, i in explain(_subject(m580), shared_advisory("ICSA-23-227-01"))
    }
    assert safety["CSAFPID-0005"].strength is Strength.NONE  # BMEP58*S: the safety CPUs
    assert "BMEP582040" in safety["CSAFPID-0005"].why
    assert _matches(m580)["ICSA-23-227-01"].product.product_id == "CSAFPID-0004"


def test_controllogix_generations_and_placeholders() -> None:
    l83 = make_asset(
        "10.0.0.12",
        "enip",
        vendor="Rockwell Automation/Allen-Bradley",
        model="1756-L83E/B",
        firmware="33.011",
    )
    found = _matches(l83)
    assert found["ICSA-24-226-09"].confidence is Confidence.HIGH  # 1756-L8z, older than every fix
    assert (
        found["ICSA-24-284-20"].confidence is Confidence.MEDIUM
    )  # "ControlLogix 5580", 33.011 < 33.017
    assert "ICSA-24-284-18" not in found  # >v33.011: not 33.011 itself
    assert "ICSA-24-256-18" not in found  # v.32.011 and v.33.011 (Process) only
    l61 = make_asset(
        "10.0.0.13",
        "enip",
        vendor="Rockwell Automation/Allen-Bradley",
        model="1756-L61/B LOGIX5561",
        firmware="16.020",
    )
    assert _matches(l61) == {}


def test_a_software_product_is_not_a_device() -> None:
    cpu = make_asset(
        "10.0.0.14", "s7comm-plus", vendor="Siemens", model="CPU 1516-3 PN/DP", firmware="V2.8"
    )
    advisory = make_advisory(
        [
            {
                "id": "S",
                "vendor": "Siemens",
                "name": "SIMATIC S7-1500 Software Controller",
                "version": "vers:all/*",
            }
        ],
        [vulnerability("CVE-2024-0002", ["S"])],
    )
    assert match_advisory(_subject(cpu), advisory) is None
    judged = explain(_subject(cpu), advisory)
    assert judged[0][1].why.startswith("an application")


def test_modules_are_matched_with_their_slot() -> None:
    asset = make_asset(
        "10.0.0.15",
        "enip",
        vendor="Rockwell Automation/Allen-Bradley",
        model="1756-EN2T/A",
        firmware="5.008",
        serial="0x1",
        components={
            "slot 0": {
                "vendor": "Rockwell Automation/Allen-Bradley",
                "model": "1756-L83E/B",
                "firmware": "33.011",
            },
            "slot 1": {
                "vendor": "Rockwell Automation/Allen-Bradley",
                "model": "1756-EN2T/A",
                "firmware": "5.008",
                "serial": "0x1",
            },
            "slot 2": {
                "vendor": "ProSoft Technology",
                "model": "MVI56 ProSoft Technology, Inc.",
                "firmware": "1.002",
            },
        },
    )
    subjects = subjects_of(asset)
    assert [s.component for s in subjects] == [None, "slot 0", "slot 2"]  # slot 1 is the asset
    matches = Matcher(shared_advisories()).match_assets([asset])
    slots = {(m.subject.component, m.advisory_id) for m in matches}
    assert (None, "ICSA-18-310-02") in slots  # 1756-EN2T Series A, all versions
    assert ("slot 0", "ICSA-24-226-09") in slots
    assert not any(c == "slot 2" for c, _ in slots)
    slot0 = next(m for m in matches if m.subject.component == "slot 0")
    assert slot0.subject.label == "10.0.0.15 slot 0"


# -- versions ---------------------------------------------------------------------------


def test_firmware_at_or_above_the_fix_is_not_affected() -> None:
    for firmware in ("V3.2.19", "V3.2.20", "V3.3.1", "4.0"):
        assert _matches(s7_315(firmware=firmware)) == {}, firmware


def test_unknown_firmware_is_undecidable_not_absent() -> None:
    found = _matches(s7_315(firmware=None))
    assert set(found) == S7_300_ADVISORIES
    assert all(m.confidence is Confidence.MEDIUM for m in found.values())
    assert all("firmware unknown" in m.version for m in found.values())


def test_unreadable_firmware_is_undecidable() -> None:
    found = _matches(s7_315(firmware="BBBBBBBBBBBBBBBBBBBB"))
    assert all("not a version otm can compare" in m.version for m in found.values())
    assert all(m.confidence is Confidence.MEDIUM for m in found.values())


def test_omron_cp1l_at_the_fixed_version() -> None:
    asset = make_asset("10.0.0.16", "omron-fins", model="CP1L-EL20DR-D", firmware="1.10")
    found = _matches(asset)
    assert "ICSA-22-179-02" not in found  # < 1.10: fixed in 1.10
    assert found["ICSA-23-073-01"].confidence is Confidence.HIGH  # all versions


def test_a_condition_lowers_confidence() -> None:
    advisory = make_advisory(
        [
            {
                "id": "E",
                "vendor": "Siemens",
                "name": "SIMATIC S7-300 CPU 315-2 PN/DP",
                "version": "All versions with Ethernet interface",
            }
        ],
        [vulnerability("CVE-2024-0003", ["E"])],
    )
    match = match_advisory(_subject(s7_315(order=None)), advisory)
    assert match is not None
    assert match.confidence is Confidence.MEDIUM  # exact model, all versions, condition unchecked
    assert "not checked: only with Ethernet interface" in match.reason


# -- statuses ---------------------------------------------------------------------------

PRODUCTS = [
    {
        "id": "OLD",
        "vendor": "Siemens",
        "name": "SIMATIC S7-300 CPU 315-2 PN/DP",
        "version": "<V3.2.19",
    },
    {
        "id": "NEW",
        "vendor": "Siemens",
        "name": "SIMATIC S7-300 CPU 315-2 PN/DP",
        "version": "V3.2.19",
        "category": "product_version",
    },
    {
        "id": "FAM",
        "vendor": "Siemens",
        "name": "SIMATIC S7-300 CPU family",
        "version": "vers:all/*",
    },
]


def test_fixed_and_not_affected_entries_clear_the_device() -> None:
    advisory = make_advisory(PRODUCTS[:2], [vulnerability("CVE-2024-0004", ["OLD"], fixed=["NEW"])])
    assert match_advisory(_subject(s7_315(firmware="V3.2.19", order=None)), advisory) is None
    assert match_advisory(_subject(s7_315(firmware="V3.2.7", order=None)), advisory) is not None
    not_affected = make_advisory(
        PRODUCTS[:2], [vulnerability("CVE-2024-0005", ["OLD"], known_not_affected=["NEW"])]
    )
    assert match_advisory(_subject(s7_315(firmware="V3.2.19", order=None)), not_affected) is None


def test_a_family_level_clearance_does_not_hide_an_exact_affected_entry() -> None:
    advisory = make_advisory(
        [PRODUCTS[0], PRODUCTS[2]],
        [vulnerability("CVE-2024-0006", ["OLD"], known_not_affected=["FAM"])],
    )
    match = match_advisory(_subject(s7_315(firmware="V3.2.7", order=None)), advisory)
    assert match is not None and match.product.product_id == "OLD"


def test_only_vulnerabilities_of_matched_products_are_listed() -> None:
    advisory = make_advisory(
        PRODUCTS,
        [
            vulnerability("CVE-2024-0007", ["OLD"], score=9.8),
            vulnerability("CVE-2024-0008", ["FAM"], score=4.3),
            vulnerability("CVE-2024-0009", ["NEW"], score=5.0),
        ],
    )
    match = match_advisory(_subject(s7_315(firmware="V3.2.7", order=None)), advisory)
    assert match is not None
    assert match.cves == ["CVE-2024-0007", "CVE-2024-0008"]
    top = match.max_score
    assert top is not None and top.base_score == 9.8
    assert [v.confidence for v in match.vulnerabilities] == [Confidence.HIGH, Confidence.LOW]
    assert match.confidence is Confidence.HIGH


# -- remediations -----------------------------------------------------------------------


def test_remediations_about_this_device_first_then_fixes_before_mitigations() -> None:
    found = _matches(make_asset("10.0.0.17", "omron-fins", model="CP1L-EL20DR-D", firmware="1.0"))
    first = found["ICSA-22-179-02"].remediations[0]
    assert first.details.endswith("CP1L: v1.10 or later")
    s7 = _matches(s7_315())["ICSA-22-104-06"]
    assert s7.remediations[0].category is RemediationCategory.VENDOR_FIX
    assert s7.remediations[0].details == "Update to V3.2.19 or later version"
    enbt = _matches(
        make_asset(
            "10.0.0.18",
            "enip",
            vendor="Rockwell Automation/Allen-Bradley",
            model="1756-ENBT/A",
            firmware="4.003",
        )
    )["ICSA-18-310-02"]
    assert "1756-ENBT, all versions" in enbt.remediations[0].details
    assert "MicroLogix" not in enbt.remediations[0].details


# -- many devices -----------------------------------------------------------------------


def test_identical_devices_share_work_but_keep_their_own_subject() -> None:
    matcher = Matcher(shared_advisories())
    assets = [
        make_asset(
            f"10.1.0.{i}",
            "s7comm",
            vendor="Siemens",
            model="CPU 315-2 PN/DP",
            order_number="6ES7 315-2EH14-0AB0",
            firmware="V3.2.7",
        )
        for i in range(1, 51)
    ]
    matches = matcher.match_assets(assets)
    assert len(matches) == 150
    assert len(matcher._cache) == 1
    assert {m.subject.address for m in matches} == {f"10.1.0.{i}" for i in range(1, 51)}


def test_minimum_confidence_filters() -> None:
    s1200 = make_asset(
        "10.0.0.19",
        "s7comm-plus",
        vendor="Siemens",
        model="S7-1200 CPU 1214C DC/DC/Rly",
        order_number="6ES7 214-1HE30-0XB0",
        firmware="V2.2",
    )
    matcher = Matcher(shared_advisories())
    assert len(matcher.match_assets([s1200])) == 2
    assert [m.confidence for m in matcher.match_assets([s1200], Confidence.MEDIUM)] == [
        Confidence.MEDIUM
    ]
    assert matcher.match_assets([s1200], Confidence.HIGH) == []


def test_devices_differing_in_firmware_share_their_identification() -> None:
    matcher = Matcher(shared_advisories())
    old, new = s7_315(firmware="V3.2.7"), s7_315(firmware="V3.2.19")
    assert len(matcher.match_assets([old])) == 3
    identified = dict(matcher._identified)
    assert matcher.match_assets([new]) == []
    assert matcher._identified == identified  # reused, not recomputed
