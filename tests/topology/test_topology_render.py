"""The SVG map: valid XML, every asset drawn once, bands in Purdue order, links coloured."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import networkx as nx

from maps_support import EWS, HIST, HMI, IO, PLC, big_plant, line3_plant
from otm.model.plant import Level, LevelAssignment, PlantMap, Source, ZoneAssignment
from otm.topology.render import (
    CATEGORY_COLOURS,
    LABEL_CHARS,
    NODE_H,
    WIDTH,
    Box,
    layout,
    render_svg,
    routes,
)

SVG = "{http://www.w3.org/2000/svg}"
BAND_ORDER = ["5", "4", "3.5", "3", "2", "1", "0"]


def _parse(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(text.encode("utf-8"))


def _assets(root: ET.Element) -> dict[str, ET.Element]:
    found = [g for g in root.iter(f"{SVG}g") if g.get("class") == "asset"]
    out = {g.get("data-id", ""): g for g in found}
    assert len(out) == len(found), "an asset is drawn twice"
    return out


def _bands(root: ET.Element) -> list[tuple[str, float]]:
    out = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "band-group":
            rect = g.find(f"{SVG}rect")
            assert rect is not None
            out.append((g.get("data-level", ""), float(rect.get("y", "nan"))))
    return out


def _inside(inner: Box, outer: Box) -> bool:
    return (
        outer.x <= inner.x
        and inner.x + inner.w <= outer.x + outer.w
        and outer.y <= inner.y
        and inner.y + inner.h <= outer.y + outer.h
    )


def test_line3_map_is_valid_svg_with_every_asset_in_its_band_and_zone() -> None:
    inv, graph, plant = line3_plant()
    root = _parse(render_svg(graph, plant, title="Line 3 & friends <test>"))
    assert root.tag == f"{SVG}svg" and root.get("width") == str(WIDTH)
    drawn = _assets(root)
    assert set(drawn) == set(graph.nodes)
    for node, g in drawn.items():
        assert g.get("data-level") == plant.levels[node].level.value
        texts = "".join(g.itertext())
        assert plant.names[node] in texts
    plc = inv.find(PLC)
    assert plc is not None
    tooltip = drawn[plc.id].findtext(f"{SVG}title") or ""
    assert "Acme/Plant1/Packaging/Line3 (declared)" in tooltip and "10.1.3.5" in tooltip
    assert [level for level, _ in _bands(root)] == BAND_ORDER


def test_bands_run_from_level_5_at_the_top_to_level_0_at_the_bottom() -> None:
    _, graph, plant = line3_plant()
    lay = layout(graph, plant)
    bands = [(b.level, b.box) for b in lay.bands]
    assert [level for level, _ in bands] == BAND_ORDER
    for (_, upper), (_, lower) in itertools.pairwise(bands):
        assert upper.y + upper.h < lower.y  # no overlap, strictly downwards
    ranks = {b.level: i for i, b in enumerate(lay.bands)}
    for node, box in lay.nodes.items():
        band = lay.bands[ranks[plant.levels[node].level.value]]
        assert _inside(box, band.box)


def test_zone_boxes_hold_their_members_and_a_zone_spans_bands() -> None:
    inv, graph, plant = line3_plant()
    lay = layout(graph, plant)
    boxes = [(b.level, z) for b in lay.bands for z in b.zones]
    control = [level for level, z in boxes if z.zone == "control-line3"]
    assert control == ["2", "1", "0"]  # one box in each band its members sit in
    for _, z in boxes:
        for node, box in z.assets.items():
            assert plant.membership[node].zone == z.zone
            assert _inside(box, z.box)
    ews, hmi = (inv.find(ip) for ip in (EWS, HMI))
    assert ews is not None and hmi is not None
    assert lay.nodes[ews.id].y == lay.nodes[hmi.id].y  # same zone, same band, one row


def test_links_are_coloured_by_their_strongest_category_and_skips_dashed() -> None:
    inv, graph, plant = line3_plant()
    root = _parse(render_svg(graph, plant))
    paths = {
        (p.get("data-source"), p.get("data-target")): p
        for p in root.iter(f"{SVG}path")
        if "edge" in (p.get("class") or "")
    }
    assert len(paths) == graph.number_of_edges()
    ids = {ip: inv.find(ip).id for ip in (HIST, HMI, EWS, PLC, IO)}  # type: ignore[union-attr]
    assert paths[ids[HMI], ids[PLC]].get("stroke") == CATEGORY_COLOURS["write"]
    assert paths[ids[EWS], ids[PLC]].get("stroke") == CATEGORY_COLOURS["program"]
    assert paths[ids[PLC], ids[IO]].get("data-category") == "write"
    skip = paths[ids[HIST], ids[PLC]]
    assert skip.get("class") == "edge skip" and skip.get("data-category") == "read"
    assert paths[ids[HMI], ids[PLC]].get("class") == "edge"


def test_a_link_that_would_run_behind_an_asset_takes_a_free_lane() -> None:
    """HIST (level 3) -> PLC (level 1) passes the level-2 band where EWS sits right below."""
    inv, graph, plant = line3_plant()
    lay = layout(graph, plant)
    hist, plc, ews = (inv.find(ip).id for ip in (HIST, PLC, EWS))  # type: ignore[union-attr]
    [path] = routes(lay, [(hist, plc)])
    assert " L" in path  # a straight run down a lane
    lane_x = float(path.split(" L")[1].split(",")[0])
    blocker = lay.nodes[ews]
    assert not blocker.x - 4 <= lane_x <= blocker.x + blocker.w + 4
    hmi = inv.find(HMI).id  # type: ignore[union-attr]
    [adjacent] = routes(lay, [(hmi, plc)])
    assert " L" not in adjacent  # neighbouring bands: a plain curve


def test_two_hundred_assets_stay_readable() -> None:
    graph, plant = big_plant(200)
    text = render_svg(graph, plant)
    root = _parse(text)
    drawn = _assets(root)
    assert set(drawn) == set(graph.nodes)
    lay = layout(graph, plant)
    assert lay.width == WIDTH and lay.height < 200 * NODE_H  # wrapped, not one long column
    boxes = sorted((b.y, b.x, b.w, b.h) for b in lay.nodes.values())
    for i, (y, x, w, h) in enumerate(boxes):  # no two assets overlap
        for y2, x2, w2, _ in boxes[i + 1 :]:
            if y2 >= y + h:
                break
            assert x2 >= x + w or x2 + w2 <= x
    assert all(box.x + box.w <= WIDTH for box in lay.nodes.values())
    levels = [level for level, _ in _bands(root)]
    assert levels == [*BAND_ORDER, "none"]  # some assets have no level: a last band
    ys = [y for _, y in _bands(root)]
    assert ys == sorted(ys)
    long_labels = [t for g in drawn.values() for t in g.itertext() if "\u2026" in t]
    assert long_labels and all(len(t) <= LABEL_CHARS + 6 for t in long_labels)


def test_names_with_markup_and_control_bytes_stay_valid_xml() -> None:
    _, graph, plant = line3_plant()
    odd = next(iter(graph.nodes))
    plant.names[odd] = 'PLC "<3>" & co\x07\x1b'
    root = _parse(render_svg(graph, plant))
    assert any('PLC "<3>" & co' in (g.get("data-name") or "") for g in _assets(root).values())


def test_an_unconfigured_plant_is_drawn_in_the_no_level_band() -> None:
    _, graph, _ = line3_plant()
    root = _parse(render_svg(graph, PlantMap()))
    assert set(_assets(root)) == set(graph.nodes)
    assert {g.get("data-level") for g in _assets(root).values()} == {"none"}


def test_drawing_is_deterministic_and_fetches_nothing() -> None:
    _, graph, plant = line3_plant()
    text = render_svg(graph, plant)
    assert text == render_svg(graph, plant)
    assert not re.search(r"(?:href|src)=\"(?:https?:)?//", text)
    assert "<script" not in text and "@import" not in text


def test_one_asset_per_level_inferred_and_declared_alike() -> None:
    _, graph, _ = line3_plant()
    plant = PlantMap()
    for i, node in enumerate(sorted(graph.nodes)):
        level = [Level.ENTERPRISE, Level.PROCESS][i % 2]
        plant.levels[node] = LevelAssignment(level, "t", Source.DECLARED)
        plant.membership[node] = ZoneAssignment("z", "t", Source.INFERRED)
    lay = layout(graph, plant)
    assert [len(b.zones) for b in lay.bands] == [0, 1, 0, 0, 0, 0, 1]


def test_an_asset_behind_another_is_reached_from_its_side_through_the_column_gap() -> None:
    """Twelve PLCs in one zone wrap onto a second row; the HMI's link to one there
    must not end on the PLC in front of it, so it enters the PLC's left side."""
    graph = nx.DiGraph()
    plant = PlantMap()
    graph.add_node("hmi", name="HMI", role="hmi")
    plant.levels["hmi"] = LevelAssignment(Level.SUPERVISORY, "t", Source.DECLARED)
    for i in range(12):
        graph.add_node(f"plc{i:02d}", name=f"PLC-{i:02d}", role="plc")
        plant.levels[f"plc{i:02d}"] = LevelAssignment(Level.BASIC_CONTROL, "t", Source.DECLARED)
        plant.membership[f"plc{i:02d}"] = ZoneAssignment("cell", "t", Source.DECLARED)
    graph.add_edge("hmi", "plc10", categories={"read": 1})
    graph.add_edge("hmi", "plc01", categories={"read": 1})
    lay = layout(graph, plant)
    front, behind = lay.nodes["plc01"], lay.nodes["plc10"]
    assert behind.y > front.y  # second row
    to_front, to_behind = routes(lay, [("hmi", "plc01"), ("hmi", "plc10")])
    x, y = (float(v) for v in to_behind.split()[-1].split(","))
    assert x == behind.x and behind.y < y < behind.y + behind.h
    x, y = (float(v) for v in to_front.split()[-1].split(","))
    assert y == front.y and front.x < x < front.x + front.w
    root = _parse(render_svg(graph, plant))
    assert len(_assets(root)) == 13
