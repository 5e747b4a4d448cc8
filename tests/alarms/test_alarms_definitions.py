"""The alarm file: what it accepts, how it expands into points, how it says no."""

from __future__ import annotations

import pytest
from alarms_support import DEVICE, limit
from pydantic import ValidationError

from otm.alarms import (
    AlarmConfig,
    AlarmFileError,
    AlarmKind,
    Direction,
    FloodSettings,
    LimitLevel,
    Priority,
    config_from_document,
    definitions_from,
    loader,
    parse_alarms,
)

EXAMPLE = """\
schema: otm.alarms/1
flood: {max_alarms: 20, window: 300, clear_below: 8}
shelve_max: 7200
alarms:
  - name: tank1-level
    kind: limit
    device: 10.77.0.5
    tag: level
    description: Tank 1 level
    hihi: {limit: 95, priority: critical}
    hi: 90
    lo: 10
    deadband: 1.0
    on_delay: 5
    off_delay: 5
  - {name: tank1-fill, kind: rate, device: 10.77.0.5, tag: level, rate: 2.5,
     direction: rising}
  - {name: tt101-dev, kind: deviation, device: 10.77.0.5, tag: tt101,
     reference: {device: 10.77.0.5, tag: tt101-sp}, limit: 5}
  - {name: ft7-quality, kind: bad_quality, device: 10.77.0.6, tag: ft7,
     qualities: [bad, uncertain]}
  - {name: plc3-down, kind: device_down, device: 10.77.0.5, priority: high}
"""


def test_example_file_expands_into_points() -> None:
    config = parse_alarms(EXAMPLE, "alarms.yaml")
    assert config.flood == FloodSettings(max_alarms=20, window=300, clear_below=8)
    assert config.shelve_max == 7200
    points = {p.key: p for p in config.points()}
    assert list(points) == [
        "tank1-level.hihi",
        "tank1-level.hi",
        "tank1-level.lo",
        "tank1-fill",
        "tt101-dev",
        "ft7-quality",
        "plc3-down",
    ]
    hihi, hi, lo = points["tank1-level.hihi"], points["tank1-level.hi"], points["tank1-level.lo"]
    assert (hihi.priority, hihi.limit, hihi.level) == (Priority.CRITICAL, 95, LimitLevel.HIHI)
    assert (hi.priority, hi.limit) == (Priority.MEDIUM, 90)
    assert (lo.level, lo.level.rising) == (LimitLevel.LO, False)
    assert hi.delays == (5, 5)
    assert points["tank1-fill"].limit == 2.5
    assert points["tank1-fill"].definition.direction is Direction.RISING  # type: ignore[union-attr]
    assert points["tt101-dev"].limit == 5
    assert points["ft7-quality"].definition.qualities == {"bad", "uncertain"}  # type: ignore[union-attr]
    down = points["plc3-down"]
    assert (down.kind, down.tag, down.priority) == (AlarmKind.DEVICE_DOWN, None, Priority.HIGH)
    assert not down.suppress_when_down
    assert hi.suppress_when_down


def test_loader_docstring_example_is_valid() -> None:
    doc = loader.__doc__ or ""
    text = doc.split("::", 1)[1].split("\n\n")[1]
    lines = [line[4:] for line in text.splitlines()]
    config = parse_alarms("\n".join(lines), "docstring")
    assert len(config.points()) == 7


def test_flood_null_turns_flood_handling_off() -> None:
    config = parse_alarms("schema: otm.alarms/1\nflood: null\nalarms: []\n")
    assert config.flood is None
    assert config.points() == []


def test_defaults_follow_isa_18_2() -> None:
    config = parse_alarms("schema: otm.alarms/1\n")
    assert config.flood == FloodSettings(max_alarms=10, window=600, clear_below=5)
    assert config.shelve_max == 8 * 3600
    assert AlarmConfig().flood == FloodSettings()


def test_ipv6_device_is_normalised() -> None:
    (definition,) = definitions_from(
        [{"name": "d", "kind": "device_down", "device": "FE80:0:0::1"}]
    )
    assert definition.device == "fe80::1"


def _problems(text: str) -> list[str]:
    with pytest.raises(AlarmFileError) as info:
        parse_alarms(text, "a.yaml")
    return str(info.value).splitlines()


def test_unknown_field_is_reported_with_its_line() -> None:
    text = "schema: otm.alarms/1\nalarms:\n  - name: x\n    kind: limit\n"
    text += f"    device: {DEVICE}\n    tag: t\n    hi: 5\n    hi_limit: 6\n"
    assert _problems(text) == ["a.yaml:8: alarms[0].hi_limit: unknown field 'hi_limit'"]


def test_every_problem_is_reported_at_once() -> None:
    text = """\
schema: otm.alarms/1
alarms:
  - {name: a, kind: lmit, device: 10.0.0.1, tag: t}
  - {name: b, device: 10.0.0.1, tag: t}
  - {name: c, kind: device_down, device: not-an-ip}
  - {name: d, kind: limit, device: 10.0.0.1, tag: t, hi: 5, lo: 10}
  - {name: e, kind: limit, device: 10.0.0.1, tag: t}
  - {name: f, kind: deviation, device: 10.0.0.1, tag: t, limit: 2}
  - {name: g, kind: limit, device: 10.0.0.1, tag: t, hi: 5, on_delay: -1}
  - {name: h, kind: limit, device: 10.0.0.1, tag: t, hi: true}
"""
    problems = _problems(text)
    assert problems[0] == (
        "a.yaml:3: alarms[0]: unknown kind; use one of limit, rate, deviation, "
        "bad_quality, device_down"
    )
    assert problems[1] == (
        "a.yaml:4: alarms[1]: missing 'kind' (limit, rate, deviation, bad_quality, device_down)"
    )
    assert problems[2].startswith("a.yaml:5: alarms[2].device: 'not-an-ip' is not an IP address")
    assert problems[3].startswith(
        "a.yaml:6: alarms[3]: limits out of order: lo 10 must be below hi 5"
    )
    assert problems[4] == (
        "a.yaml:7: alarms[4]: a limit alarm needs at least one of hihi, hi, lo, lolo"
    )
    assert problems[5] == (
        "a.yaml:8: alarms[5]: a deviation alarm needs exactly one of setpoint, reference"
    )
    assert problems[6].startswith("a.yaml:9: alarms[6].on_delay: Input should be greater")
    assert problems[7].startswith("a.yaml:10: alarms[7].hi")
    assert "expected a number or {limit: ..., priority: ...}, got True" in problems[7]
    assert len(problems) == 8


@pytest.mark.parametrize(
    ("limits", "ok"),
    [
        ({"lolo": 5, "lo": 5, "hi": 90, "hihi": 90}, True),  # equal on one side: allowed
        ({"lo": 10, "hi": 10}, False),  # a value cannot be both too low and too high
        ({"hi": 90, "hihi": 80}, False),
        ({"lolo": 10, "lo": 5}, False),
        ({"lo": -1e6}, True),
    ],
)
def test_limit_order(limits: dict[str, float], ok: bool) -> None:
    item = {"name": "x", "kind": "limit", "device": DEVICE, "tag": "t", **limits}
    if ok:
        definitions_from([item])
    else:
        with pytest.raises(ValidationError, match="limits out of order"):
            definitions_from([item])


def test_not_finite_numbers_are_refused() -> None:
    problems = _problems(
        f"schema: otm.alarms/1\nalarms:\n  - {{name: x, kind: limit, device: {DEVICE}, "
        "tag: t, hi: .nan}\n"
    )
    assert "expected a finite number" in problems[0]


def test_duplicate_names_and_keys() -> None:
    text = f"""\
schema: otm.alarms/1
alarms:
  - {{name: x, kind: device_down, device: {DEVICE}}}
  - {{name: x, kind: device_down, device: {DEVICE}}}
"""
    assert _problems(text) == [
        "a.yaml:4: alarms[1].name: alarm 'x' is already defined at alarms[0]"
    ]
    text = "schema: otm.alarms/1\nshelve_max: 10\nshelve_max: 20\n"
    assert _problems(text) == ["a.yaml:3: shelve_max: duplicate key (YAML keeps only the last)"]


def test_a_name_cannot_clash_with_a_limit_point() -> None:
    text = f"""\
schema: otm.alarms/1
alarms:
  - {{name: tank, kind: limit, device: {DEVICE}, tag: level, hi: 9}}
  - {{name: tank.hi, kind: device_down, device: {DEVICE}}}
"""
    (problem,) = _problems(text)
    assert "alarm 'tank.hi' of 'tank.hi' has the name of a limit of 'tank'" in problem


def test_hash_is_reserved_for_occurrences() -> None:
    with pytest.raises(ValidationError, match="separates an alarm from its occurrence"):
        definitions_from([{"name": "a#1", "kind": "device_down", "device": DEVICE}])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a.yaml:1: the file is empty; it starts with 'schema: otm.alarms/1'"),
        ("alarms: []\n", "a.yaml:1: schema: missing: add 'schema: otm.alarms/1' at the top"),
        (
            "schema: otm.alarms/2\n",
            "a.yaml:1: schema: this otm reads otm.alarms/1, not 'otm.alarms/2'",
        ),
        ("- 1\n", "a.yaml:1: not a mapping; it starts with 'schema: otm.alarms/1'"),
        ("schema: [\n", "a.yaml:2: not valid YAML: "),
    ],
)
def test_documents_that_are_not_alarm_files(text: str, message: str) -> None:
    assert _problems(text)[0].startswith(message)


def test_flood_settings_need_hysteresis_below_the_limit() -> None:
    with pytest.raises(ValidationError, match="clear_below"):
        FloodSettings(max_alarms=3, clear_below=4)


def test_document_from_data_has_no_lines() -> None:
    with pytest.raises(AlarmFileError) as info:
        config_from_document({"schema": "otm.alarms/1", "alarms": [{"name": "x"}]}, "api")
    assert str(info.value).startswith("api: alarms[0]: missing 'kind'")


def test_limit_helper_is_valid() -> None:
    assert len(AlarmConfig(definitions_from([limit()])).points()) == 4


def test_numbers_yaml_reads_as_text_are_numbers() -> None:
    (definition,) = parse_alarms(
        f"schema: otm.alarms/1\nalarms:\n  - {{name: x, kind: limit, device: {DEVICE}, "
        "tag: t, hi: 1e3, deadband: '0.5'}\n"
    ).definitions
    assert definition.hi.limit == 1000.0  # type: ignore[union-attr]
    assert definition.deadband == 0.5  # type: ignore[union-attr]
    problems = _problems(
        f"schema: otm.alarms/1\nalarms:\n  - {{name: x, kind: limit, device: {DEVICE}, "
        "tag: t, hi: high, lo: 'nan'}\n"
    )
    assert "expected a number, got 'high'" in problems[0]
    assert "expected a finite number, got nan" in problems[1]
