"""The whole plant map of an inventory and the user's configuration, in one call.

The order of the steps is the order of their dependencies:

1. names: ``config.names`` (the first selector that names the asset, in
   file order), else the asset's own display name (``graph.display_name``);
   selectors of kind ``name``/``pattern`` everywhere below match these;
2. the communication graph (``graph.build_graph``), labelled with the names;
3. user tags (``zones.asset_tags``), for ``tag:`` selectors;
4. Purdue levels (``levels.assign_levels``): declared overrides, declared
   zone levels, then inference from roles and traffic;
5. zones (``zones.assign_zones``), which need the levels to give inferred
   zones theirs; then conduits between zones and links that skip levels;
6. process attachments (``processes.attach``): declared, then inferred
   from traffic.

Pure: the same inventory and configuration give the same map (a replay
gives the same answers, DESIGN.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from otm.model.assets import Inventory
from otm.model.plant import PlantConfig, PlantMap
from otm.topology.graph import build_graph, display_name
from otm.topology.levels import assign_levels
from otm.topology.processes import attach
from otm.topology.zones import asset_tags, assign_zones, find_conduits, find_level_skips


@dataclass
class PlantView:
    """The plant map with what it was built from and on the way.

    ``graph`` is the communication graph that impact and exposure walk
    (their answers name assets of ``plant.names``); ``tags`` is asset id ->
    the user tags that name it.
    """

    inventory: Inventory
    config: PlantConfig
    graph: nx.DiGraph
    plant: PlantMap
    tags: dict[str, frozenset[str]]


def asset_names(inv: Inventory, config: PlantConfig) -> dict[str, str]:
    """Asset id -> display name: the first ``config.names`` entry naming it, else its own.

    A ``names`` selector of kind ``name``/``pattern`` matches the asset's own
    name (what it calls itself), never another declared name.
    """
    out: dict[str, str] = {}
    for asset in inv.assets.values():
        own = display_name(asset)
        out[asset.id] = next(
            (name for sel, name in config.names.items() if sel.matches(asset, own)), own
        )
    return out


def plant_view(inv: Inventory, config: PlantConfig) -> PlantView:
    """The plant map of ``inv`` under ``config``, with its graph (module docstring)."""
    names = asset_names(inv, config)
    graph = build_graph(inv, names)
    tags = asset_tags(inv, config, names)
    levels = assign_levels(inv, graph, config, names)
    zones, membership = assign_zones(inv, levels, config, names)
    plant = PlantMap(
        levels=levels,
        zones=zones,
        membership=membership,
        conduits=find_conduits(graph, membership, config.conduits, {z.name for z in config.zones}),
        level_skips=find_level_skips(graph, levels),
        processes={p.name: p for p in config.processes},
        attachments=attach(inv, graph, config, names, tags),
        names=names,
    )
    return PlantView(inv, config, graph, plant, tags)


def build_plant_map(inv: Inventory, config: PlantConfig) -> PlantMap:
    """The plant map: names, levels, zones, conduits, level skips, processes, attachments."""
    return plant_view(inv, config).plant
