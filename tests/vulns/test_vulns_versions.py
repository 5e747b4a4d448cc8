"""Versions and version rules: the free text of the CISA feed, firmware as otm reads it.

The table test collects every distinct version text of the 38 shared
advisories from the files themselves: each must give a rule or be
undecidable with a reason, never an exception; the undecidable ones are
named here so that a change in what is understood shows up.
"""

from __future__ import annotations

import itertools
from functools import cmp_to_key

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vulns_support import shared_documents

from otm.vulns.versions import (
    AllVersions,
    Either,
    Exact,
    Ranges,
    Trains,
    Undecidable,
    Verdict,
    Version,
    parse_rule,
)

PROPERTIES = settings(max_examples=300, deadline=None)


def v(text: str) -> Version:
    version = Version.parse(text)
    assert version is not None, text
    return version


# -- versions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("V3.2.8", "3.2.8"),
        ("32.011", "32.11"),  # CIP major.minor, zero-padded minor
        ("4.1.0", "4.1"),
        ("V3.2", "3.2.0.0"),
        ("v3.40", "3.40"),
        ("01.00", "1"),
        ("v.32.011", "V32.11"),
        ("SV3.51", "3.51"),
        ("HiOS 07.0.02", "7.0.2"),
        ("firmware 2.1", "V2.1"),
        ("3.1 Build 4022.4", "3.1.4022.4"),
        ("2.11 R3 2259", "2.11.3.2259"),
        ("V5.2 SP 3 HF 13", "V5.2 SP3 HF13"),
    ],
)
def test_equal_after_normalisation(a: str, b: str) -> None:
    assert v(a) == v(b)
    assert hash(v(a)) == hash(v(b))


@pytest.mark.parametrize(
    "ascending",
    [
        ["V3.2.7", "V3.2.8", "V3.2.19", "V3.3", "V3.10"],
        ["V4.7", "V4.7 HF1", "V4.7 HF27", "V4.7 SP1", "V4.7 SP1 HF2", "V4.7 SP2", "V4.7.1"],
        ["V9.2 SP2", "V9.2 SP2 Upd1", "V9.2 SP3"],
        ["V17", "V17 Update 5", "V18"],
        ["R100-V0", "R301-V6", "R302-V0", "R302-V1"],
        ["4.003", "4.007", "4.10", "16.020", "32.011", "33.011", "33.015"],
    ],
)
def test_order(ascending: list[str]) -> None:
    versions = [v(t) for t in ascending]
    assert versions == sorted(versions)
    assert all(a < b for a, b in itertools.pairwise(versions))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "BBBBBBBBBBBBBBBBBBBB",
        "VX.17",
        "TSXETY4103",
        "1.2.3.4.5.6.7.8.9.10.11.12.13",
        "Cisco IOS Software, CE500 Software",
        "V5.2 SP3 7",
        "x" * 500,
        "1.0beta",
    ],
)
def test_not_versions(text: str) -> None:
    assert Version.parse(text) is None


# -- rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "firmware", "verdict"),
    [
        ("<V4.7", "V4.6.9", Verdict.IN_RANGE),
        ("<V4.7", "V4.7", Verdict.OUT_OF_RANGE),
        ("V4.7: < V4.7 HF27", "V4.7 HF26", Verdict.IN_RANGE),
        ("V4.7: < V4.7 HF27", "V4.7 HF27", Verdict.OUT_OF_RANGE),
        ("V4.7: < V4.7 HF27", "V4.6", Verdict.OUT_OF_RANGE),  # another line, another entry
        ("vers:all/*", "anything at all", Verdict.ALL),
        ("vers:all/*", None, Verdict.ALL),
        ("All versions", "1.0", Verdict.ALL),
        ("vers:intdot/<2.3.1", "2.3.0", Verdict.IN_RANGE),
        ("vers:intdot/<2.3.1", "2.3.1", Verdict.OUT_OF_RANGE),
        ("<= 20.011", "20.011", Verdict.IN_RANGE),
        ("<= 20.011", "20.11", Verdict.IN_RANGE),
        ("<= 20.011", "20.012", Verdict.OUT_OF_RANGE),
        ("V2.0 and prior", "V2.0", Verdict.IN_RANGE),
        ("V2.0 and prior", "V2.0.1", Verdict.OUT_OF_RANGE),
        ("prior to V2.0", "V2.0", Verdict.OUT_OF_RANGE),
        ("V3.0 and later", "V3.1", Verdict.IN_RANGE),
        (">=V3.0|<V3.2", "V3.1.9", Verdict.IN_RANGE),
        (">=V3.0|<V3.2", "V2.9", Verdict.OUT_OF_RANGE),
        (">=V3.0|<V3.2", "V3.2", Verdict.OUT_OF_RANGE),
        ("vers:all/>=V3.0.1<V3.0.3", "V3.0.2", Verdict.IN_RANGE),
        ("vers:generic/<1.0|>=2.0|<2.5", "2.4", Verdict.IN_RANGE),
        ("vers:generic/<1.0|>=2.0|<2.5", "1.5", Verdict.OUT_OF_RANGE),
        ("V2.9 SP1", "V2.9 SP1", Verdict.IN_RANGE),
        ("V2.9 SP1", "V2.9", Verdict.OUT_OF_RANGE),
        ("10 | 11", "11", Verdict.IN_RANGE),
        ("v.32.011", "32.11", Verdict.IN_RANGE),
        ("<V33.017_V34.014_V35.013_V36.011", "33.011", Verdict.IN_RANGE),
        ("<V33.017_V34.014_V35.013_V36.011", "34.014", Verdict.OUT_OF_RANGE),
        ("<V33.017_V34.014_V35.013_V36.011", "32.011", Verdict.IN_RANGE),  # older than all fixes
        ("<V33.017_V34.014_V35.013_V36.011", "37.011", Verdict.OUT_OF_RANGE),
        ("<V33.017_V35.013", "34.001", Verdict.UNDECIDABLE),  # a line nobody named
        ("< 1.49 (1.29 for NX7)", "1.20", Verdict.IN_RANGE),  # both readings agree
        ("< 1.49 (1.29 for NX7)", "1.40", Verdict.UNDECIDABLE),
        ("< 1.49 (1.29 for NX7)", "1.50", Verdict.OUT_OF_RANGE),
        (">=R100-V0|<R302-V1", "R301-V6", Verdict.IN_RANGE),
        ("<V3.2.19", None, Verdict.UNDECIDABLE),  # firmware unknown
        ("<V3.2.19", "BBBBBBBBBBBBBBBBBBBB", Verdict.UNDECIDABLE),  # firmware unreadable
        ("TSXETY4103 *", "1.0", Verdict.UNDECIDABLE),
        (">= 1.31 | <= 1.4", "1.35", Verdict.UNDECIDABLE),  # bounds out of order
    ],
)
def test_rule_decides(text: str, firmware: str | None, verdict: Verdict) -> None:
    rule = parse_rule(text)
    decision = rule.decide(firmware)
    assert decision.verdict is verdict, (rule.describe(), decision.why)
    assert decision.why


def test_a_condition_is_kept_not_checked() -> None:
    rule = parse_rule("All versions with Ethernet interface")
    assert isinstance(rule.rule, AllVersions)
    assert rule.condition == "with Ethernet interface"
    assert rule.decide("1.0").condition == "with Ethernet interface"
    qualified = parse_rule("<=3.1 C++ / Matlab (TC1210/TC1220/TC1300/TC1320)")
    assert isinstance(qualified.rule, Ranges)
    assert qualified.condition == "C++ / Matlab (TC1210/TC1220/TC1300/TC1320)"


def test_rule_kinds() -> None:
    assert isinstance(parse_rule("<V33.017_V34.014").rule, Trains)
    assert isinstance(parse_rule("< 1.49 (1.29 for NX7)").rule, Either)
    assert isinstance(parse_rule("15.0 SP1").rule, Exact)
    assert isinstance(parse_rule("vers:all/<VX.17 Update 5").rule, Undecidable)
    assert isinstance(parse_rule("a" * 300).rule, Undecidable)


# -- every version text of the shared advisories ------------------------------------------


def _version_texts() -> list[str]:
    found: set[str] = set()

    def walk(node: dict[str, object]) -> None:
        for branch in node.get("branches", []) or []:  # type: ignore[attr-defined]
            if branch["category"] in ("product_version", "product_version_range"):
                found.add(branch["name"])
            walk(branch)

    for doc in shared_documents().values():
        walk(doc.get("product_tree", {}))
    return sorted(found)


VERSION_TEXTS = _version_texts()

UNDECIDABLE = {
    ">= 1.31 | <= 1.4": "bounds out of order",
    "TSXETY4103 *": "neither a version nor a range",
    "TSXETY5103 *": "neither a version nor a range",
    "vers:all/<VX.17 Update 5": "is not a version",
}
"""The feed's texts no rule is read from, and why (the rest all parse)."""


@pytest.mark.parametrize("text", VERSION_TEXTS)
def test_every_version_text_of_the_shared_advisories(text: str) -> None:
    rule = parse_rule(text)
    if text in UNDECIDABLE:
        assert not rule.decidable
        assert UNDECIDABLE[text] in rule.describe()
    else:
        assert rule.decidable, rule.describe()
    for firmware in ("V3.2.7", "32.011", "4.1.0", "v3.40", "01.00", "R302-V1", None, "junk"):
        assert rule.decide(firmware).why


def test_the_shared_version_texts_counted() -> None:
    assert len(VERSION_TEXTS) == 96
    assert sum(parse_rule(t).decidable for t in VERSION_TEXTS) == 92


# -- properties -----------------------------------------------------------------------

releases = st.lists(st.integers(0, 40), min_size=1, max_size=4)
qualifiers = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 30))


def _render(release: list[int], q: tuple[int, int, int], style: int) -> str:
    """One version in one of the spellings vendors and devices use."""
    width = (1, 2, 3, 1)[style % 4]
    parts = [str(release[0])] + [f"{p:0{width}d}" for p in release[1:]]
    text = ("", "V", "v", "v.")[style % 4] + ".".join(parts)
    sp, upd, hf = q
    if sp:
        text += f" SP{sp}"
    if upd:
        text += f" Update {upd}"
    if hf:
        text += f" HF{hf}"
    return text


def _canonical(release: list[int], q: tuple[int, int, int]) -> tuple[object, ...]:
    trimmed = list(release)
    while trimmed and trimmed[-1] == 0:
        trimmed.pop()
    return (tuple(trimmed), *q)


versions = st.builds(
    lambda r, q, s: (_render(r, q, s), _canonical(r, q)), releases, qualifiers, st.integers(0, 7)
)


@PROPERTIES
@given(versions, st.integers(0, 7))
def test_spelling_does_not_change_a_version(
    item: tuple[str, tuple[object, ...]], style: int
) -> None:
    text, canonical = item
    version = v(text)
    assert version.key == canonical
    release, sp, upd, hf = canonical
    assert v(_render(list(release) or [0], (sp, upd, hf), style)) == version  # type: ignore[arg-type]


@PROPERTIES
@given(st.lists(versions, min_size=3, max_size=3))
def test_order_is_total_and_consistent(items: list[tuple[str, tuple[object, ...]]]) -> None:
    a, b, c = (v(t) for t, _ in items)
    assert (a < b) + (a == b) + (a > b) == 1
    assert (a <= b) == (not a > b)
    if a <= b <= c:
        assert a <= c
    keys = [k for _, k in items]
    by_version = sorted([a, b, c], key=cmp_to_key(lambda x, y: -1 if x < y else int(x > y)))
    assert [x.key for x in by_version] == sorted(keys)  # type: ignore[type-var]


@PROPERTIES
@given(versions, versions, versions)
def test_ranges_mean_what_they_say(
    x: tuple[str, object], low: tuple[str, object], high: tuple[str, object]
) -> None:
    version, lo, hi = v(x[0]), v(low[0]), v(high[0])
    below = parse_rule(f"<{hi.text}").decide(version.text).verdict
    assert (below is Verdict.IN_RANGE) == (version < hi)
    at_most = parse_rule(f"vers:generic/<={hi.text}").decide(version.text).verdict
    assert (at_most is Verdict.IN_RANGE) == (version <= hi)
    if lo <= hi:
        between = parse_rule(f">={lo.text}|<{hi.text}").decide(version.text).verdict
        assert (between is Verdict.IN_RANGE) == (lo <= version < hi)


@PROPERTIES
@given(st.text(max_size=80), st.one_of(st.none(), st.text(max_size=40)))
def test_any_text_gives_a_rule_and_a_decision(text: str, firmware: str | None) -> None:
    rule = parse_rule(text)
    assert rule.decide(firmware).verdict in Verdict
    assert isinstance(rule.describe(), str)
