"""``/api/v1/assets`` and ``/api/v1/links``: the inventory, filtered, searched, sorted, paged;
one asset with identity, evidence, placement, links, alerts, vulnerabilities and health."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel

from otm.api.security import ConsoleDep, Viewer
from otm.services import export
from otm.services import vulns as vuln_service
from otm.services.catalog import MAX_LIMIT, SORTS, AssetQuery
from otm.services.hints import hint_doc
from otm.store import StoreError
from otm.vulns.matching import Confidence

router = APIRouter(tags=["inventory"])

Sort = Literal[
    "address", "name", "role", "vendor", "model", "firmware", "level", "zone",
    "last_seen", "first_seen", "alerts",
]  # fmt: skip
assert set(Sort.__args__) == set(SORTS)  # type: ignore[attr-defined]


def asset_query(
    q: Annotated[str, Query(max_length=200, description="Words to find anywhere.")] = "",
    role: str | None = None,
    vendor: str | None = None,
    model: str | None = None,
    level: str | None = None,
    zone: str | None = None,
    process: str | None = None,
    protocol: str | None = None,
    health: str | None = None,
    alerted: bool | None = None,
    sort: Sort = "address",
    order: Literal["asc", "desc"] = "asc",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> AssetQuery:
    """The shared filters (``otm.services.catalog.AssetQuery``) from query parameters."""
    return AssetQuery(
        q=q,
        role=role,
        vendor=vendor,
        model=model,
        level=level,
        zone=zone,
        process=process,
        protocol=protocol,
        health=health,
        alerted=alerted,
        sort=sort,
        order=order,
        offset=offset,
        limit=limit,
    )


class AssetRow(BaseModel):
    """One row of the inventory table."""

    id: str
    name: str
    role: str
    vendor: str | None
    model: str | None
    firmware: str | None
    serial: str | None
    ips: list[str]
    macs: list[str]
    level: str | None
    zone: str | None
    processes: list[str]
    protocols: list[str]
    first_seen: float
    last_seen: float
    health: str | None
    open_alerts: int
    worst_alert: str | None


class AssetPage(BaseModel):
    """A page of assets."""

    total: int
    offset: int
    limit: int
    items: list[AssetRow]


@router.get("/assets", response_model=AssetPage)
def list_assets(
    _: Viewer, console: ConsoleDep, query: Annotated[AssetQuery, Depends(asset_query)]
) -> dict[str, Any]:
    """Assets matching the filters, in the order asked, one page."""
    page = console.catalog.get().page(query)
    return {
        "total": page.total,
        "offset": query.offset,
        "limit": query.limit,
        "items": [s.to_dict() for s in page.items],
    }


@router.get("/assets.csv", response_class=Response)
def export_assets(
    _: Viewer, console: ConsoleDep, query: Annotated[AssetQuery, Depends(asset_query)]
) -> Response:
    """Every asset matching the filters (all pages; ``offset``, ``limit`` and the sort are
    ignored) as CSV, the columns of ``otm assets --format csv``, in address order."""
    catalog = console.catalog.get()
    ids: list[str] = []
    while True:
        page = catalog.page(replace(query, offset=len(ids), limit=MAX_LIMIT))
        ids.extend(s.id for s in page.items)
        if not page.items or len(ids) >= page.total:
            break
    health = {h.asset_ip: h for h in console.store.health()}
    text = export.assets_csv([catalog.inventory.assets[i] for i in ids], health)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="otm-assets.csv"'},
    )


@router.get("/assets/facets")
def asset_facets(_: Viewer, console: ConsoleDep) -> dict[str, list[str]]:
    """The values each filter can take now (roles, vendors, levels, zones, processes ...)."""
    return console.catalog.get().facets()


@router.get("/assets/{ref}")
def get_asset(ref: str, _: Viewer, console: ConsoleDep) -> dict[str, Any]:
    """One asset (by id, IP or MAC): identity with evidence, placement, links, alerts,
    vulnerabilities, health and its changes."""
    catalog = console.catalog.get()
    asset_id = catalog.asset_id(ref)
    if asset_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {ref!r}")
    asset = catalog.inventory.assets[asset_id]
    summary = catalog.summary(asset_id)
    store = console.store
    health = {h.asset_ip: h for h in store.health()}
    doc = export.asset_doc(asset, health)
    doc["summary"] = summary.to_dict() if summary else None
    placed = catalog.plant.levels.get(asset_id)
    member = catalog.plant.membership.get(asset_id)
    doc["placement"] = {
        "level": None if placed is None else placed.level.value,
        "level_reason": None if placed is None else placed.reason,
        "zone": None if member is None else member.zone,
        "zone_reason": None if member is None else member.reason,
        "processes": [
            {"process": a.process, "source": a.source.value, "reason": a.reason}
            for a in catalog.plant.attachments
            if a.asset == asset_id
        ],
    }
    addresses = set(asset.ips) | set(asset.macs)
    doc["links"] = [export.link_doc(link) for link in catalog.links_of(asset_id)]
    doc["alerts"] = [
        _alert_row(a.data, a.status, a.assignee)
        for a in store.alerts()
        if addresses & set(a.data.get("subjects", ()))
    ]
    try:
        matches = console.catalog.vulnerabilities(asset, Confidence.LOW)
        doc["vulnerabilities"] = [vuln_service.match_doc(m) for m in matches]
    except (vuln_service.VulnsError, StoreError) as exc:
        doc["vulnerabilities"] = []
        doc["vulnerabilities_error"] = str(exc)
    doc["hints"] = [
        hint_doc(h, catalog.plant.names) for h in catalog.hints() if h.asset == asset_id
    ]
    doc["health_changes"] = [
        {"address": c.asset_ip, "time": c.time, "state": c.state, "previous": c.previous}
        for ip in asset.ips
        for c in store.health_changes(ip, limit=50)
    ]
    return doc


def _alert_row(data: dict[str, Any], status_: str, assignee: str | None) -> dict[str, Any]:
    return {
        "id": data["id"],
        "rule_id": data["rule_id"],
        "name": data["name"],
        "severity": data["severity"],
        "message": data["message"],
        "first_seen": data["first_seen"],
        "last_seen": data["last_seen"],
        "count": data["count"],
        "status": status_,
        "assignee": assignee,
    }


@router.get("/links")
def list_links(
    _: Viewer,
    console: ConsoleDep,
    asset: str | None = None,
    protocol: str | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """Links (client, server, protocol, port, counts, operations), of one asset if named."""
    catalog = console.catalog.get()
    links = catalog.links()
    if asset is not None:
        asset_id = catalog.asset_id(asset)
        if asset_id is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {asset!r}")
        links = catalog.links_of(asset_id)
    if protocol is not None:
        links = [lk for lk in links if lk.protocol == protocol]
    return {
        "total": len(links),
        "offset": offset,
        "limit": limit,
        "items": [export.link_doc(lk) for lk in links[offset : offset + limit]],
    }
