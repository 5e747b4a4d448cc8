"""Use cases: the plant map as pictures and files, and what changed over time.

``plant_graph`` builds the communication graph and the plant map of the
stored inventory under the stored plant configuration; ``map_svg`` and
``export_graph`` turn them into an SVG picture, GraphML or Cytoscape JSON.

``diff_since`` answers "what changed since T": the inventory as known at T
(every stored observation that began at or before T) against the
inventory of what was active from T to ``until`` (default: the newest
observation).  New things are in the window and were unknown at T;
vanished things were known at T and silent through the window.  Times are
packet times: ``2h`` means two hours before the newest stored observation,
not before the wall clock, so a capture from last year diffs the same way
today and a live sensor's newest observation is (nearly) now anyway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import networkx as nx

from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.model.plant import PlantMap
from otm.model.repository import InventoryRepository
from otm.observations.records import Observation, Operation
from otm.topology import diff as tdiff
from otm.topology.export import iso, to_graphml, to_json
from otm.topology.plan import plant_view
from otm.topology.render import render_svg

GRAPH_FORMATS = ("graphml", "json")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


class MomentError(ValueError):
    """A time the user gave cannot be understood or does not fit the data."""


def parse_moment(text: str, reference: float | None) -> float:
    """A moment as Unix seconds from ISO 8601, Unix seconds, or ``<n><s|m|h|d|w>`` ago.

    A relative time counts back from ``reference`` (the newest observation);
    an ISO time without a zone is UTC, like every packet time otm stores.
    """
    match = _RELATIVE.match(text)
    if match:
        if reference is None:
            raise MomentError(f"{text!r} is relative, but no observations are stored")
        return reference - float(match.group(1)) * _UNITS[match.group(2).lower()]
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise MomentError(
            f"cannot read {text!r} as a time: use ISO 8601 (2026-01-05T08:00:00Z) "
            "or a duration back from the newest observation (30m, 2h, 7d)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass
class DiffResult:
    """The changes between ``since`` and ``until`` (None: up to the newest observation)."""

    since: float
    until: float | None
    newest: float | None
    diff: tdiff.InventoryDiff


def inventory_as_of(repo: InventoryRepository, moment: float) -> Inventory:
    """The inventory the stored observations that began at or before ``moment`` give."""
    return build_inventory(tdiff.as_of(repo.observations(), moment))


def diff_since(repo: InventoryRepository, since: str, until: str | None = None) -> DiffResult:
    """What changed from ``since`` to ``until`` (see the module docstring).

    Reads the stored observations two or three times (streamed, never all
    in memory): once for the newest time when a time is relative, once for
    each side of the comparison.
    """
    relative = bool(_RELATIVE.match(since) or (until and _RELATIVE.match(until)))
    newest = tdiff.newest_time(repo.observations()) if relative else None
    start = parse_moment(since, newest)
    end = parse_moment(until, newest) if until is not None else None
    if end is not None and end < start:
        raise MomentError(f"--until ({iso(end)}) is before --since ({iso(start)})")
    categories: dict[str, str] = {}

    def noting(observations: Iterable[Observation]) -> Iterable[Observation]:
        """Pass observations on, noting each operation's category for the diff."""
        for obs in observations:
            if isinstance(obs, Operation):
                categories.setdefault(obs.name, obs.category)
            yield obs

    old = build_inventory(noting(tdiff.as_of(repo.observations(), start)))
    new = build_inventory(noting(tdiff.between(repo.observations(), start, end)))
    return DiffResult(start, end, newest, tdiff.diff_inventories(old, new, categories))


def plant_graph(repo: InventoryRepository) -> tuple[nx.DiGraph, PlantMap]:
    """The communication graph and the plant map of the stored inventory and config."""
    view = plant_view(repo.load_inventory(), repo.load_plant_config())
    return view.graph, view.plant


def map_svg(repo: InventoryRepository, title: str = "Plant map") -> tuple[str, int]:
    """The plant map as SVG text, and how many assets it shows."""
    graph, plant = plant_graph(repo)
    return render_svg(graph, plant, title), graph.number_of_nodes()


def export_graph(repo: InventoryRepository, fmt: str) -> str:
    """The plant map as GraphML or Cytoscape JSON text (``GRAPH_FORMATS``)."""
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}: use {' or '.join(GRAPH_FORMATS)}")
    graph, plant = plant_graph(repo)
    if fmt == "graphml":
        return to_graphml(graph, plant)
    return json.dumps(to_json(graph, plant), indent=2) + "\n"


def _when(ts: float) -> str | None:
    """ISO 8601 of a packet time; None for 0, which the inventory uses for "never seen"."""
    return iso(ts) if ts else None


def diff_doc(result: DiffResult) -> dict[str, Any]:
    """A diff as a JSON-ready document (``otm.diff/1``), times in ISO 8601 UTC."""
    d = result.diff

    def asset(ref: tdiff.AssetRef) -> dict[str, Any]:
        return {
            "id": ref.id,
            "name": ref.name,
            "role": ref.role,
            "ips": list(ref.ips),
            "macs": list(ref.macs),
            "first_seen": _when(ref.first_seen),
            "last_seen": _when(ref.last_seen),
        }

    def link(ref: tdiff.LinkRef) -> dict[str, Any]:
        client, server, protocol, transport, port = ref.key
        return {
            "client": client,
            "server": server,
            "protocol": protocol,
            "transport": transport,
            "port": port,
            "packets": ref.packets,
            "operations": dict(ref.operations),
            "first_seen": _when(ref.first_seen),
            "last_seen": _when(ref.last_seen),
        }

    def proto(c: tdiff.ProtocolChange) -> dict[str, Any]:
        return {"asset": c.asset, "name": c.name, "protocol": c.protocol, "role": c.role}

    def op(c: tdiff.OperationChange) -> dict[str, Any]:
        client, server, protocol, transport, port = c.link
        return {
            "client": client,
            "server": server,
            "protocol": protocol,
            "transport": transport,
            "port": port,
            "operation": c.operation,
            "category": c.category,
            "count": c.count,
        }

    return {
        "schema": "otm.diff/1",
        "since": iso(result.since),
        "until": iso(result.until) if result.until is not None else None,
        "newest_observation": iso(result.newest) if result.newest is not None else None,
        "new": {
            "assets": [asset(a) for a in d.new_assets],
            "links": [link(x) for x in d.new_links],
            "protocols": [proto(p) for p in d.new_protocols],
            "operations": [op(o) for o in d.new_operations],
        },
        "vanished": {
            "assets": [asset(a) for a in d.vanished_assets],
            "links": [link(x) for x in d.vanished_links],
            "protocols": [proto(p) for p in d.vanished_protocols],
            "operations": [op(o) for o in d.vanished_operations],
        },
    }
