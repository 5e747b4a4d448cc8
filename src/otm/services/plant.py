"""Use cases of the plant map: load the plant file, override levels, read the map,
ask what an asset's failure hits and who can reach it.

Every function takes the repository (``otm.model.repository``) and works on
what is stored: the inventory snapshot and the user's ``PlantConfig``.  The
map itself is recomputed on each call (pure, from those two), so it always
agrees with the latest analysis and the latest configuration; building it
costs little next to loading the snapshot.

Assets are named the way a person would (``find_asset``): an asset id, an
IP or MAC address, or a display name (a device's own name or the one
``names:`` gives it).  A name that fits several assets is an error that
lists them, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otm.model.plant import ANY_ZONE, Level, LevelAssignment, PlantConfig, Selector
from otm.model.repository import PLANT_SECTIONS, InventoryRepository
from otm.services.plantfile import (
    PlantFile,
    PlantFileError,
    Problem,
    config_from_document,
    dump_plant,
    parse_level,
    parse_plant,
    parse_selector,
)
from otm.topology.impact import ExposureReport, ImpactReport, exposure, impact
from otm.topology.plan import PlantView, plant_view

IMPACT_MODES = ("fail", "isolate")
"""What happens to the asset: it stops, or it is cut from the network."""


class PlantError(Exception):
    """A request about the plant that cannot be answered; ``str()`` says why."""


@dataclass(frozen=True)
class LoadResult:
    """What loading a plant document changed.

    ``warnings`` are not errors but are likely mistakes: a selector that
    names no asset of the current inventory (a typo, or a device not seen
    yet), a ``tag:`` selector for a tag no ``tags:`` entry defines.
    """

    source: str
    sections: tuple[str, ...]  # the sections replaced, in PLANT_SECTIONS order
    counts: dict[str, int]  # section -> entries now stored
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LevelChange:
    """A level override set (``level`` not None) or removed, and its effect."""

    selector: Selector
    level: Level | None
    assets: list[tuple[str, str, LevelAssignment]]  # (id, name, the level it now has)


# -- the plant file -----------------------------------------------------------


def load_plant_file(
    repo: InventoryRepository, path: str | Path, only: str | None = None
) -> LoadResult:
    """Load an ``otm.plant/1`` file: the whole configuration, or ``only`` its
    ``zones`` or ``processes`` section (the stored others are kept).  Zones
    come with their conduits: ``only="zones"`` also replaces the conduits
    when the file declares a ``conduits`` section.

    Raises ``PlantFileError`` (nothing stored) for an unreadable or invalid file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise PlantFileError(
            str(path), [Problem(None, "", f"cannot read the file: {why}")]
        ) from None
    return _store(repo, parse_plant(text, str(path)), str(path), only)


def load_plant_document(
    repo: InventoryRepository, data: object, source: str = "<document>", only: str | None = None
) -> LoadResult:
    """``load_plant_file`` for a document that is already data (an API body)."""
    return _store(repo, config_from_document(data, source), source, only)


def _store(repo: InventoryRepository, doc: PlantFile, source: str, only: str | None) -> LoadResult:
    if only is None:
        sections: tuple[str, ...] = PLANT_SECTIONS
        config = doc.config
    else:
        if only not in PLANT_SECTIONS:
            raise ValueError(f"unknown section {only!r}; known: {', '.join(PLANT_SECTIONS)}")
        if only not in doc.sections:
            problem = Problem(None, only, "the document has no such section (nothing changed)")
            raise PlantFileError(source, [problem])
        sections = (only,)
        if only == "zones" and "conduits" in doc.sections:
            sections = ("zones", "conduits")  # conduits name the zones of this file
        config = repo.load_plant_config()
        for section in sections:
            setattr(config, section, getattr(doc.config, section))
    repo.save_plant_config(doc.config, sections)
    counts = {s: len(getattr(config, s)) for s in PLANT_SECTIONS}
    return LoadResult(source, sections, counts, _warnings(repo, config, sections))


def _warnings(repo: InventoryRepository, config: PlantConfig, sections: Sequence[str]) -> list[str]:
    view = plant_view(repo.load_inventory(), config)
    inv, names, tags = view.inventory, view.plant.names, view.tags
    out: list[str] = []

    def check(where: str, selectors: Sequence[Selector]) -> None:
        for sel in selectors:
            if sel.kind == "tag" and sel.value not in config.tags:
                out.append(f"{where}: tag:{sel.value} is not defined under tags")
            elif inv.assets and not any(
                sel.matches(a, names[a.id], tags.get(a.id, frozenset()))
                for a in inv.assets.values()
            ):
                out.append(f"{where}: {sel} names no asset of the inventory")

    if "zones" in sections:
        for zone in config.zones:
            check(f"zone {zone.name}", zone.selectors)
        declared = {z.name for z in config.zones}
        for i, conduit in enumerate(config.conduits):
            for zone_name in dict.fromkeys((conduit.from_zone, conduit.to_zone)):
                if zone_name != ANY_ZONE and zone_name not in declared:
                    out.append(
                        f"conduit {i + 1} ({conduit}): zone {zone_name} is no longer "
                        "declared; the conduit allows nothing until it is (otm plant load)"
                    )
    if "processes" in sections:
        for process in config.processes:
            check(f"process {process.name}", process.selectors)
    if "levels" in sections:
        check("levels", list(config.levels))
    if "tags" in sections:
        for tag, selectors in config.tags.items():
            check(f"tag {tag}", selectors)
    return out


def export_plant(repo: InventoryRepository) -> str:
    """The stored configuration as an ``otm.plant/1`` YAML file (to edit and load back)."""
    return dump_plant(repo.load_plant_config())


# -- the map ------------------------------------------------------------------


def current_view(repo: InventoryRepository) -> PlantView:
    """The plant map of the stored inventory under the stored configuration."""
    return plant_view(repo.load_inventory(), repo.load_plant_config())


def find_asset(view: PlantView, ref: str) -> str:
    """The asset id ``ref`` names: an id, IP, MAC, or display name (case-insensitive).

    Raises ``PlantError`` when none or several assets fit.
    """
    found = view.inventory.find(ref.strip())
    if found is not None:
        return found.id
    low = ref.strip().lower()
    hits = sorted(a for a, name in view.plant.names.items() if name.lower() == low)
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise PlantError(f"{ref!r} names {len(hits)} assets ({', '.join(hits)}); give an id or IP")
    raise PlantError(f"no asset {ref!r} in the inventory (give an id, IP, MAC or name)")


def set_level(repo: InventoryRepository, asset: str, level: str | None) -> LevelChange:
    """Override the level of the assets ``asset`` names (``None``: remove the override).

    The override goes before every other one (which it beats where both name
    an asset); setting one for the same selector again replaces it.

    ``asset`` is an asset reference (``find_asset``) or a selector
    (``pattern:RIO-*``, ``cidr:10.1.3.0/24``); ``level`` what a person
    writes (``2``, ``3.5``, ``dmz``).  An override naming no asset of the
    inventory is refused (``PlantError``): it would do nothing.
    """
    new_level = None if level is None else _level(level)
    config = repo.load_plant_config()
    view = plant_view(repo.load_inventory(), config)
    selector = _override_selector(view, asset)
    if new_level is None:
        if selector not in config.levels:
            known = ", ".join(str(s) for s in config.levels) or "none"
            raise PlantError(f"no level override {selector} to remove (overrides: {known})")
        del config.levels[selector]
    else:
        # First match wins (file order): the newest override goes first, so
        # that what the user just asked for is what the assets get.
        rest = {s: lv for s, lv in config.levels.items() if s != selector}
        config.levels = {selector: new_level, **rest}
    repo.save_plant_config(config, ["levels"])
    after = plant_view(view.inventory, config)
    hit = [
        (a.id, after.plant.names[a.id], after.plant.levels[a.id])
        for a in view.inventory.assets.values()
        if selector.matches(a, after.plant.names[a.id], after.tags.get(a.id, frozenset()))
    ]
    return LevelChange(selector, new_level, hit)


def _level(text: str) -> Level:
    try:
        return parse_level(text)
    except ValueError as exc:
        raise PlantError(str(exc)) from None


def _override_selector(view: PlantView, ref: str) -> Selector:
    """The selector an override for ``ref`` is stored under: what the user wrote
    when it is a selector or an address, the asset's id for a name or an id."""
    text = ref.strip()
    kind = text.partition(":")[0]
    if ":" in text and kind in ("name", "pattern", "cidr", "tag", "role", "ip", "mac", "id"):
        try:
            sel = parse_selector(text)
        except ValueError as exc:
            raise PlantError(str(exc)) from None
        names, tags = view.plant.names, view.tags
        if not any(
            sel.matches(a, names[a.id], tags.get(a.id, frozenset()))
            for a in view.inventory.assets.values()
        ):
            raise PlantError(f"{sel} names no asset of the inventory")
        return sel
    asset_id = find_asset(view, text)
    asset = view.inventory.assets[asset_id]
    if text in asset.ips:
        return Selector("ip", text)
    if text.lower() in asset.macs:
        return Selector("mac", text.lower())
    return Selector("id", asset_id)


# -- impact and exposure --------------------------------------------------------


def impact_of(
    repo: InventoryRepository, asset: str, mode: str = "fail"
) -> tuple[PlantView, ImpactReport]:
    """What is hit if ``asset`` fails (``fail``) or is cut off (``isolate``)."""
    if mode not in IMPACT_MODES:
        raise PlantError(f"unknown impact mode {mode!r}: {' or '.join(IMPACT_MODES)}")
    view = current_view(repo)
    return view, impact(view.graph, view.plant, find_asset(view, asset), mode)


def exposure_of(
    repo: InventoryRepository, asset: str, max_paths: int = 50
) -> tuple[PlantView, ExposureReport]:
    """Every path into ``asset`` from a less-trusted zone (shortest first, capped)."""
    if max_paths < 1:
        raise PlantError("max_paths must be at least 1")
    view = current_view(repo)
    return view, exposure(view.graph, view.plant, find_asset(view, asset), max_paths)
