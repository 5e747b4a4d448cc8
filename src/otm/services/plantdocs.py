"""The plant map as documents: JSON-ready dicts the faces show as tables or JSON.

One shape serves the command line's ``--format json``, its tables, and the
API, so the faces never reach into the domain objects (like
``otm.services.export`` for the inventory).  Assets appear by id and by
display name; levels as their text (``"3.5"``); paths as lists of names with
the ids beside them.  Shapes (fields may be added, these names are kept)::

    levels     [{"asset", "name", "role", "level", "source", "reason", "zone"}]
    zones      {"zones": [{"name", "level", "trust", "source", "description",
                           "members": [{"asset", "name", "level", "source", "reason"}]}],
                "conduits": [{"from", "to", "protocols", "links", "operations",
                              "policy", "disallowed": [{"client", "server",
                              "client_name", "server_name", "protocol", "port"}]}],
                "level_skips": [{"client", "server", "client_name", "server_name",
                                 "protocol", "port", "client_level", "server_level",
                                 "reason"}]}
    processes  [{"path", "name", "kind", "criticality", "declared", "description",
                 "assets": [{"asset", "name", "source", "reason", "via"}],
                 "children": [...]}]
    impact     {"asset", "name", "mode", "processes": [{"process", "criticality",
                 "kind", "through", "source", "reason", "path", "names"}],
                "assets": [{"asset", "name", "kind", "path", "names"}]}
    exposure   {"asset", "name", "zone", "trust", "sources", "sources_by_zone",
                "truncated", "paths": [{"source", "zone", "trust", "names",
                 "hops": [{"from", "to", "from_zone", "to_zone", "protocols"}]}]}
"""

from __future__ import annotations

from typing import Any

from otm.model.plant import PROCESS_KINDS, Attachment, PlantMap, ProcessSpec
from otm.topology.impact import ExposureReport, ImpactReport
from otm.topology.plan import PlantView

Doc = dict[str, Any]


def levels_doc(view: PlantView) -> list[Doc]:
    """Every asset's level and why, by level (process first) then name."""
    plant, graph = view.plant, view.graph
    rows = []
    for asset_id, assignment in plant.levels.items():
        member = plant.membership.get(asset_id)
        rows.append(
            {
                "asset": asset_id,
                "name": plant.names.get(asset_id, asset_id),
                "role": graph.nodes[asset_id]["role"] if asset_id in graph else "",
                "level": assignment.level.value,
                "source": assignment.source.value,
                "reason": assignment.reason,
                "zone": member.zone if member is not None else None,
            }
        )
    return sorted(rows, key=lambda r: (float(r["level"]), r["name"].lower(), r["asset"]))


def zones_doc(view: PlantView) -> Doc:
    """Zones with their members, the conduits between them, and level skips."""
    plant = view.plant
    members: dict[str, list[Doc]] = {name: [] for name in plant.zones}
    for asset_id, member in plant.membership.items():
        level = plant.levels.get(asset_id)
        members.setdefault(member.zone, []).append(
            {
                "asset": asset_id,
                "name": plant.names.get(asset_id, asset_id),
                "level": level.level.value if level is not None else None,
                "source": member.source.value,
                "reason": member.reason,
            }
        )
    zones = []
    for name, spec in plant.zones.items():
        zones.append(
            {
                "name": name,
                "level": spec.level.value if spec.level is not None else None,
                "trust": spec.trust_rank,
                "source": spec.source.value,
                "description": spec.description,
                "members": sorted(members.get(name, []), key=lambda m: m["name"].lower()),
            }
        )
    index = _address_owner(view)
    conduits = [
        {
            "from": c.zones[0],
            "to": c.zones[1],
            "protocols": sorted(c.protocols),
            "links": len(c.links),
            "operations": dict(sorted(c.operations.items())),
            # allowed, not allowed, partly allowed by the declared conduits; None
            # when the plant file declares none that speak about these zones
            "policy": c.policy or None,
            "disallowed": [_link_doc(view, index, link) for link in c.disallowed],
        }
        for c in plant.conduits.values()
    ]
    skips = []
    for skip in plant.level_skips:
        client, server, protocol, transport, port = skip.link
        a, b = index.get(client, client), index.get(server, server)
        skips.append(
            {
                "client": a,
                "server": b,
                "client_name": plant.names.get(a, client),
                "server_name": plant.names.get(b, server),
                "protocol": protocol,
                "port": f"{transport}/{port}",
                "client_level": skip.client_level.value,
                "server_level": skip.server_level.value,
                "reason": skip.reason,
            }
        )
    return {"zones": zones, "conduits": conduits, "level_skips": skips}


def _link_doc(view: PlantView, index: dict[str, str], link: tuple[str, str, str, str, int]) -> Doc:
    client, server, protocol, transport, port = link
    a, b = index.get(client, client), index.get(server, server)
    names = view.plant.names
    return {
        "client": a,
        "server": b,
        "client_name": names.get(a, client),
        "server_name": names.get(b, server),
        "protocol": protocol,
        "port": f"{transport}/{port}",
    }


def _address_owner(view: PlantView) -> dict[str, str]:
    """IP or MAC address -> asset id (links name their ends by address)."""
    out: dict[str, str] = {}
    for asset in view.inventory.assets.values():
        for address in sorted(asset.ips | asset.macs):
            out.setdefault(address, asset.id)
    return out


def processes_doc(plant: PlantMap) -> list[Doc]:
    """The ISA-95 tree: declared processes and the levels above them that only
    their paths name (``declared`` false), each with its attached assets."""
    attached: dict[str, list[Attachment]] = {}
    for att in plant.attachments:
        attached.setdefault(att.process, []).append(att)
    nodes: dict[tuple[str, ...], Doc] = {}
    roots: list[Doc] = []
    for spec in sorted(plant.processes.values(), key=lambda p: p.path):
        for depth in range(1, len(spec.path) + 1):
            path = spec.path[:depth]
            if path in nodes:
                continue
            node = _process_node(path, spec if depth == len(spec.path) else None)
            nodes[path] = node
            (nodes[path[:-1]]["children"] if depth > 1 else roots).append(node)
    for path, node in nodes.items():
        atts = attached.get("/".join(path), [])
        node["assets"] = [
            {
                "asset": a.asset,
                "name": plant.names.get(a.asset, a.asset),
                "source": a.source.value,
                "reason": a.reason,
                "via": [plant.names.get(v, v) for v in a.via],
            }
            for a in sorted(atts, key=lambda a: (a.source.value, plant.names.get(a.asset, "")))
        ]
    return roots


def _process_node(path: tuple[str, ...], spec: ProcessSpec | None) -> Doc:
    return {
        "path": "/".join(path),
        "name": path[-1],
        "kind": PROCESS_KINDS[min(len(path), len(PROCESS_KINDS)) - 1],
        "criticality": spec.criticality if spec is not None else None,
        "declared": spec is not None,
        "description": spec.description if spec is not None else "",
        "assets": [],
        "children": [],
    }


def impact_doc(report: ImpactReport) -> Doc:
    """The impact report: processes hit (ranked) and assets affected, with paths."""
    return {
        "asset": report.asset,
        "name": report.name,
        "mode": report.mode,
        "processes": [
            {
                "process": p.process,
                "criticality": p.criticality,
                "kind": p.kind.value,
                "through": p.asset,
                "source": p.source.value,
                "reason": p.reason,
                "path": list(p.path),
                "names": list(p.names),
            }
            for p in report.processes
        ],
        "assets": [
            {
                "asset": a.asset,
                "name": a.name,
                "kind": a.kind.value,
                "path": list(a.path),
                "names": list(a.names),
            }
            for a in report.affected
        ],
    }


def exposure_doc(report: ExposureReport) -> Doc:
    """The exposure report: paths from less-trusted zones, hop by hop."""
    return {
        "asset": report.asset,
        "name": report.name,
        "zone": report.zone,
        "trust": report.trust,
        "sources": report.sources,
        "sources_by_zone": dict(report.sources_by_zone),
        "truncated": report.truncated,
        "paths": [
            {
                "source": p.source,
                "zone": p.source_zone,
                "trust": p.source_trust,
                "names": list(p.names),
                "hops": [
                    {
                        "from": h.client_name,
                        "to": h.server_name,
                        "from_zone": h.client_zone,
                        "to_zone": h.server_zone,
                        "protocols": list(h.protocols),
                    }
                    for h in p.hops
                ],
            }
            for p in report.paths
        ],
    }
