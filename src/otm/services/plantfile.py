"""The plant file: an ``otm.plant/1`` YAML document -> ``PlantConfig``, and back.

The user describes the plant in one file (or loads its zones or processes
alone)::

    schema: otm.plant/1
    zones:
      - name: control-line3
        level: 1            # optional: 0, 1, 2, 3, 3.5, 4, 5 or a name (dmz ...)
        trust: 1            # optional: lower is more trusted (default: the level)
        subnets: [10.1.3.0/24]
        vlans: [13]
        assets: ["PLC-3", "ip:10.1.3.9", "pattern:RIO-*"]
        description: ""     # optional
      - name: supervisory
        level: 2
        subnets: [10.1.2.0/24]
    conduits:               # the links allowed across zones (IEC 62443 conduits)
      - from: supervisory   # the client's zone (who opens the connection), or any
        to: control-line3   # the server's zone, or any
        protocols: [modbus, s7comm]   # optional: otm protocol names (otm protocols)
        ports: [502, 102]   # optional: the server's ports
        bidirectional: false          # optional: true admits clients on either side
        description: HMIs poll the line's PLCs
    processes:
      - path: Acme/Plant1/Packaging/Line3     # ISA-95: enterprise/site/area/line/cell/unit
        criticality: 5                        # 1 (minor) .. 5 (safety); default 3
        assets: ["PLC-3"]
    levels: {"ip:10.1.3.20": 2}               # overrides of inferred levels
    tags: {line3: ["cidr:10.1.3.0/24"]}       # for tag:line3 selectors
    names: {"ip:10.1.3.5": "PLC-3"}           # display names

Once ``conduits`` declares at least one conduit, a link between two zones
(at least one of them declared) that no conduit allows is a policy
violation: the detection rule ``OTM-CROSS-ZONE`` raises an alert, and
``otm zones`` marks the observed conduit.  A conduit names declared zones
(or ``any``, for every zone), so a file with conduits has its zones; no
zone may then be called ``any``.  A protocol or port list, when given,
must hold the link's protocol and server port; without ``bidirectional``
a conduit admits only clients on its ``from`` side.

Asset selectors are ``kind:value`` (``id``, ``name``, ``ip``, ``mac``,
``cidr``, ``tag``, ``pattern``, ``role``) or bare text recognised by its
shape (an IP, a CIDR, a MAC, a glob pattern, else a name); see
``otm.model.plant.Selector``.  Every section is optional; ``schema`` is
required, so that a later ``otm.plant/2`` is never misread.

Validation is pydantic's (``extra="forbid"``: a misspelt key is an error,
not silently ignored); every problem is reported at once, each with the
line of the file and the field (``site.yaml:12: zones[0].subnets[1]: ...``).
Duplicate keys, which YAML loaders silently resolve to the last one, are
errors too.  ``config_from_document`` validates a document that is already
data (a JSON body from the API) the same way, without line numbers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from otm.model.assets import Role
from otm.model.plant import (
    ANY_ZONE,
    PROCESS_KINDS,
    SELECTOR_KINDS,
    ConduitSpec,
    Level,
    PlantConfig,
    ProcessSpec,
    Selector,
    ZoneSpec,
)
from otm.model.repository import PLANT_SECTIONS
from otm.sensing.catalog import CATALOG

SCHEMA = "otm.plant/1"
"""The document type and version this module reads and writes."""

LEVEL_NAMES: dict[str, Level] = {
    "process": Level.PROCESS,
    "field": Level.PROCESS,
    "control": Level.BASIC_CONTROL,
    "basic-control": Level.BASIC_CONTROL,
    "supervisory": Level.SUPERVISORY,
    "operations": Level.OPERATIONS,
    "dmz": Level.DMZ,
    "enterprise": Level.ENTERPRISE,
    "internet": Level.INTERNET,
}
"""Names a person may write instead of a level's number."""

_LEVEL_HELP = "use 0, 1, 2, 3, 3.5, 4 or 5 (or " + ", ".join(LEVEL_NAMES) + ")"

PROTOCOLS = tuple(e.name for e in CATALOG)
"""The protocol names a conduit may restrict itself to: the names otm puts on
links (``otm protocols``)."""

_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-])([0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}$")
_KIND_LIKE = re.compile(r"^[A-Za-z][A-Za-z_-]*:")


class PlantFileError(ValueError):
    """A plant document that cannot be used; ``str()`` lists every problem, one a line."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(p.render(source) for p in self.problems))


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a plant document: where (line, field) and what."""

    line: int | None  # 1-based; None when the document came without lines (API)
    field: str  # zones[0].subnets[1]; empty for the document as a whole
    message: str

    def render(self, source: str) -> str:
        """``site.yaml:12: zones[0].subnets[1]: not an IP network``."""
        where = source if self.line is None else f"{source}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass(frozen=True)
class PlantFile:
    """A validated plant document: the configuration and which sections it had.

    ``sections`` matters when loading part of a file: ``otm zones load``
    refuses a file without a ``zones`` section rather than emptying the zones.
    """

    config: PlantConfig
    sections: frozenset[str]


# -- value checks (pydantic validators) -----------------------------------------


def parse_level(value: object) -> Level:
    """A Purdue level from what a person writes: ``1``, ``3.5``, ``"3.5"``, ``dmz``."""
    if isinstance(value, bool):
        raise ValueError(f"not a Purdue level: {value!r}; {_LEVEL_HELP}")
    if isinstance(value, int | float):
        text = f"{value:g}"
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in LEVEL_NAMES:
            return LEVEL_NAMES[text]
        if text.startswith("l") and text[1:2].isdigit():
            text = text[1:]  # "L2", "l3.5"
    else:
        raise ValueError(f"not a Purdue level: {value!r}; {_LEVEL_HELP}")
    try:
        return Level(text)
    except ValueError:
        raise ValueError(f"not a Purdue level: {value!r}; {_LEVEL_HELP}") from None


def parse_selector(text: str) -> Selector:
    """A selector, checked: a malformed IP, CIDR or MAC is an error here, not a
    selector that silently names nothing (or fails when matched)."""
    text = text.strip()
    if not text:
        raise ValueError("empty asset selector")
    if _MAC.match(text):
        text = text.replace("-", ":")
    sel = Selector.parse(text)
    kind, value = sel.kind, sel.value
    if kind in ("name", "pattern") and _KIND_LIKE.match(text) and sel.value == text:
        prefix = text.partition(":")[0]
        raise ValueError(
            f"unknown selector kind {prefix!r} in {text!r}: use one of "
            f"{', '.join(SELECTOR_KINDS)} (write name:{text} for a name with a colon)"
        )
    if not value:
        raise ValueError(f"selector {text!r} names nothing after {kind}:")
    try:
        if kind == "ip":
            value = str(ipaddress.ip_address(value))
        elif kind == "cidr":
            value = str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        what = "an IP address" if kind == "ip" else "an IP network"
        raise ValueError(f"{value!r} is not {what}") from None
    if kind == "mac":
        if not _MAC.match(value):
            raise ValueError(f"{value!r} is not a MAC address (six hex octets)")
        value = value.replace("-", ":").lower()
    if kind == "role" and value not in {r.value for r in Role}:
        raise ValueError(f"unknown role {value!r}: one of {', '.join(r.value for r in Role)}")
    return Selector(kind, value)


def _check_selector(text: str) -> str:
    return str(parse_selector(text))


def _check_network(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise ValueError(f"{text!r} is not an IP network (like 10.1.3.0/24)") from None


def _check_path(text: str) -> str:
    parts = [p.strip() for p in text.split("/")]
    if not all(parts):
        raise ValueError(f"process path {text!r} has an empty part (write Site/Area/Line)")
    if len(parts) > len(PROCESS_KINDS):
        raise ValueError(
            f"process path {text!r} is {len(parts)} deep; ISA-95 has {len(PROCESS_KINDS)} "
            f"levels ({'/'.join(PROCESS_KINDS)})"
        )
    return "/".join(parts)


def _check_protocol(text: str) -> str:
    name = text.strip().lower()
    if name not in PROTOCOLS:
        raise ValueError(
            f"unknown protocol {text!r}: otm names links {', '.join(PROTOCOLS)} (otm protocols)"
        )
    return name


def _no_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    return value


def _stripped(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


SelectorText = Annotated[str, AfterValidator(_check_selector)]
NetworkText = Annotated[str, AfterValidator(_check_network)]
Name = Annotated[str, AfterValidator(_stripped)]
LevelValue = Annotated[Level, BeforeValidator(parse_level)]
Vlan = Annotated[int, Field(ge=1, le=4094, strict=True)]
Criticality = Annotated[int, Field(ge=1, le=5, strict=True)]
Trust = Annotated[float, BeforeValidator(_no_bool)]
Protocol = Annotated[str, AfterValidator(_check_protocol)]
Port = Annotated[int, Field(ge=1, le=65535, strict=True)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneDoc(_Strict):
    """One zone of the document."""

    name: Name
    level: LevelValue | None = None
    trust: Trust | None = None
    subnets: list[NetworkText] = []
    vlans: list[Vlan] = []
    assets: list[SelectorText] = []
    description: str = ""


class ConduitDoc(_Strict):
    """One conduit of the document: links allowed from one zone into another."""

    from_: Name = Field(alias="from")
    to: Name
    protocols: list[Protocol] = []
    ports: list[Port] = []
    bidirectional: Annotated[bool, Field(strict=True)] = False
    description: str = ""


class ProcessDoc(_Strict):
    """One node of the ISA-95 hierarchy."""

    path: Annotated[str, AfterValidator(_check_path)]
    criticality: Criticality = 3
    assets: list[SelectorText] = []
    description: str = ""


class PlantDoc(_Strict):
    """The whole ``otm.plant/1`` document."""

    schema_: Literal["otm.plant/1"] = Field(alias="schema")
    zones: list[ZoneDoc] = []
    conduits: list[ConduitDoc] = []
    processes: list[ProcessDoc] = []
    levels: dict[SelectorText, LevelValue] = {}
    tags: dict[Name, list[SelectorText]] = {}
    names: dict[SelectorText, Name] = {}


_FIELDS: dict[str, tuple[str, ...]] = {
    "": ("schema", *PLANT_SECTIONS),
    "zones": tuple(ZoneDoc.model_fields),
    "conduits": tuple(f.alias or name for name, f in ConduitDoc.model_fields.items()),
    "processes": tuple(ProcessDoc.model_fields),
}
"""The keys each mapping may hold, for 'unknown field' messages."""


# -- documents -> PlantConfig ---------------------------------------------------

LineOf = Callable[[tuple[int | str, ...]], int | None]
"""Where in the file the value at a pydantic location is (1-based line)."""


def config_from_document(
    data: object, source: str = "<document>", line_of: LineOf | None = None
) -> PlantFile:
    """Validate a plant document given as data (parsed YAML, a JSON body).

    Raises ``PlantFileError`` with every problem found.
    """
    where = line_of or (lambda _loc: None)
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        raise PlantFileError(
            source,
            [Problem(where(()), "", f"the document is {kind}; it starts with 'schema: {SCHEMA}'")],
        )
    if "schema" not in data:
        raise PlantFileError(
            source, [Problem(where(()), "schema", f"missing: add 'schema: {SCHEMA}' at the top")]
        )
    try:
        doc = PlantDoc.model_validate(data)
    except ValidationError as exc:
        raise PlantFileError(source, _problems(exc, where)) from None
    problems = _duplicates(doc, where) + _conduit_zones(doc, where) + _same_selectors(data, where)
    if problems:
        raise PlantFileError(source, problems)
    return PlantFile(_to_config(doc), frozenset(k for k in PLANT_SECTIONS if k in data))


def _problems(exc: ValidationError, where: LineOf) -> list[Problem]:
    out: list[Problem] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            section = str(loc[0]) if len(loc) > 1 else ""
            known = _FIELDS.get(section)
            message = f"unknown field {loc[-1]!r}" + (
                f"; expected one of {', '.join(known)}" if known else ""
            )
        elif error["type"] == "literal_error" and loc == ("schema",):
            message = f"this otm reads {SCHEMA}, not {error['input']!r}"
        elif error["type"] == "missing":
            message = "missing (required)"
        field = _field_name(loc)
        key_problem = loc and loc[-1] == "[key]"
        out.append(Problem(where(loc), field, message if not key_problem else f"key: {message}"))
    return out


def _field_name(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        elif out.endswith("]") or not out:
            out += f"{'.' if out else ''}{part}"
        else:
            out += f".{part}"
    return out


def _duplicates(doc: PlantDoc, where: LineOf) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, zone in enumerate(doc.zones):
        if zone.name in seen:
            problems.append(
                Problem(
                    where(("zones", i, "name")),
                    f"zones[{i}].name",
                    f"zone {zone.name!r} is already defined at zones[{seen[zone.name]}]",
                )
            )
        seen.setdefault(zone.name, i)
    seen = {}
    for i, process in enumerate(doc.processes):
        if process.path in seen:
            problems.append(
                Problem(
                    where(("processes", i, "path")),
                    f"processes[{i}].path",
                    f"process {process.path!r} is already defined at "
                    f"processes[{seen[process.path]}]",
                )
            )
        seen.setdefault(process.path, i)
    return problems


def _conduit_zones(doc: PlantDoc, where: LineOf) -> list[Problem]:
    """Conduits name declared zones (or ``any``), two different ones; with
    conduits, no zone may be called ``any``."""
    problems: list[Problem] = []
    if not doc.conduits:
        return problems
    names = [z.name for z in doc.zones]
    declared = ", ".join(names) if names else "none: add a zones section"
    for i, zone in enumerate(doc.zones):
        if zone.name == ANY_ZONE:
            problems.append(
                Problem(
                    where(("zones", i, "name")),
                    f"zones[{i}].name",
                    f"{ANY_ZONE!r} stands for every zone in conduits; give this zone another name",
                )
            )
    for i, conduit in enumerate(doc.conduits):
        for side, zone_name in (("from", conduit.from_), ("to", conduit.to)):
            if zone_name != ANY_ZONE and zone_name not in names:
                problems.append(
                    Problem(
                        where(("conduits", i, side)),
                        f"conduits[{i}].{side}",
                        f"no zone {zone_name!r} under zones (declared: {declared}); "
                        f"name a declared zone, or {ANY_ZONE}",
                    )
                )
        if conduit.from_ == conduit.to != ANY_ZONE:
            problems.append(
                Problem(
                    where(("conduits", i, "to")),
                    f"conduits[{i}].to",
                    f"a conduit joins two zones; from and to are both {conduit.to!r}",
                )
            )
    return problems


def _same_selectors(data: dict[Any, Any], where: LineOf) -> list[Problem]:
    """Two keys of ``levels`` or ``names`` that are one selector written two ways
    (``10.1.3.20`` and ``ip:10.1.3.20``): a mapping keeps only one of them."""
    problems: list[Problem] = []
    for section in ("levels", "names"):
        first: dict[Selector, str] = {}
        for key in data.get(section) or {}:
            sel = parse_selector(str(key))  # valid: the document passed validation
            if sel in first:
                problems.append(
                    Problem(
                        where((section, key, "[key]")),
                        f"{section}.{key}",
                        f"the same selector as {first[sel]!r} ({sel})",
                    )
                )
            first.setdefault(sel, str(key))
    return problems


def _to_config(doc: PlantDoc) -> PlantConfig:
    sel = parse_selector
    return PlantConfig(
        zones=[
            ZoneSpec(
                name=z.name,
                level=z.level,
                trust=None if z.trust is None else float(z.trust),
                subnets=list(z.subnets),
                vlans=list(z.vlans),
                selectors=[sel(s) for s in z.assets],
                description=z.description,
            )
            for z in doc.zones
        ],
        conduits=[
            ConduitSpec(
                from_zone=c.from_,
                to_zone=c.to,
                protocols=tuple(c.protocols),
                ports=tuple(c.ports),
                bidirectional=c.bidirectional,
                description=c.description,
            )
            for c in doc.conduits
        ],
        processes=[
            ProcessSpec(
                path=tuple(p.path.split("/")),
                criticality=p.criticality,
                selectors=[sel(s) for s in p.assets],
                description=p.description,
            )
            for p in doc.processes
        ],
        levels={sel(k): v for k, v in doc.levels.items()},
        tags={k: [sel(s) for s in v] for k, v in doc.tags.items()},
        names={sel(k): v for k, v in doc.names.items()},
    )


# -- YAML text ------------------------------------------------------------------


def parse_plant(text: str, source: str = "<plant>") -> PlantFile:
    """Validate a YAML plant document; ``source`` names it in messages (a file name)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        problem = f"{context}, {problem}" if context else problem
        raise PlantFileError(source, [Problem(line, "", f"not valid YAML: {problem}")]) from None
    if root is None:
        raise PlantFileError(
            source, [Problem(1, "", f"the file is empty; it starts with 'schema: {SCHEMA}'")]
        )
    duplicates = list(_duplicate_keys(root, ""))
    if duplicates:
        raise PlantFileError(source, duplicates)
    try:
        data = yaml.SafeLoader(text).get_single_data()
    except yaml.YAMLError as exc:  # pragma: no cover - compose accepted it already
        raise PlantFileError(source, [Problem(None, "", f"not valid YAML: {exc}")]) from None
    return config_from_document(data, source, lambda loc: _line(root, loc))


def _line(node: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest node on the path ``loc`` (a pydantic location)."""
    line = int(node.start_mark.line) + 1
    for i, part in enumerate(loc):
        if part == "[key]":
            break
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    # A dict key's own problem (loc ends in [key]) is at the key.
                    at_key = i + 1 < len(loc) and loc[i + 1] == "[key]"
                    child = key if at_key else value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = int(node.start_mark.line) + 1
    return line


def _duplicate_keys(node: yaml.Node, path: str) -> list[Problem]:
    out: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            here = f"{path}.{name}" if path else name
            if name in seen:
                out.append(
                    Problem(
                        key.start_mark.line + 1,
                        here,
                        "duplicate key (YAML would keep only the last one)",
                    )
                )
            seen.add(name)
            out.extend(_duplicate_keys(value, here))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.extend(_duplicate_keys(item, f"{path}[{i}]"))
    return out


# -- PlantConfig -> YAML --------------------------------------------------------


def plant_document(config: PlantConfig, sections: Sequence[str] = PLANT_SECTIONS) -> dict[str, Any]:
    """The configuration as an ``otm.plant/1`` document (data), only non-default
    fields written, so that it reads like a file a person wrote."""
    doc: dict[str, Any] = {"schema": SCHEMA}
    if "zones" in sections:
        doc["zones"] = [_zone_doc(z) for z in config.zones]
    if "conduits" in sections:
        doc["conduits"] = [_conduit_doc(c) for c in config.conduits]
    if "processes" in sections:
        doc["processes"] = [_process_doc(p) for p in config.processes]
    if "levels" in sections:
        doc["levels"] = {str(s): _level_value(v) for s, v in config.levels.items()}
    if "tags" in sections:
        doc["tags"] = {k: [str(s) for s in v] for k, v in config.tags.items()}
    if "names" in sections:
        doc["names"] = {str(s): v for s, v in config.names.items()}
    return doc


def _level_value(level: Level) -> int | float:
    return float(level.value) if "." in level.value else int(level.value)


def _zone_doc(zone: ZoneSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": zone.name}
    if zone.level is not None:
        out["level"] = _level_value(zone.level)
    if zone.trust is not None:
        out["trust"] = zone.trust
    if zone.subnets:
        out["subnets"] = list(zone.subnets)
    if zone.vlans:
        out["vlans"] = list(zone.vlans)
    if zone.selectors:
        out["assets"] = [str(s) for s in zone.selectors]
    if zone.description:
        out["description"] = zone.description
    return out


def _conduit_doc(conduit: ConduitSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"from": conduit.from_zone, "to": conduit.to_zone}
    if conduit.protocols:
        out["protocols"] = list(conduit.protocols)
    if conduit.ports:
        out["ports"] = list(conduit.ports)
    if conduit.bidirectional:
        out["bidirectional"] = True
    if conduit.description:
        out["description"] = conduit.description
    return out


def _process_doc(process: ProcessSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"path": process.name, "criticality": process.criticality}
    if process.selectors:
        out["assets"] = [str(s) for s in process.selectors]
    if process.description:
        out["description"] = process.description
    return out


def dump_plant(config: PlantConfig, sections: Sequence[str] = PLANT_SECTIONS) -> str:
    """The configuration as YAML text that ``parse_plant`` reads back equal.

    Non-ASCII text is written as is, for a person to read, unless that would
    not read back (PyYAML writes NEL and the Unicode line separators raw,
    and a reader folds them into spaces): then everything is escaped.
    """
    doc = plant_document(config, sections)
    text = str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100))
    if yaml.safe_load(text) != doc:
        text = str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=False, width=100))
    return text
