"""Use case: exposure hints of the stored inventory (``otm hints``; an asset's in ``otm show``).

Loads the inventory and the plant file, builds the plant map (levels, zones)
and asks ``otm.vulns.exposure`` for the hints: firmware behind the newest
seen on the same product, protocols without authentication that a device
serves, devices the enterprise side reaches directly or through one asset.
The documents shown (``hint_doc``, ``report_doc``) are the JSON of
``otm hints --format json`` (schema ``otm.hints/1``) and of the ``hints``
list in ``otm show --format json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from otm.model.repository import InventoryRepository
from otm.services.plant import PlantError, find_asset
from otm.topology.plan import PlantView, plant_view
from otm.vulns.exposure import Hint, HintKind, HintSeverity, exposure_hints

SCHEMA = "otm.hints/1"
"""The JSON document of ``otm hints --format json``."""


class HintsError(ValueError):
    """A request that cannot be served as asked (unknown asset, kind or severity)."""


@dataclass
class HintReport:
    """Hints of the inventory, filtered, and what they were computed from."""

    hints: list[Hint]
    assets: int
    names: dict[str, str] = field(default_factory=dict)


def parse_kinds(texts: Sequence[str]) -> list[HintKind]:
    """Hint kinds by name (``firmware-behind`` ...); ``HintsError`` for another word."""
    out: list[HintKind] = []
    for text in texts:
        try:
            out.append(HintKind(text.strip().lower()))
        except ValueError:
            known = ", ".join(k.value for k in HintKind)
            raise HintsError(f"{text!r} is not a kind of hint ({known})") from None
    return out


def parse_severity(text: str) -> HintSeverity:
    """``low``, ``medium`` or ``high``; ``HintsError`` otherwise."""
    try:
        return HintSeverity(text.strip().lower())
    except ValueError:
        raise HintsError(f"{text!r} is not a severity (low, medium, high)") from None


def view_hints(view: PlantView) -> list[Hint]:
    """Every hint of a plant view, most severe first."""
    return exposure_hints(view.inventory, view.plant, view.config.conduits)


def find_hints(
    repo: InventoryRepository,
    asset: str | None = None,
    kinds: Sequence[HintKind] = (),
    minimum: HintSeverity = HintSeverity.LOW,
) -> HintReport:
    """The stored inventory's hints: of one asset (id, IP, MAC or name) when named,
    of the ``kinds`` given (all when none), at ``minimum`` severity or above."""
    view = plant_view(repo.load_inventory(), repo.load_plant_config())
    wanted: str | None = None
    if asset is not None:
        try:
            wanted = find_asset(view, asset)
        except PlantError as exc:
            raise HintsError(str(exc)) from None
    hints = [
        h
        for h in view_hints(view)
        if (wanted is None or h.asset == wanted)
        and (not kinds or h.kind in kinds)
        and h.severity.rank >= minimum.rank
    ]
    judged = 1 if wanted is not None else len(view.inventory.assets)
    return HintReport(hints, judged, dict(view.plant.names))


def asset_hints(repo: InventoryRepository, asset_id: str) -> HintReport:
    """Every hint about one asset (by id), for ``otm show``."""
    return find_hints(repo, asset_id)


# -- documents --------------------------------------------------------------------


def hint_doc(hint: Hint, names: dict[str, str] | None = None) -> dict[str, Any]:
    """One hint in the ``otm.hints/1`` shape."""
    return {
        "kind": hint.kind.value,
        "severity": hint.severity.value,
        "asset": hint.asset,
        "address": hint.address,
        "name": (names or {}).get(hint.asset, hint.address),
        "component": hint.component,
        "reason": hint.reason,
        "evidence": {
            "assets": list(hint.assets),
            "links": [
                {"client": c, "server": s, "protocol": p, "transport": t, "port": port}
                for c, s, p, t, port in hint.links
            ],
        },
        "details": dict(hint.details),
    }


def report_doc(report: HintReport) -> dict[str, Any]:
    """The ``otm.hints/1`` document."""
    counts: dict[str, int] = {}
    for hint in report.hints:
        counts[hint.kind.value] = counts.get(hint.kind.value, 0) + 1
    return {
        "schema": SCHEMA,
        "assets": report.assets,
        "counts": counts,
        "hints": [hint_doc(h, report.names) for h in report.hints],
    }
