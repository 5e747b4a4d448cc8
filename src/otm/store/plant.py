"""The plant configuration as rows of ``schema.plant_sections``, and back.

One row a section (``otm.model.repository.PLANT_SECTIONS``); the body is
that section of an ``otm.plant/1`` document as JSON, in the shape the user
writes in YAML, so that a stored configuration reads like the file it came
from::

    zones      [{"name", "level", "trust", "subnets", "vlans", "assets",
                 "description", "source"}]
    conduits   [{"from", "to", "protocols", "ports", "bidirectional", "description"}]
    processes  [{"path": "Acme/Plant1/Line3", "criticality", "assets", "description"}]
    levels     {"ip:10.1.3.20": "2"}
    tags       {"line3": ["cidr:10.1.3.0/24"]}
    names      {"ip:10.1.3.5": "PLC-3"}

Selectors are ``kind:value`` text, decoded by splitting at the first colon
(not ``Selector.parse``, which guesses the kind of bare text and strips
spaces), so a stored selector comes back equal.  Levels are their text
(``"3.5"``).  JSON objects keep their order, so a loaded configuration
iterates like the saved one.  The file format itself (YAML, validation,
errors with line numbers) is the services' business; this module trusts
what otm wrote and refuses anything else with a ``StoreError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from typing import Any

from otm.model.plant import (
    ConduitSpec,
    Level,
    PlantConfig,
    ProcessSpec,
    Selector,
    Source,
    ZoneSpec,
)
from otm.model.repository import PLANT_SECTIONS
from otm.store.errors import StoreError


def sections_to_save(sections: Collection[str] | None) -> tuple[str, ...]:
    """The sections a save replaces: all of them, or those named (checked)."""
    if sections is None:
        return PLANT_SECTIONS
    unknown = sorted(set(sections) - set(PLANT_SECTIONS))
    if unknown:
        raise ValueError(
            f"unknown plant configuration section(s) {', '.join(unknown)}; "
            f"known: {', '.join(PLANT_SECTIONS)}"
        )
    return tuple(s for s in PLANT_SECTIONS if s in sections)


def plant_rows(config: PlantConfig, sections: Iterable[str]) -> list[tuple[str, str]]:
    """(section, JSON body) rows of ``schema.plant_sections`` for these sections."""
    encoders: dict[str, Callable[[], object]] = {
        "zones": lambda: [_zone_doc(z) for z in config.zones],
        "conduits": lambda: [_conduit_doc(c) for c in config.conduits],
        "processes": lambda: [_process_doc(p) for p in config.processes],
        "levels": lambda: {str(s): level.value for s, level in config.levels.items()},
        "tags": lambda: {tag: [str(s) for s in sels] for tag, sels in config.tags.items()},
        "names": lambda: {str(s): name for s, name in config.names.items()},
    }
    return [
        (section, json.dumps(encoders[section](), ensure_ascii=False, separators=(",", ":")))
        for section in sections
    ]


def _zone_doc(zone: ZoneSpec) -> dict[str, Any]:
    return {
        "name": zone.name,
        "level": None if zone.level is None else zone.level.value,
        "trust": zone.trust,
        "subnets": list(zone.subnets),
        "vlans": [int(v) for v in zone.vlans],
        "assets": [str(s) for s in zone.selectors],
        "description": zone.description,
        "source": zone.source.value,
    }


def _conduit_doc(conduit: ConduitSpec) -> dict[str, Any]:
    return {
        "from": conduit.from_zone,
        "to": conduit.to_zone,
        "protocols": list(conduit.protocols),
        "ports": [int(p) for p in conduit.ports],
        "bidirectional": conduit.bidirectional,
        "description": conduit.description,
    }


def _process_doc(process: ProcessSpec) -> dict[str, Any]:
    return {
        "path": "/".join(process.path),
        "criticality": process.criticality,
        "assets": [str(s) for s in process.selectors],
        "description": process.description,
    }


def plant_config(rows: Iterable[tuple[str, str]], where: str) -> PlantConfig:
    """The configuration stored in these rows; sections without a row are empty.

    ``where`` names the database in the ``StoreError`` raised for stored
    data this otm cannot read.
    """
    config = PlantConfig()
    for section, body in rows:
        try:
            _decode_section(config, section, json.loads(body))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(
                f"cannot read the plant configuration ({section}) in {where}: unexpected "
                f"stored data ({exc}); was it written by a newer otm?"
            ) from exc
    return config


def _decode_section(config: PlantConfig, section: str, doc: Any) -> None:
    if section == "zones":
        config.zones = [_zone(item) for item in _list(doc)]
    elif section == "conduits":
        config.conduits = [_conduit(item) for item in _list(doc)]
    elif section == "processes":
        config.processes = [_process(item) for item in _list(doc)]
    elif section == "levels":
        config.levels = {_selector(k): Level(v) for k, v in _dict(doc).items()}
    elif section == "tags":
        config.tags = {str(k): [_selector(s) for s in _list(v)] for k, v in _dict(doc).items()}
    elif section == "names":
        config.names = {_selector(k): _str(v) for k, v in _dict(doc).items()}
    else:
        raise ValueError(f"unknown section {section!r}")


def _zone(doc: Any) -> ZoneSpec:
    doc = _dict(doc)
    level, trust = doc["level"], doc["trust"]
    return ZoneSpec(
        name=_str(doc["name"]),
        level=None if level is None else Level(level),
        trust=None if trust is None else float(trust),
        subnets=[_str(s) for s in _list(doc["subnets"])],
        vlans=[int(v) for v in _list(doc["vlans"])],
        selectors=[_selector(s) for s in _list(doc["assets"])],
        description=_str(doc["description"]),
        source=Source(doc["source"]),
    )


def _conduit(doc: Any) -> ConduitSpec:
    doc = _dict(doc)
    bidirectional = doc["bidirectional"]
    if not isinstance(bidirectional, bool):
        raise TypeError(f"expected true or false, got {type(bidirectional).__name__}")
    return ConduitSpec(
        from_zone=_str(doc["from"]),
        to_zone=_str(doc["to"]),
        protocols=tuple(_str(p) for p in _list(doc["protocols"])),
        ports=tuple(int(p) for p in _list(doc["ports"])),
        bidirectional=bidirectional,
        description=_str(doc["description"]),
    )


def _process(doc: Any) -> ProcessSpec:
    doc = _dict(doc)
    return ProcessSpec(
        path=tuple(_str(doc["path"]).split("/")),
        criticality=int(doc["criticality"]),
        selectors=[_selector(s) for s in _list(doc["assets"])],
        description=_str(doc["description"]),
    )


def _selector(text: Any) -> Selector:
    kind, sep, value = _str(text).partition(":")
    if not sep:
        raise ValueError(f"selector {text!r} has no kind")
    return Selector(kind, value)


def _list(doc: Any) -> list[Any]:
    if not isinstance(doc, list):
        raise TypeError(f"expected a list, got {type(doc).__name__}")
    return doc


def _dict(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise TypeError(f"expected an object, got {type(doc).__name__}")
    return doc


def _str(doc: Any) -> str:
    if not isinstance(doc, str):
        raise TypeError(f"expected text, got {type(doc).__name__}")
    return doc
