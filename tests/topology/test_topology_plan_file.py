"""The ``otm.plant/1`` file: the documented example reads as meant, every mistake is
reported with its line and field, and what otm writes reads back equal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otm.model.plant import Level, PlantConfig, ProcessSpec, Selector, ZoneSpec
from otm.services.plantfile import (
    SCHEMA,
    PlantFileError,
    config_from_document,
    dump_plant,
    parse_level,
    parse_plant,
    parse_selector,
)

EXAMPLE = """\
schema: otm.plant/1
zones:
  - name: control-line3
    level: 1            # optional
    trust: 1            # optional
    subnets: [10.1.3.0/24]
    vlans: [13]
    assets: ["PLC-3", "ip:10.1.3.9", "pattern:RIO-*"]
processes:
  - path: Acme/Plant1/Packaging/Line3
    criticality: 5
    assets: ["PLC-3"]
  - path: Acme/Plant1/Packaging/Line3/Filler
    assets: ["cidr:10.1.3.32/28"]
levels: {"ip:10.1.3.20": 2}
tags: {line3: ["cidr:10.1.3.0/24"]}
names: {"ip:10.1.3.5": "PLC-3"}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PlantFileError) as info:
        parse_plant(text, "site.yaml")
    return str(info.value).splitlines()


def test_the_documented_example_reads_as_meant() -> None:
    doc = parse_plant(EXAMPLE, "site.yaml")
    assert doc.sections == {"zones", "processes", "levels", "tags", "names"}
    assert doc.config == PlantConfig(
        zones=[
            ZoneSpec(
                "control-line3",
                level=Level.BASIC_CONTROL,
                trust=1.0,
                subnets=["10.1.3.0/24"],
                vlans=[13],
                selectors=[
                    Selector("name", "PLC-3"),
                    Selector("ip", "10.1.3.9"),
                    Selector("pattern", "RIO-*"),
                ],
            )
        ],
        processes=[
            ProcessSpec(("Acme", "Plant1", "Packaging", "Line3"), 5, [Selector("name", "PLC-3")]),
            ProcessSpec(
                ("Acme", "Plant1", "Packaging", "Line3", "Filler"),
                3,
                [Selector("cidr", "10.1.3.32/28")],
            ),
        ],
        levels={Selector("ip", "10.1.3.20"): Level.SUPERVISORY},
        tags={"line3": [Selector("cidr", "10.1.3.0/24")]},
        names={Selector("ip", "10.1.3.5"): "PLC-3"},
    )
    assert doc.config.processes[1].kind == "cell"


def test_sections_are_optional_and_reported_as_present_or_not() -> None:
    doc = parse_plant("schema: otm.plant/1\nzones:\n  - name: a\n", "z.yaml")
    assert doc.sections == {"zones"}
    assert doc.config == PlantConfig(zones=[ZoneSpec("a")])


@pytest.mark.parametrize(
    ("written", "level"),
    [
        (0, Level.PROCESS),
        (1, Level.BASIC_CONTROL),
        ("2", Level.SUPERVISORY),
        (3.0, Level.OPERATIONS),
        (3.5, Level.DMZ),
        ("3.5", Level.DMZ),
        ("DMZ", Level.DMZ),
        ("L4", Level.ENTERPRISE),
        ("internet", Level.INTERNET),
    ],
)
def test_levels_as_people_write_them(written: object, level: Level) -> None:
    assert parse_level(written) is level


@pytest.mark.parametrize("written", [6, 2.5, -1, True, None, "six", "", [1]])
def test_what_is_not_a_level(written: object) -> None:
    with pytest.raises(ValueError, match="not a Purdue level"):
        parse_level(written)


@pytest.mark.parametrize(
    ("text", "selector"),
    [
        ("PLC-3", Selector("name", "PLC-3")),
        ("RIO-*", Selector("pattern", "RIO-*")),
        ("10.1.3.9", Selector("ip", "10.1.3.9")),
        ("10.1.3.7/24", Selector("cidr", "10.1.3.0/24")),
        ("00-1B-1B-00-00-05", Selector("mac", "00:1b:1b:00:00:05")),
        ("mac:00:1B:1B:00:00:05", Selector("mac", "00:1b:1b:00:00:05")),
        ("fe80::0001", Selector("ip", "fe80::1")),
        ("dead:beef::1", Selector("ip", "dead:beef::1")),
        ("name:odd:name", Selector("name", "odd:name")),
        ("role:plc", Selector("role", "plc")),
        ("id:mac:00:1b:1b:00:00:05", Selector("id", "mac:00:1b:1b:00:00:05")),
        ("tag:line3", Selector("tag", "line3")),
    ],
)
def test_selectors_are_normalised(text: str, selector: Selector) -> None:
    assert parse_selector(text) == selector


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ip:10.1.3.999", "not an IP address"),
        ("cidr:10.1.3/24", "not an IP network"),
        ("mac:00:1b", "not a MAC address"),
        ("role:toaster", "unknown role"),
        ("colour:red", "unknown selector kind 'colour'"),
        ("ip:", "names nothing"),
        ("  ", "empty"),
    ],
)
def test_bad_selectors_are_refused_not_left_to_match_nothing(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_selector(text)


def test_every_problem_is_reported_with_line_and_field() -> None:
    text = """\
schema: otm.plant/1
zones:
  - name: a
    level: 7
    subnets: [10.1.3/24, 10.0.0.0/8]
    vlans: [5000]
    colour: red
  - subnets: [10.2.0.0/16]
processes:
  - path: A//B
    criticality: 9
levels: {"ip:10.1.3.999": 2}
"""
    assert problems(text) == [
        "site.yaml:4: zones[0].level: not a Purdue level: 7; use 0, 1, 2, 3, 3.5, 4 or 5 "
        "(or process, field, control, basic-control, supervisory, operations, dmz, "
        "enterprise, internet)",
        "site.yaml:5: zones[0].subnets[0]: '10.1.3/24' is not an IP network (like 10.1.3.0/24)",
        "site.yaml:6: zones[0].vlans[0]: Input should be less than or equal to 4094",
        "site.yaml:7: zones[0].colour: unknown field 'colour'; expected one of name, level, "
        "trust, subnets, vlans, assets, description",
        "site.yaml:8: zones[1].name: missing (required)",
        "site.yaml:10: processes[0].path: process path 'A//B' has an empty part "
        "(write Site/Area/Line)",
        "site.yaml:11: processes[0].criticality: Input should be less than or equal to 5",
        "site.yaml:12: levels.ip:10.1.3.999: key: '10.1.3.999' is not an IP address",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "site.yaml:1: the file is empty; it starts with 'schema: otm.plant/1'"),
        ("- 1\n- 2\n", "site.yaml:1: the document is a list, not a mapping"),
        ("zones: []\n", "site.yaml:1: schema: missing: add 'schema: otm.plant/1' at the top"),
        ("schema: otm.plant/2\n", "site.yaml:1: schema: this otm reads otm.plant/1, not"),
        ("schema: otm.plant/1\nzones: [\n", "site.yaml:3: not valid YAML"),
        ("schema: otm.plant/1\n---\nzones: []\n", "site.yaml:2: not valid YAML: expected a single"),
        ("schema: otm.plant/1\nzonez: []\n", "site.yaml:2: zonez: unknown field 'zonez'; "),
        (
            "schema: otm.plant/1\nnames:\n  x: A\n  x: B\n",
            "site.yaml:4: names.x: duplicate key (YAML would keep only the last one)",
        ),
        (
            "schema: otm.plant/1\nlevels:\n  10.1.3.20: 2\n  ip:10.1.3.20: 3\n",
            "site.yaml:4: levels.ip:10.1.3.20: the same selector as '10.1.3.20' (ip:10.1.3.20)",
        ),
        (
            "schema: otm.plant/1\nzones:\n  - name: a\n  - name: ' a '\n",
            "site.yaml:4: zones[1].name: zone 'a' is already defined at zones[0]",
        ),
        (
            "schema: otm.plant/1\nprocesses:\n  - path: A/B\n  - path: A / B\n",
            "site.yaml:4: processes[1].path: process 'A/B' is already defined at processes[0]",
        ),
        (
            "schema: otm.plant/1\nprocesses:\n  - path: a/b/c/d/e/f/g\n",
            "site.yaml:3: processes[0].path: process path 'a/b/c/d/e/f/g' is 7 deep",
        ),
        (
            "schema: otm.plant/1\nzones:\n  - name: a\n    trust: yes\n",
            "site.yaml:4: zones[0].trust: expected a number, got True",
        ),
        (
            "schema: otm.plant/1\nzones:\n  - name: a\n    vlans: ['13']\n",
            "site.yaml:4: zones[0].vlans[0]: Input should be a valid integer",
        ),
    ],
)
def test_document_mistakes(text: str, expected: str) -> None:
    found = problems(text)
    assert any(line.startswith(expected) for line in found), found


def test_a_document_given_as_data_is_checked_the_same_without_lines() -> None:
    with pytest.raises(PlantFileError) as info:
        config_from_document({"schema": SCHEMA, "zones": [{"name": "a", "vlans": [0]}]}, "api")
    assert str(info.value) == "api: zones[0].vlans[0]: Input should be greater than or equal to 1"
    assert info.value.problems[0].line is None


def test_what_otm_writes_reads_back_equal() -> None:
    config = parse_plant(EXAMPLE).config
    text = dump_plant(config)
    assert text.startswith("schema: otm.plant/1\n")
    assert parse_plant(text).config == config


def test_a_partial_dump_has_only_those_sections() -> None:
    config = parse_plant(EXAMPLE).config
    doc = parse_plant(dump_plant(config, ["zones"]))
    assert doc.sections == {"zones"}
    assert doc.config.zones == config.zones


_names = st.text(
    st.characters(categories=["L", "N"], include_characters=" -_.éØ"), min_size=1, max_size=10
).filter(lambda s: s.strip() == s)
_selectors = st.one_of(
    st.builds(Selector, st.just("name"), _names),
    st.builds(Selector, st.just("tag"), _names),
    st.ip_addresses(v=4).map(lambda ip: Selector("ip", str(ip))),
    st.sampled_from(["plc", "hmi", "historian"]).map(lambda r: Selector("role", r)),
)


@given(
    zones=st.lists(
        st.builds(
            ZoneSpec,
            name=_names,
            level=st.none() | st.sampled_from(list(Level)),
            trust=st.none() | st.floats(-10, 10, allow_nan=False),
            vlans=st.lists(st.integers(1, 4094), max_size=2),
            selectors=st.lists(_selectors, max_size=3),
            description=st.text(max_size=20),
        ),
        max_size=3,
        unique_by=lambda z: z.name,
    ),
    processes=st.lists(
        st.builds(
            ProcessSpec,
            path=st.lists(_names.filter(lambda s: "/" not in s), min_size=1, max_size=6).map(tuple),
            criticality=st.integers(1, 5),
            selectors=st.lists(_selectors, max_size=3),
        ),
        max_size=3,
        unique_by=lambda p: p.path,
    ),
    levels=st.dictionaries(_selectors, st.sampled_from(list(Level)), max_size=3),
    names=st.dictionaries(_selectors, _names, max_size=3),
)
def test_any_configuration_survives_a_trip_through_yaml(
    zones: list[ZoneSpec],
    processes: list[ProcessSpec],
    levels: dict[Selector, Level],
    names: dict[Selector, str],
) -> None:
    config = PlantConfig(zones=zones, processes=processes, levels=levels, names=names)
    assert parse_plant(dump_plant(config)).config == config
