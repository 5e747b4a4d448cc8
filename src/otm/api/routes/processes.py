"""``/api/v1/processes``, ``/levels``, ``/plant``, ``/assets/{ref}/impact`` and ``/exposure``:
the ISA-95 process tree with its assets, Purdue levels, the plant file, and what an
asset's failure hits or which paths reach it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Response, status

from otm.api.security import ConsoleDep, Engineer, Viewer
from otm.services import plantdocs
from otm.services.hints import HintReport, report_doc
from otm.services.plant import PlantError, export_plant, load_plant_document
from otm.services.plantfile import PlantFileError
from otm.vulns.exposure import HintKind, HintSeverity

router = APIRouter(tags=["plant"])


@router.get("/processes")
def processes(_: Viewer, console: ConsoleDep) -> list[dict[str, Any]]:
    """The ISA-95 tree (enterprise / site / area / line / cell / unit) with the assets
    attached to each process, declared or inferred, and why."""
    return plantdocs.processes_doc(console.catalog.get().plant)


@router.get("/levels")
def levels(_: Viewer, console: ConsoleDep) -> list[dict[str, Any]]:
    """Every asset's Purdue level, with its source and reason."""
    return plantdocs.levels_doc(console.catalog.get().view)


def _asset(console: ConsoleDep, ref: str) -> str:
    found = console.catalog.get().asset_id(ref)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no asset {ref!r}")
    return found


@router.get("/assets/{ref}/impact")
def asset_impact(
    ref: str, _: Viewer, console: ConsoleDep, mode: Literal["fail", "isolate"] = "fail"
) -> dict[str, Any]:
    """Which processes and assets are hit if the asset fails or is isolated, by which path."""
    return console.catalog.get().impact(_asset(console, ref), mode)


@router.get("/assets/{ref}/exposure")
def asset_exposure(
    ref: str,
    _: Viewer,
    console: ConsoleDep,
    max_paths: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Every path by which the asset is reached from a less-trusted zone, shortest first."""
    return console.catalog.get().exposure(_asset(console, ref), max_paths)


@router.get("/plant", response_class=Response)
def plant_file(_: Viewer, console: ConsoleDep) -> Response:
    """The stored plant configuration as an ``otm.plant/1`` YAML file."""
    return Response(export_plant(console.store), media_type="application/yaml")


@router.put("/plant")
def load_plant(
    _: Engineer,
    console: ConsoleDep,
    document: Annotated[dict[str, Any], Body(description="An otm.plant/1 document as JSON.")],
    only: Literal["zones", "processes"] | None = None,
) -> dict[str, Any]:
    """Replace the plant configuration (zones, conduits, processes, levels, tags, names),
    or only its zones or processes; an invalid document changes nothing (400, with every
    problem)."""
    try:
        result = load_plant_document(console.store, document, "console", only)
    except PlantFileError as exc:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            [{"field": p.field, "line": p.line, "message": p.message} for p in exc.problems],
        ) from None
    except PlantError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    return {
        "sections": list(result.sections),
        "counts": result.counts,
        "warnings": list(result.warnings),
    }


@router.get("/hints")
def hints(
    _: Viewer,
    console: ConsoleDep,
    asset: str | None = None,
    kind: Annotated[list[HintKind] | None, Query()] = None,
    min_severity: HintSeverity = HintSeverity.LOW,
) -> dict[str, Any]:
    """Exposure hints (``otm hints``): firmware behind the newest seen for the same product,
    protocols without authentication a device serves, devices the enterprise side reaches;
    of one asset, some kinds, at a minimum severity."""
    catalog = console.catalog.get()
    wanted = None if asset is None else _asset(console, asset)
    found = [
        h
        for h in catalog.hints()
        if (wanted is None or h.asset == wanted)
        and (not kind or h.kind in kind)
        and h.severity.rank >= min_severity.rank
    ]
    report = HintReport(found, 1 if wanted else len(catalog.summaries), dict(catalog.plant.names))
    return report_doc(report)
