"""CSAF 2.0 documents -> advisories: the 38 shared CISA advisories, the parts of the
standard they do not use, and broken input that must fail with a clear error.

The property tests mutate real advisories (a key removed, a value replaced by
another JSON value, the bytes cut or changed) and hold the parser to its
promise: an ``Advisory`` or a ``CsafError`` naming the file, never another
exception; and whatever parses can be matched against a device.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vulns_support import (
    advisory_paths,
    csaf_document,
    make_asset,
    shared_advisory,
    shared_documents,
    vulnerability,
)

from fuzz_support import mutate
from otm.vulns import csaf
from otm.vulns.csaf import CsafError, parse_advisory, revision_key
from otm.vulns.matching import Matcher
from otm.vulns.records import ProductStatus, RemediationCategory
from otm.vulns.subjects import subjects_of

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("path", advisory_paths(), ids=lambda p: p.name)
def test_every_shared_advisory_parses(path: Path) -> None:
    advisory = parse_advisory(path.read_bytes(), path.name)
    assert advisory.id.lower() == path.stem
    assert advisory.publisher == "CISA"
    assert revision_key(advisory.revision) is not None
    assert advisory.initial_release <= advisory.current_release
    assert advisory.products and advisory.vulnerabilities
    assert advisory.warnings == ()
    for vuln in advisory.vulnerabilities:
        assert vuln.cve and vuln.cve.startswith("CVE-")
        assert vuln.affected() <= advisory.products.keys()
        assert vuln.scores and all(0 <= s.base_score <= 10 for s in vuln.scores)
    for product in advisory.products.values():
        assert product.vendor and product.product_name and product.version is not None


def test_the_shared_advisories_counted() -> None:
    assert len(advisory_paths()) == 38


def test_fields_of_one_advisory() -> None:
    a = shared_advisory("ICSA-22-179-02")
    assert a.title == "Omron SYSMAC CS/CJ/CP Series and NJ/NX Series"
    assert (a.revision, a.status) == ("1", "final")
    assert a.current_release_text == "2022-06-28T00:00:00.000000Z"
    assert a.url == "https://www.cisa.gov/news-events/ics-advisories/icsa-22-179-02"
    assert a.summary and "denial-of-service" in a.summary
    assert a.cves == ["CVE-2022-31204", "CVE-2022-31205", "CVE-2022-31207", "CVE-2022-31206"]
    cp1l = a.products["CSAFPID-0005"]
    assert (cp1l.vendor, cp1l.product_name, cp1l.version_text) == ("Omron", "SYSMAC CP1L", "< 1.10")
    assert cp1l.version_category == "product_version_range"
    assert cp1l.path == "Omron / SYSMAC CP1L / < 1.10"
    first = a.vulnerabilities[0]
    assert first.cwe == ("CWE-319", "Cleartext Transmission of Sensitive Information")
    assert first.status[ProductStatus.KNOWN_AFFECTED] >= {"CSAFPID-0005"}
    score = first.best_score(frozenset({"CSAFPID-0005"}))
    assert score is not None
    assert (score.version, score.base_score, score.severity) == ("3.0", 6.5, "MEDIUM")
    assert score.vector == "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N"
    assert {r.category for r in first.remediations} == {RemediationCategory.MITIGATION}
    assert any("CP1L: v1.10 or later" in r.details for r in first.remediations)


def test_model_numbers_of_siemens_products() -> None:
    a = shared_advisory("ICSA-22-104-06")
    s7 = a.products["CSAFPID-00028"]
    assert s7.identification.model_numbers == ("6ES7315-2EH14-0AB0",)
    assert s7.version_text == "vers:all/<V3.2.19"


# -- the parts of CSAF the CISA feed does not use -------------------------------------


def _doc_with(**extra: Any) -> dict[str, Any]:
    doc = csaf_document(
        [{"id": "P1", "vendor": "Acme", "name": "Widget 3000", "version": "<2.0"}],
        [vulnerability("CVE-2024-0001", ["P1"])],
    )
    doc.update(extra)
    return doc


def test_full_product_names_groups_relationships_and_csaf_2_1_metrics() -> None:
    doc = _doc_with()
    tree = doc["product_tree"]
    tree["full_product_names"] = [
        {
            "name": "Acme Gadget 7 firmware 1.0",
            "product_id": "P2",
            "product_identification_helper": {
                "cpe": "cpe:2.3:h:acme:gadget_7:-:*:*:*:*:*:*:*",
                "purl": "pkg:generic/acme/gadget7@1.0",
                "skus": ["GAD-7"],
            },
        }
    ]
    tree["product_groups"] = [{"group_id": "G1", "product_ids": ["P1", "P2"]}]
    tree["relationships"] = [
        {
            "category": "installed_on",
            "product_reference": "P1",
            "relates_to_product_reference": "P2",
            "full_product_name": {"name": "Widget 3000 <2.0 on Gadget 7", "product_id": "P3"},
        }
    ]
    doc["document"]["csaf_version"] = "2.1"
    doc["vulnerabilities"] = [
        {
            "cve": "CVE-2024-0002",
            "product_status": {
                "known_affected": ["P3"],
                "fixed": ["P2"],
                "under_investigation": ["P1"],
            },
            "metrics": [
                {
                    "products": ["P3"],
                    "content": {
                        "cvss_v4": {
                            "version": "4.0",
                            "baseScore": 9.3,
                            "baseSeverity": "CRITICAL",
                            "vectorString": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N"
                            "/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                        },
                        "cvss_v3": {
                            "version": "3.1",
                            "baseScore": 9.8,
                            "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                        },
                    },
                }
            ],
            "remediations": [
                {
                    "category": "workaround",
                    "details": "Turn it off.",
                    "group_ids": ["G1"],
                    "url": "https://acme.example/fix",
                    "date": "2024-01-02T00:00:00Z",
                },
            ],
        }
    ]
    a = csaf.advisory_from_json(doc, "t.json")
    assert a.csaf_version == "2.1"
    gadget = a.products["P2"]
    assert gadget.vendor is None and gadget.version is None
    assert gadget.identification.cpe == "cpe:2.3:h:acme:gadget_7:-:*:*:*:*:*:*:*"
    assert gadget.identification.skus == ("GAD-7",)
    on = a.products["P3"]
    assert (on.product_name, on.version_text) == ("Acme Gadget 7 firmware 1.0", "<2.0")
    vuln = a.vulnerabilities[0]
    assert vuln.status[ProductStatus.FIXED] == {"P2"}
    assert vuln.affected() == {"P3"} and vuln.cleared() == {"P2"}
    assert sorted((s.version, s.base_score, s.severity) for s in vuln.scores) == [
        ("3.1", 9.8, "CRITICAL"),  # the severity a v3 score implies, when not given
        ("4.0", 9.3, "CRITICAL"),
    ]
    rem = vuln.remediations[0]
    assert rem.category is RemediationCategory.WORKAROUND
    assert rem.products == {"P1", "P2"} and rem.url == "https://acme.example/fix"


def test_semantic_versioning_and_integer_revisions() -> None:
    keys = [revision_key(r) for r in ("1", "2", "10", "1.0.0-rc.1", "1.0.0", "1.2.0", "2.0.0")]
    assert all(k is not None for k in keys)
    assert keys[0] < keys[1] < keys[2]  # type: ignore[operator]
    assert keys[3] < keys[4] < keys[5] < keys[6]  # type: ignore[operator]
    assert revision_key("1") == revision_key("1.0.0")
    for bad in ("01", "v2", "1.0", "", "2024-01-01"):
        assert revision_key(bad) is None


def test_tolerated_problems_are_warnings() -> None:
    doc = _doc_with()
    doc["product_tree"]["full_product_names"] = [{"name": "again", "product_id": "P1"}]
    doc["vulnerabilities"][0]["product_status"]["known_affected"].append("P9")
    a = csaf.advisory_from_json(doc, "t.json")
    assert a.products["P1"].name == "Widget 3000"  # the first definition is kept
    assert any("defined twice" in w for w in a.warnings)
    assert any("'P9'" in w for w in a.warnings)


# -- broken input ---------------------------------------------------------------------


def _bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def _without(path: list[str | int]) -> bytes:
    doc = _doc_with()
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return _bytes(doc)


def _replaced(path: list[str | int], value: Any) -> bytes:
    doc = _doc_with()
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return _bytes(doc)


def _deep_branches(depth: int) -> bytes:
    doc = _doc_with()
    branch: dict[str, Any] = {"category": "product_family", "name": "deep"}
    top = branch
    for _ in range(depth):
        child = {"category": "product_family", "name": "deeper"}
        branch["branches"] = [child]
        branch = child
    doc["product_tree"]["branches"].append(top)
    return _bytes(doc)


BROKEN: list[tuple[str, bytes, str, str]] = [
    ("empty_file", b"", "$", "not JSON"),
    ("html_error_page", b"<html><body>404</body></html>", "$", "not JSON"),
    ("latin1_bytes", b'{"document": "\xe9"}', "$", "not UTF-8"),
    ("json_array", b"[1, 2]", "$", "expected an object"),
    ("nan_literal", b'{"document": NaN}', "$", "not JSON"),
    ("nested_too_deeply", b"[" * 100_000 + b"]" * 100_000, "$", "nested too deeply"),
    ("no_document", b'{"vulnerabilities": []}', "$", "not a CSAF document"),
    (
        "csaf_1_2",
        _replaced(["document", "csaf_version"], "1.2"),
        "$.document.csaf_version",
        "not supported",
    ),
    (
        "no_tracking_id",
        _without(["document", "tracking", "id"]),
        "$.document.tracking",
        "missing 'id'",
    ),
    ("no_publisher", _without(["document", "publisher"]), "$.document", "missing 'publisher'"),
    (
        "bad_date",
        _replaced(["document", "tracking", "current_release_date"], "yesterday"),
        "$.document.tracking.current_release_date",
        "not an ISO 8601",
    ),
    (
        "revision_not_a_version",
        _replaced(["document", "tracking", "version"], "A"),
        "$.document.tracking.version",
        "neither integer nor semantic",
    ),
    (
        "title_a_number",
        _replaced(["document", "title"], 42),
        "$.document.title",
        "expected a string",
    ),
    (
        "branches_an_object",
        _replaced(["product_tree", "branches"], {}),
        "$.product_tree.branches",
        "expected an array",
    ),
    (
        "branch_without_name",
        _without(["product_tree", "branches", 0, "name"]),
        "$.product_tree.branches[0]",
        "missing 'name'",
    ),
    (
        "branches_nested_50_deep",
        _deep_branches(50),
        "$.product_tree.branches[1]" + ".branches[0]" * 31 + ".branches",
        "nested deeper than 32",
    ),
    (
        "score_as_text",
        _replaced(["vulnerabilities", 0, "scores", 0, "cvss_v3", "baseScore"], "9.8"),
        "$.vulnerabilities[0].scores[0].cvss_v3.baseScore",
        "from 0 to 10",
    ),
    (
        "score_above_ten",
        _replaced(["vulnerabilities", 0, "scores", 0, "cvss_v3", "baseScore"], 11),
        "$.vulnerabilities[0].scores[0].cvss_v3.baseScore",
        "from 0 to 10",
    ),
    (
        "unknown_remediation",
        _replaced(["vulnerabilities", 0, "remediations", 0, "category"], "pray"),
        "$.vulnerabilities[0].remediations[0].category",
        "not a CSAF remediation category",
    ),
    (
        "unknown_status",
        _replaced(["vulnerabilities", 0, "product_status"], {"maybe": ["P1"]}),
        "$.vulnerabilities[0].product_status.maybe",
        "not a CSAF product status",
    ),
    (
        "cve_malformed",
        _replaced(["vulnerabilities", 0, "cve"], "CVE-24-1"),
        "$.vulnerabilities[0].cve",
        "not a CVE id",
    ),
]


@pytest.mark.parametrize(
    ("data", "path", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_broken_input_names_file_and_path(data: bytes, path: str, message: str) -> None:
    with pytest.raises(CsafError) as caught:
        parse_advisory(data, "icsa-99-999-99.json")
    assert caught.value.source == "icsa-99-999-99.json"
    assert caught.value.path == path
    assert message in caught.value.message
    assert str(caught.value).startswith(f"icsa-99-999-99.json: {path}: ")


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse_advisory(b"\xef\xbb\xbf" + _bytes(_doc_with()), "bom.json").id == "TEST-0001"


def test_a_file_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csaf, "MAX_DOCUMENT_BYTES", 100)
    with pytest.raises(CsafError, match="larger than"):
        parse_advisory(_bytes(_doc_with()), "big.json")


# -- properties -----------------------------------------------------------------------

DOCUMENTS = sorted(shared_documents())
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _nodes(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every value in a JSON document."""
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_nodes(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out.extend(_nodes(value, (*path, index)))
    return out


DEVICES = [
    make_asset(
        "10.0.0.1",
        "s7comm",
        vendor="Siemens",
        model="CPU 315-2 PN/DP",
        order_number="6ES7 315-2EH14-0AB0",
        firmware="V3.2.7",
    ),
    make_asset("10.0.0.2", "omron-fins", model="CP1L-EL20DR-D", firmware="01.00"),
    make_asset(
        "10.0.0.3",
        "enip",
        vendor="Rockwell Automation/Allen-Bradley",
        model="1756-ENBT/A",
        firmware="4.007",
    ),
]


def _still_matches(advisory: Any) -> None:
    matcher = Matcher([advisory])
    for device in DEVICES:
        for subject in subjects_of(device):
            for match in matcher.match(subject):
                assert match.reason


@FUZZ
@given(st.sampled_from(DOCUMENTS), st.data(), json_values, st.booleans())
def test_mutated_documents_parse_or_fail_cleanly(
    name: str, data: st.DataObject, value: Any, delete: bool
) -> None:
    doc = copy.deepcopy(shared_documents()[name])
    paths = _nodes(doc)[1:]
    path = data.draw(st.sampled_from(paths))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    try:
        advisory = parse_advisory(json.dumps(doc).encode(), name)
    except CsafError as exc:
        assert str(exc).startswith(f"{name}: $")
        return
    _still_matches(advisory)


@FUZZ
@given(st.sampled_from(DOCUMENTS), st.integers(0, 2**20), st.integers(0, 3), st.integers(0, 255))
def test_mutated_bytes_parse_or_fail_cleanly(name: str, where: int, how: int, value: int) -> None:
    raw = (Path(advisory_paths()[0]).parent / name).read_bytes()
    try:
        advisory = parse_advisory(mutate(raw, where, how, value), name)
    except CsafError:
        return
    _still_matches(advisory)


@FUZZ
@given(json_values)
def test_arbitrary_json_fails_cleanly(value: Any) -> None:
    with pytest.raises(CsafError):
        parse_advisory(json.dumps(value).encode(), "x.json")
