"""``/api/v1/summary``, ``/topology``, ``/health``, ``/zones``: the dashboard's counts, the
map as a graph with a layout, device health, zones and conduits."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter

from otm.api.security import ConsoleDep, Viewer
from otm.services.catalog import Catalog

router = APIRouter(tags=["plant"])

LEVEL_ROWS = {"5": 0, "4": 1, "3.5": 2, "3": 3, "2": 4, "1": 5, "0": 6}
"""Purdue levels top to bottom, as the map draws them (unplaced assets below level 0)."""


@router.get("/summary")
def summary(_: Viewer, console: ConsoleDep) -> dict[str, Any]:
    """The dashboard: assets by role, level, vendor, zone and health; open alerts by
    severity; the latest alerts and health changes."""
    catalog = console.catalog.get()
    store = console.store
    open_alerts = store.alerts(status=("open", "acknowledged"))
    by_severity = dict.fromkeys(("critical", "high", "medium", "low"), 0)
    for a in open_alerts:
        by_severity[a.data["severity"]] += 1
    latest = sorted(open_alerts, key=lambda a: -float(a.data["last_seen"]))[:10]
    return {
        "assets": len(catalog.summaries),
        "links": len(catalog.inventory.links),
        "counts": catalog.counts(),
        "open_alerts": by_severity,
        "latest_alerts": [
            {
                "id": a.data["id"],
                "rule_id": a.data["rule_id"],
                "severity": a.data["severity"],
                "message": a.data["message"],
                "last_seen": a.data["last_seen"],
                "status": a.status,
            }
            for a in latest
        ],
        "health_changes": [
            {"address": c.asset_ip, "time": c.time, "state": c.state, "previous": c.previous}
            for c in store.health_changes(limit=10)
        ],
        "sources": [
            {"kind": s.kind, "ref": s.ref, "packets": s.packets, "added_at": s.added_at}
            for s in store.sources()[-10:]
        ],
    }


def _zone_order(catalog: Catalog, asset_id: str) -> tuple[str, int]:
    s = catalog.summary(asset_id)
    return ("", 0) if s is None else (s.zone or "", s.order)


def _layout(catalog: Catalog, ids: list[str]) -> dict[str, tuple[float, float]]:
    """Rows by Purdue level (top: enterprise), columns grouped by zone within a row."""
    rows: dict[int, list[str]] = defaultdict(list)
    for asset_id in ids:
        s = catalog.summary(asset_id)
        level = s.level if s is not None else None
        rows[LEVEL_ROWS.get(level or "", 7)].append(asset_id)
    out: dict[str, tuple[float, float]] = {}
    for row, members in rows.items():
        members.sort(key=lambda i: _zone_order(catalog, i))
        width = max(len(members), 1)
        for i, asset_id in enumerate(members):
            out[asset_id] = ((i + 0.5) / width, (row + 0.5) / 8)
    return out


@router.get("/topology")
def topology(
    _: Viewer,
    console: ConsoleDep,
    zone: str | None = None,
    level: str | None = None,
    process: str | None = None,
    asset: str | None = None,
) -> dict[str, Any]:
    """The communication graph: nodes (assets with role, level, zone, processes and a
    position in a unit square, rows by Purdue level) and edges (client -> server with
    protocols, operation categories and packets); filtered by zone, level, process, or to
    one asset and its neighbours."""
    catalog = console.catalog.get()
    graph = catalog.graph
    keep: set[str] = set(graph.nodes)
    for value, attribute in ((zone, "zone"), (level, "level")):
        if value:
            keep = {
                n
                for n in keep
                if (s := catalog.summary(n)) is not None and getattr(s, attribute) == value
            }
    if process:
        keep = {n for n in keep if (s := catalog.summary(n)) is not None and process in s.processes}
    if asset:
        centre = catalog.asset_id(asset)
        keep = (
            set()
            if centre is None
            else {centre, *graph.successors(centre), *graph.predecessors(centre)}
        )
    ids = sorted(keep, key=lambda n: _zone_order(catalog, n)[1])
    where = _layout(catalog, ids)
    nodes = []
    for node in ids:
        s = catalog.summary(node)
        x, y = where[node]
        nodes.append(
            {
                "id": node,
                "name": s.name if s else node,
                "role": s.role if s else None,
                "level": s.level if s else None,
                "zone": s.zone if s else None,
                "processes": list(s.processes) if s else [],
                "ips": list(s.ips) if s else [],
                "open_alerts": s.open_alerts if s else 0,
                "worst_alert": s.worst_alert if s else None,
                "health": s.health if s else None,
                "x": round(x, 5),
                "y": round(y, 5),
            }
        )
    edges = [  # the kept nodes' own edges, not a walk over every edge of the plant
        {
            "source": a,
            "target": b,
            "protocols": sorted(data["protocols"]),
            "categories": dict(sorted(data["categories"].items())),
            "packets": data["packets"],
            "weight": data.get("weight", 0),
        }
        for a in ids
        for b, data in graph.succ[a].items()
        if b in keep
    ]
    return {"nodes": nodes, "edges": edges}


@router.get("/health")
def health(_: Viewer, console: ConsoleDep) -> dict[str, Any]:
    """Every polled device's latest health, and the latest changes of state."""
    store = console.store
    return {
        "devices": [
            {
                "address": h.asset_ip,
                "protocol": h.protocol,
                "state": h.state,
                "since": h.since,
                "time": h.time,
                "rtt_ms": h.rtt_ms,
                "error_rate": round(h.error_rate, 4),
                "last_good": h.last_good,
            }
            for h in store.health()
        ],
        "changes": [
            {"address": c.asset_ip, "time": c.time, "state": c.state, "previous": c.previous}
            for c in store.health_changes(limit=100)
        ],
    }


@router.get("/zones")
def zones(_: Viewer, console: ConsoleDep) -> dict[str, Any]:
    """Zones (declared and inferred) with their members' count, and the observed conduits."""
    catalog = console.catalog.get()
    plant = catalog.plant
    members: dict[str, int] = defaultdict(int)
    for assignment in plant.membership.values():
        members[assignment.zone] += 1
    return {
        "zones": [
            {
                "name": z.name,
                "level": z.level.value if z.level else None,
                "source": z.source.value,
                "description": z.description,
                "assets": members.get(z.name, 0),
            }
            for z in sorted(plant.zones.values(), key=lambda z: z.name)
        ],
        "conduits": [
            {
                "from": a,
                "to": b,
                "protocols": sorted(c.protocols),
                "links": len(c.links),
                "policy": c.policy,
                "disallowed": len(c.disallowed),
            }
            for (a, b), c in sorted(plant.conduits.items())
        ],
    }
