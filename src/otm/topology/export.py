"""The plant map as files other tools open: GraphML (Gephi, yEd) and Cytoscape JSON.

Both carry the same facts.  Nodes are assets with ``name``, ``role``,
``level`` (Purdue, ``"3.5"`` for the DMZ; ``level_rank`` as a number to
sort or colour by), ``level_source``, ``zone``, ``zone_source``,
``processes`` (the process paths the asset supports, declared or inferred)
and its addresses.  Edges run client -> server with ``protocols``,
``ports``, ``categories`` (operation category -> count), ``strongest``
(the category that weighs most, ``traffic`` when none was named),
``weight``, ``packets``, ``bytes``, first/last seen (ISO 8601 UTC, packet
time), ``conduit`` (true when the ends are in different zones) and
``level_skip`` (true when the link skips a Purdue level).

GraphML allows only scalar attributes, so lists there are joined with
``", "`` and category counts written ``read=10, write=2``; the JSON keeps
lists and objects.  The JSON is the Cytoscape.js shape
(``{"elements": {"nodes": [{"data": ...}], "edges": [{"data": ...}]}}``,
which Cytoscape desktop imports as ``.cyjs``) with the plant's zones,
conduits, level skips and processes under the top-level ``data``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import networkx as nx

from otm.model.plant import PlantMap
from otm.topology.graph import CATEGORY_WEIGHTS, TRAFFIC_WEIGHT

SCHEMA = "otm.graph/1"

NO_CATEGORY = "traffic"
"""The ``strongest`` category of an edge that carried no named operation."""


def strongest_category(categories: dict[str, int]) -> str:
    """The operation category that weighs most on an edge (``traffic`` if none).

    Ties between equal weights (session and diagnostic) go to the category
    seen more often, then to the name, so the answer does not depend on
    dict order.
    """
    seen = [(c, n) for c, n in categories.items() if n]
    if not seen:
        return NO_CATEGORY
    return max(seen, key=lambda cn: (CATEGORY_WEIGHTS.get(cn[0], TRAFFIC_WEIGHT), cn[1], cn[0]))[0]


def iso(ts: float | None) -> str:
    """Packet time as ISO 8601 UTC, ``""`` when unknown."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def asset_processes(plant: PlantMap) -> dict[str, list[dict[str, str]]]:
    """asset id -> the processes it supports, each with source and reason, by path."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for att in plant.attachments:
        mine = out.setdefault(att.asset, {})
        known = mine.get(att.process)
        # A declared attachment explains more than an inferred one to the same process.
        if known is None or (known["source"] != "declared" and att.source.value == "declared"):
            mine[att.process] = {
                "process": att.process,
                "source": att.source.value,
                "reason": att.reason,
            }
    return {a: [p[k] for k in sorted(p)] for a, p in out.items()}


def node_record(graph: nx.DiGraph, plant: PlantMap, node: str) -> dict[str, Any]:
    """Everything the exports say about one asset, as JSON-ready values."""
    data = graph.nodes[node]
    level = plant.levels.get(node)
    zone = plant.membership.get(node)
    return {
        "id": node,
        "name": plant.names.get(node) or data.get("name") or node,
        "role": data.get("role", "unknown"),
        "level": level.level.value if level else "",
        "level_rank": level.level.rank if level else -1.0,
        "level_source": level.source.value if level else "",
        "level_reason": level.reason if level else "",
        "zone": zone.zone if zone else "",
        "zone_source": zone.source.value if zone else "",
        "ips": list(data.get("ips", [])),
        "macs": list(data.get("macs", [])),
        "vlans": [int(v) for v in data.get("vlans", [])],
    }


def edge_record(
    graph: nx.DiGraph,
    plant: PlantMap,
    client: str,
    server: str,
    skipped: set[tuple[str, str, str, str, int]] | None = None,
) -> dict[str, Any]:
    """Everything the exports say about one edge, as JSON-ready values.

    ``skipped``: the link keys of ``plant.level_skips``, when the caller
    already has them as a set (exporting every edge).
    """
    data = graph.edges[client, server]
    categories = {c: int(n) for c, n in sorted(data.get("categories", {}).items())}
    a, b = plant.membership.get(client), plant.membership.get(server)
    if skipped is None:
        skipped = {skip.link for skip in plant.level_skips}
    links = [tuple(k) for k in data.get("links", [])]
    return {
        "id": f"{client}->{server}",
        "source": client,
        "target": server,
        "protocols": sorted(data.get("protocols", ())),
        "ports": sorted(data.get("ports", ())),
        "categories": categories,
        "operations": {o: int(n) for o, n in sorted(data.get("operations", {}).items())},
        "strongest": strongest_category(categories),
        "weight": float(data.get("weight", TRAFFIC_WEIGHT)),
        "packets": int(data.get("packets", 0)),
        "bytes": int(data.get("bytes", 0)),
        "first_seen": iso(data.get("first_seen")),
        "last_seen": iso(data.get("last_seen")),
        "conduit": bool(a and b and a.zone != b.zone),
        "level_skip": any(lk in skipped for lk in links),
    }


def _nodes(graph: nx.DiGraph, plant: PlantMap) -> list[dict[str, Any]]:
    records = [node_record(graph, plant, n) for n in graph.nodes]
    processes = asset_processes(plant)
    for rec in records:
        rec["processes"] = processes.get(rec["id"], [])
    return sorted(records, key=lambda r: (r["name"].lower(), r["id"]))


def _edges(graph: nx.DiGraph, plant: PlantMap) -> list[dict[str, Any]]:
    skipped = {skip.link for skip in plant.level_skips}
    return sorted(
        (edge_record(graph, plant, a, b, skipped) for a, b in graph.edges),
        key=lambda r: (r["source"], r["target"]),
    )


def to_json(graph: nx.DiGraph, plant: PlantMap) -> dict[str, Any]:
    """The map as a Cytoscape.js document (see the module docstring)."""
    return {
        "schema": SCHEMA,
        "data": {
            "zones": [
                {
                    "name": z.name,
                    "level": z.level.value if z.level else "",
                    "trust": z.trust_rank,
                    "source": z.source.value,
                    "members": sorted(a for a, m in plant.membership.items() if m.zone == name),
                }
                for name, z in sorted(plant.zones.items())
            ],
            "conduits": [
                {
                    "from": c.zones[0],
                    "to": c.zones[1],
                    "protocols": sorted(c.protocols),
                    "links": len(c.links),
                    "operations": dict(sorted(c.operations.items())),
                }
                for _, c in sorted(plant.conduits.items())
            ],
            "level_skips": [
                {
                    "client": s.link[0],
                    "server": s.link[1],
                    "protocol": s.link[2],
                    "client_level": s.client_level.value,
                    "server_level": s.server_level.value,
                    "reason": s.reason,
                }
                for s in plant.level_skips
            ],
            "processes": [
                {"path": p.name, "kind": p.kind, "criticality": p.criticality}
                for _, p in sorted(plant.processes.items())
            ],
        },
        "elements": {
            "nodes": [{"data": rec} for rec in _nodes(graph, plant)],
            "edges": [{"data": rec} for rec in _edges(graph, plant)],
        },
    }


def to_graphml(graph: nx.DiGraph, plant: PlantMap) -> str:
    """The map as GraphML text (see the module docstring for the attributes)."""
    flat = nx.DiGraph(schema=SCHEMA)
    for rec in _nodes(graph, plant):
        node = rec.pop("id")
        rec["processes"] = ", ".join(p["process"] for p in rec["processes"])
        flat.add_node(node, **_scalars(rec))
    for rec in _edges(graph, plant):
        source, target = rec.pop("source"), rec.pop("target")
        rec.pop("id")
        flat.add_edge(source, target, **_scalars(rec))
    return "\n".join(nx.generate_graphml(flat)) + "\n"


def _scalars(rec: dict[str, Any]) -> dict[str, str | int | float | bool]:
    """One GraphML-ready value per key: lists joined, counts as ``name=n``."""
    out: dict[str, str | int | float | bool] = {}
    for key, value in rec.items():
        if isinstance(value, dict):
            out[key] = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list | tuple):
            out[key] = ", ".join(str(v) for v in value)
        else:
            out[key] = value
    return out
