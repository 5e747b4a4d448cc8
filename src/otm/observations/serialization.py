"""Versioned JSON-lines serialisation of observations.

One observation a line, a JSON object with these keys::

    {"schema": "otm.observation/1", "type": "identity", ...record fields...}

``type`` is the record's snake_case kind (``asset_seen``, ``identity``,
``communication``, ``operation``, ``value_written``, ``parse_anomaly``,
``tag_sample``, ``device_health``); nested ``evidence`` is an object;
``transport`` a string; the values of a ``value_written`` (``minimum``,
``maximum``, ``last_value``) JSON numbers.  A type added to schema 1 after
its first release (``value_written``) is a line an older reader refuses as
an unknown type, which is what it should do with a fact it cannot hold.
Keys are written sorted so that the same observations always serialise to
the same bytes (golden files and replays depend on it).  The schema version
changes only on a breaking change, listed in ``docs/BREAKING.md``; readers
refuse versions they do not know instead of guessing.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Iterator
from typing import IO, Any

from otm.observations.records import (
    AssetSeen,
    Communication,
    DeviceHealth,
    Evidence,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    TagSample,
    Transport,
    ValueWritten,
)

SCHEMA = "otm.observation/1"

_TYPES: dict[str, type[Any]] = {
    "asset_seen": AssetSeen,
    "identity": Identity,
    "communication": Communication,
    "operation": Operation,
    "value_written": ValueWritten,
    "parse_anomaly": ParseAnomaly,
    "tag_sample": TagSample,
    "device_health": DeviceHealth,
}
_NAMES: dict[type[Any], str] = {cls: name for name, cls in _TYPES.items()}


_OMITTED_AT_DEFAULT: dict[type[Any], dict[str, object]] = {
    Operation: {"client_mac": None, "server_mac": None},
    Communication: {"answered": True},
}
"""Fields added to schema 1 after its first release, with their defaults:
written only when they differ (the defaults are singletons: None, True), so
that lines of IP traffic and of answered flows read the same to every otm
that knows schema 1."""

_BOOLEANS = frozenset({"answered"})
"""Fields that must be JSON true/false (a string would read as truthy)."""

_NUMBERS = frozenset({"minimum", "maximum", "last_value"})
"""Fields that must be finite JSON numbers (``value_written``'s values; not true/false)."""


class SchemaError(ValueError):
    """A line is not an observation of a schema version this otm understands."""


def to_dict(obs: Observation) -> dict[str, Any]:
    """The JSON-ready dictionary of one observation."""
    out: dict[str, Any] = {"schema": SCHEMA, "type": _NAMES[type(obs)]}
    omitted = _OMITTED_AT_DEFAULT.get(type(obs), {})
    for f in dataclasses.fields(obs):
        value = getattr(obs, f.name)
        if f.name in omitted and value is omitted[f.name]:
            continue
        if isinstance(value, Evidence):
            value = {
                "source": value.source,
                "ref": value.ref,
                "packet": value.packet,
                "message": value.message,
            }
        elif isinstance(value, Transport):
            value = value.value
        elif isinstance(value, dict):
            value = dict(value)
        out[f.name] = value
    return out


def from_dict(data: dict[str, Any]) -> Observation:
    """Rebuild an observation; raises SchemaError on anything unexpected."""
    if data.get("schema") != SCHEMA:
        raise SchemaError(f"unsupported observation schema {data.get('schema')!r}")
    kind = data.get("type")
    cls = _TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SchemaError(f"unknown observation type {kind!r}")
    kwargs: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(cls)}
    for key, raw in data.items():
        if key in ("schema", "type"):
            continue
        if key not in names:
            raise SchemaError(f"unknown field {key!r} for {kind}")
        if key in _BOOLEANS and not isinstance(raw, bool):
            raise SchemaError(f"{key} in {kind} must be true or false")
        if key in _NUMBERS and not _finite_number(raw):
            raise SchemaError(f"{key} in {kind} must be a finite number")
        value: Any = raw
        try:
            if key == "evidence":
                if not isinstance(raw, dict):
                    raise SchemaError("evidence must be an object")
                value = Evidence(**raw)
            elif key == "transport":
                value = Transport(raw)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"bad {key} in {kind}: {exc}") from exc
        kwargs[key] = value
    try:
        obs: Observation = cls(**kwargs)
    except TypeError as exc:
        raise SchemaError(f"bad {kind} record: {exc}") from exc
    return obs


def _finite_number(raw: object) -> bool:
    if isinstance(raw, bool):
        return False
    if isinstance(raw, int):
        return True
    return isinstance(raw, float) and math.isfinite(raw)


def dumps(obs: Observation) -> str:
    """One canonical JSON line (no trailing newline)."""
    return json.dumps(to_dict(obs), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def loads(line: str) -> Observation:
    """Parse one JSON line."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SchemaError("an observation line must be a JSON object")
    return from_dict(data)


def write_lines(observations: Iterable[Observation], out: IO[str]) -> int:
    """Write observations as JSON lines; returns how many were written."""
    n = 0
    for obs in observations:
        out.write(dumps(obs))
        out.write("\n")
        n += 1
    return n


def read_lines(stream: IO[str]) -> Iterator[Observation]:
    """Read JSON lines back, skipping blank lines."""
    for line in stream:
        if line.strip():
            yield loads(line)
