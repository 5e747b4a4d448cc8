"""``/api/v1/export/...`` and ``/api/v1/protocols``: the inventory as JSON, links as CSV (the
assets' CSV, with the inventory's filters, is ``/api/v1/assets.csv``), the map
as GraphML or Cytoscape JSON (what ``otm export`` and ``otm map`` write), and the
protocols otm understands."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Response

from otm.api.security import ConsoleDep, Viewer
from otm.services import export
from otm.services.maps import export_graph
from otm.services.protocols import protocol_table

router = APIRouter(tags=["exports"])


def _attachment(body: str, media: str, name: str) -> Response:
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/export/inventory.json", response_class=Response)
def inventory_json(_: Viewer, console: ConsoleDep) -> Response:
    """The whole inventory as an ``otm.inventory/1`` document (assets with evidence, links)."""
    catalog = console.catalog.get()
    health = {h.asset_ip: h for h in console.store.health()}
    doc = export.inventory_doc(
        list(catalog.inventory.assets.values()), list(catalog.inventory.links.values()), health
    )
    return _attachment(
        json.dumps(doc, ensure_ascii=False, indent=1), "application/json", "otm-inventory.json"
    )


@router.get("/export/links.csv", response_class=Response)
def links_csv(_: Viewer, console: ConsoleDep) -> Response:
    """Every link, one CSV row each."""
    links = list(console.catalog.get().inventory.links.values())
    return _attachment(export.links_csv(links), "text/csv; charset=utf-8", "otm-links.csv")


@router.get("/export/map", response_class=Response)
def map_export(
    _: Viewer, console: ConsoleDep, format: Literal["graphml", "json"] = "graphml"
) -> Response:
    """The plant map as GraphML (yEd, Gephi) or Cytoscape JSON."""
    body = export_graph(console.store, format)
    if format == "graphml":
        return _attachment(body, "application/graphml+xml", "otm-map.graphml")
    return _attachment(body, "application/json", "otm-map.json")


@router.get("/protocols")
def protocols(_: Viewer) -> list[dict[str, Any]]:
    """The protocols otm understands: where it listens, what it extracts, how mature."""
    return [asdict(row) for row in protocol_table()]
