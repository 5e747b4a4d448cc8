"""The alarm file: an ``otm.alarms/1`` YAML document -> ``AlarmConfig``.

::

    schema: otm.alarms/1
    flood: {max_alarms: 10, window: 600, clear_below: 5}   # or "flood: null" (off)
    shelve_max: 28800                                       # seconds; default one shift
    alarms:
      - name: tank1-level
        kind: limit
        device: 10.77.0.5
        tag: level
        hihi: {limit: 95, priority: critical}
        hi: 90                     # the definition's priority (default medium)
        lo: 10
        deadband: 1.0              # engineering units
        on_delay: 5                # seconds
        off_delay: 5
      - {name: tank1-fill, kind: rate, device: 10.77.0.5, tag: level, rate: 2.5}
      - {name: tt101-dev, kind: deviation, device: 10.77.0.5, tag: tt101,
         reference: {device: 10.77.0.5, tag: tt101-sp}, limit: 5}
      - {name: ft7-quality, kind: bad_quality, device: 10.77.0.6, tag: ft7}
      - {name: plc3-down, kind: device_down, device: 10.77.0.5, priority: high}

Parsing text is pure (the caller reads the file).  Validation is pydantic's
with ``extra="forbid"``; every problem is reported at once with its line and
field (``alarms.yaml:12: alarms[0].hi.limit: ...``); duplicate YAML keys and
duplicate alarm names are errors, not silently the last one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from otm.alarms.definitions import (
    DEFAULT_SHELVE_MAX,
    AlarmConfig,
    AlarmDefinition,
    FloodSettings,
    Positive,
)

SCHEMA = "otm.alarms/1"
"""The document type and version this module reads."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an alarm document: where (line, field) and what."""

    line: int | None
    field: str
    message: str

    def render(self, source: str) -> str:
        """``alarms.yaml:12: alarms[0].hi: ...``."""
        where = source if self.line is None else f"{source}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class AlarmFileError(ValueError):
    """An alarm document that cannot be used; ``str()`` lists every problem, one a line."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(p.render(source) for p in self.problems))


class _AlarmDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_: Literal["otm.alarms/1"] = Field(alias="schema")
    flood: FloodSettings | None = FloodSettings()
    shelve_max: Positive = DEFAULT_SHELVE_MAX
    alarms: list[AlarmDefinition] = []


LineOf = Callable[[tuple[int | str, ...]], int | None]


def config_from_document(
    data: object, source: str = "<document>", line_of: LineOf | None = None
) -> AlarmConfig:
    """Validate an alarm document given as data (parsed YAML, a JSON body)."""
    where = line_of or (lambda _loc: None)
    if not isinstance(data, dict):
        raise AlarmFileError(
            source, [Problem(where(()), "", f"not a mapping; it starts with 'schema: {SCHEMA}'")]
        )
    if "schema" not in data:
        raise AlarmFileError(
            source, [Problem(where(()), "schema", f"missing: add 'schema: {SCHEMA}' at the top")]
        )
    try:
        doc = _AlarmDoc.model_validate(data)
    except ValidationError as exc:
        raise AlarmFileError(source, _problems(exc, where)) from None
    config = AlarmConfig(tuple(doc.alarms), doc.flood, doc.shelve_max)
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, definition in enumerate(doc.alarms):
        if definition.name in first:
            problems.append(
                Problem(
                    where(("alarms", i, "name")),
                    f"alarms[{i}].name",
                    f"alarm {definition.name!r} is already defined at "
                    f"alarms[{first[definition.name]}]",
                )
            )
        first.setdefault(definition.name, i)
    keys: dict[str, str] = {}
    for point in config.points():
        if point.key in keys and keys[point.key] != point.definition.name:
            problems.append(
                Problem(
                    None,
                    "alarms",
                    f"alarm {point.key!r} of {point.definition.name!r} has the name of "
                    f"a limit of {keys[point.key]!r}",
                )
            )
        keys.setdefault(point.key, point.definition.name)
    if problems:
        raise AlarmFileError(source, problems)
    return config


def _problems(exc: ValidationError, where: LineOf) -> list[Problem]:
    out: list[Problem] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        # A tagged union puts the kind in the location (alarms.0.limit.hi): drop it.
        shown = tuple(
            p
            for i, p in enumerate(loc)
            if not (i >= 2 and loc[i - 2] == "alarms" and isinstance(loc[i - 1], int))
        )
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}"
        elif error["type"] == "missing":
            message = "missing (required)"
        elif error["type"] == "literal_error" and loc == ("schema",):
            message = f"this otm reads {SCHEMA}, not {error['input']!r}"
        elif error["type"] == "union_tag_invalid":
            message = "unknown kind; use one of limit, rate, deviation, bad_quality, device_down"
        elif error["type"] == "union_tag_not_found":
            message = "missing 'kind' (limit, rate, deviation, bad_quality, device_down)"
        out.append(Problem(where(shown), _field_name(shown), message))
    return out


def _field_name(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f"{'.' if out else ''}{part}"
    return out


def parse_alarms(text: str, source: str = "<alarms>") -> AlarmConfig:
    """Validate a YAML alarm document; ``source`` names it in messages (a file name)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise AlarmFileError(source, [Problem(line, "", f"not valid YAML: {problem}")]) from None
    if root is None:
        raise AlarmFileError(
            source, [Problem(1, "", f"the file is empty; it starts with 'schema: {SCHEMA}'")]
        )
    duplicates = _duplicate_keys(root, "")
    if duplicates:
        raise AlarmFileError(source, duplicates)
    data: Any = yaml.safe_load(text)
    return config_from_document(data, source, lambda loc: _line(root, loc))


def _line(node: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest node on the path ``loc`` (1-based)."""
    line = int(node.start_mark.line) + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next(
                (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part),
                None,
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
        line = int(node.start_mark.line) + 1
    return line


def _duplicate_keys(node: Any, path: str) -> list[Problem]:
    out: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            here = f"{path}.{name}" if path else name
            if name in seen:
                out.append(
                    Problem(
                        key.start_mark.line + 1, here, "duplicate key (YAML keeps only the last)"
                    )
                )
            seen.add(name)
            out.extend(_duplicate_keys(value, here))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.extend(_duplicate_keys(item, f"{path}[{i}]"))
    return out
