"""The plant map as an SVG picture: Purdue bands, zone boxes, coloured links.

Layered layout, computed here and written as plain SVG text (no browser,
no font or script fetched, so the file shows the same in a report, a
ticket or an air-gapped workstation):

- one horizontal band per Purdue level, 5 at the top down to 0, then a
  band for assets with no level; an empty band is drawn thin so the
  reader still sees the whole model;
- inside a band, one box per zone (a zone whose members sit at several
  levels has a box in each band), boxes flowing left to right and
  wrapping onto a new row when the band is full;
- inside a box, assets in a grid of at most as many columns as the band
  has room for, sorted by name, each labelled with its name (shortened
  with an ellipsis past ``LABEL_CHARS``; the full name, role, addresses
  and processes are in the node's ``<title>`` tooltip) and its role;
- links as arrows client -> server, coloured by the strongest operation
  category they carry (``CATEGORY_COLOURS``), thicker for heavier
  categories, dashed when they skip a Purdue level.

Sizes are fixed in pixels: ``WIDTH`` 1600 wide fits 8 assets a row, so 200
assets take about 25 rows plus the band and box headers, a page that
scrolls but stays legible at 100 % zoom.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from otm.model.plant import Level, PlantMap
from otm.topology.export import NO_CATEGORY, asset_processes, strongest_category

WIDTH = 1600
MARGIN = 16
HEADER = 64  # title and legend
LABEL_W = 120  # the band names on the left
NODE_W, NODE_H = 150, 36
GAP = 14  # between nodes (room for links to pass), and between zone boxes
PAD = 10  # inside a zone box
ZONE_TITLE = 20
BAND_PAD = 12
EMPTY_BAND = 36
LABEL_CHARS = 21
"""Characters of a name that fit ``NODE_W`` at 11 px sans-serif (about 6.5 px each)."""

LEVEL_TITLES: dict[Level, str] = {
    Level.INTERNET: "Internet / edge",
    Level.ENTERPRISE: "Enterprise",
    Level.DMZ: "Industrial DMZ",
    Level.OPERATIONS: "Site operations",
    Level.SUPERVISORY: "Supervisory",
    Level.BASIC_CONTROL: "Basic control",
    Level.PROCESS: "Process",
}
UNPLACED = "none"
"""The band of assets the plant map gave no level."""

CATEGORY_COLOURS: dict[str, str] = {
    "program": "#7b1fa2",
    "control": "#c62828",
    "write": "#ef6c00",
    "read": "#1565c0",
    "session": "#546e7a",
    "diagnostic": "#546e7a",
    "identify": "#9e9e9e",
    "exception": "#9e9e9e",
    "other": "#8d6e63",
    NO_CATEGORY: "#b0b0b0",
}
"""Edge colour by strongest operation category: the warmer, the more it can change."""

ROLE_FILLS: dict[str, str] = {
    "plc": "#e8f5e9",
    "rtu": "#e8f5e9",
    "io-module": "#f1f8e9",
    "hmi": "#e3f2fd",
    "scada-server": "#e3f2fd",
    "engineering-workstation": "#fff3e0",
    "historian": "#ede7f6",
    "network-device": "#eceff1",
    "it-host": "#fafafa",
}
UNKNOWN_FILL = "#ffffff"
ROLE_LABELS = {"engineering-workstation": "eng. workstation", "scada-server": "SCADA server"}
"""Shorter role names where the full one would not fit under the asset's name."""


@dataclass
class Box:
    """A rectangle of the picture, top-left corner and size in pixels."""

    x: float
    y: float
    w: float
    h: float

    @property
    def centre(self) -> tuple[float, float]:
        """The middle of the rectangle."""
        return (self.x + self.w / 2, self.y + self.h / 2)


@dataclass
class ZoneBox:
    """One zone's box inside one band, and where each of its assets sits."""

    zone: str
    box: Box
    assets: dict[str, Box] = field(default_factory=dict)


@dataclass
class Band:
    """The band of one Purdue level (``UNPLACED`` for assets without one)."""

    level: str
    title: str
    box: Box
    zones: list[ZoneBox] = field(default_factory=list)


@dataclass
class Layout:
    """Where everything goes: bands top to bottom, and every asset's box."""

    width: float
    height: float
    bands: list[Band] = field(default_factory=list)
    nodes: dict[str, Box] = field(default_factory=dict)
    band_of: dict[str, int] = field(default_factory=dict)  # asset -> index in ``bands``


def _band_order(plant: PlantMap, nodes: list[str]) -> list[str]:
    levels = sorted(Level, key=lambda lv: -lv.rank)
    order = [lv.value for lv in levels]
    if any(n not in plant.levels for n in nodes):
        order.append(UNPLACED)
    return order


def _name(graph: nx.DiGraph, plant: PlantMap, node: str) -> str:
    return str(plant.names.get(node) or graph.nodes[node].get("name") or node)


def layout(graph: nx.DiGraph, plant: PlantMap) -> Layout:
    """Place bands, zone boxes and assets (see the module docstring)."""
    nodes = list(graph.nodes)
    by_band: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for node in nodes:
        assigned = plant.levels.get(node)
        level = assigned.level.value if assigned else UNPLACED
        member = plant.membership.get(node)
        by_band[level][member.zone if member else ""].append(node)

    inner_x = MARGIN + LABEL_W
    inner_w = WIDTH - inner_x - MARGIN
    max_cols = max(1, int((inner_w - 2 * PAD + GAP) // (NODE_W + GAP)))
    out = Layout(WIDTH, 0)
    y = float(MARGIN + HEADER)
    for level in _band_order(plant, nodes):
        title = LEVEL_TITLES[Level(level)] if level != UNPLACED else "No level"
        zones = by_band.get(level, {})
        if not zones:
            out.bands.append(Band(level, title, Box(MARGIN, y, WIDTH - 2 * MARGIN, EMPTY_BAND)))
            y += EMPTY_BAND + GAP
            continue
        band = Band(level, title, Box(MARGIN, y, WIDTH - 2 * MARGIN, 0))
        x, row_top, row_h = inner_x, y + BAND_PAD, 0.0
        for zone in sorted(zones, key=lambda z: (z == "", z.lower())):
            members = sorted(zones[zone], key=lambda n: (_name(graph, plant, n).lower(), n))
            cols = min(len(members), max_cols)
            rows = -(-len(members) // cols)
            w = 2 * PAD + cols * NODE_W + (cols - 1) * GAP
            h = ZONE_TITLE + PAD + rows * NODE_H + (rows - 1) * GAP + PAD
            if x > inner_x and x + w > inner_x + inner_w:  # wrap onto a new row of boxes
                x, row_top, row_h = inner_x, row_top + row_h + GAP, 0.0
            zbox = ZoneBox(zone, Box(x, row_top, w, h))
            for i, node in enumerate(members):
                r, c = divmod(i, cols)
                nx_ = x + PAD + c * (NODE_W + GAP)
                ny_ = row_top + ZONE_TITLE + PAD + r * (NODE_H + GAP)
                zbox.assets[node] = out.nodes[node] = Box(nx_, ny_, NODE_W, NODE_H)
                out.band_of[node] = len(out.bands)
            band.zones.append(zbox)
            x += w + GAP
            row_h = max(row_h, h)
        band.box.h = row_top + row_h + BAND_PAD - y
        out.bands.append(band)
        y += band.box.h + GAP
    out.height = y - GAP + MARGIN
    return out


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    """Text content safe for XML 1.0 (device names may hold control bytes)."""
    return escape(_XML_UNSAFE.sub("?", value))


def _attr(value: str) -> str:
    return quoteattr(_XML_UNSAFE.sub("?", value))


def _short(name: str, limit: int = LABEL_CHARS) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "\u2026"


def _sides(a: Box, b: Box) -> tuple[str, str]:
    """Which side of each box a link leaves and enters: downwards, upwards, or along a row."""
    dy = b.centre[1] - a.centre[1]
    if dy > NODE_H / 2:
        return ("bottom", "top")
    if dy < -NODE_H / 2:
        return ("top", "bottom")
    return ("top", "top")


PORT_INSET = 12
"""Pixels kept free at each end of a box's side, so link ends stay off its corners."""


Point = tuple[float, float]


def routes(lay: Layout, pairs: list[tuple[str, str]]) -> list[str]:
    """The SVG path of each link, in the order of ``pairs``.

    Links leave a box from its bottom when going down a band and its top
    when going up (or along a row, bowing over it).  A box with another
    asset right above it (the second row of a zone) is entered and left
    from its left side instead, through the gap between the columns, so a
    link never seems to end on the asset in front of it.  The ends on one
    side of a box are spread along it in the order of where their other
    ends are, which keeps links that share a box from crossing at it; the
    paths are cubic curves leaving and entering vertically, and take a
    lane (``_Lanes``) past the bands they cross.
    """
    above, below = _covered(lay)
    zone_of = {n: zb.box for band in lay.bands for zb in band.zones for n in zb.assets}
    ends: dict[tuple[str, str], list[tuple[float, int, int]]] = defaultdict(list)
    plans: list[tuple[str, str, str, str]] = []
    for i, (a, b) in enumerate(pairs):
        box_a, box_b = lay.nodes[a], lay.nodes[b]
        side_a, side_b = _sides(box_a, box_b)
        port_a = "left" if (a in above if side_a == "top" else a in below) else side_a
        port_b = "left" if (b in above if side_b == "top" else b in below) else side_b
        plans.append((side_a, side_b, port_a, port_b))
        ends[(a, port_a)].append((box_b.centre[1 if port_a == "left" else 0], i, 0))
        ends[(b, port_b)].append((box_a.centre[1 if port_b == "left" else 0], i, 1))
    points = [[(0.0, 0.0), (0.0, 0.0)] for _ in pairs]
    for (node, port), items in ends.items():
        box = lay.nodes[node]
        for k, (_, i, end) in enumerate(sorted(items)):
            share = (k + 1) / (len(items) + 1)
            if port == "left":
                points[i][end] = (box.x, box.y + 6 + (box.h - 12) * share)
            else:
                y = box.y if port == "top" else box.y + box.h
                points[i][end] = (box.x + PORT_INSET + (box.w - 2 * PORT_INSET) * share, y)
    lanes = _Lanes(lay)
    out = []
    for (a, b), (pa, pb), (side_a, side_b, port_a, port_b) in zip(
        pairs, points, plans, strict=True
    ):
        head, p1 = _side_door(pa, side_a, port_a, zone_of[a], leaving=True)
        tail, p2 = _side_door(pb, side_b, port_b, zone_of[b], leaving=False)
        (x1, y1), (x2, y2) = p1, p2
        if side_a == side_b:  # along a row: bow over the boxes between
            h = 24 + abs(x2 - x1) * 0.12
            middle = _curve(p1, (x1, y1 - h), (x2, y2 - h), p2, move=False)
        elif (lane := lanes.around(lay.band_of[a], lay.band_of[b], p1, p2)) is not None:
            lx, exit_y, entry_y = lane
            mid1, mid2 = (y1 + exit_y) / 2, (entry_y + y2) / 2
            middle = (
                _curve(p1, (x1, mid1), (lx, mid1), (lx, exit_y), move=False)
                + f" L{lx:.1f},{entry_y:.1f}"
                + _curve((lx, entry_y), (lx, mid2), (x2, mid2), p2, move=False)
            )
        else:
            pull = max(18.0, min(90.0, abs(y2 - y1) * 0.45))
            sign = 1 if side_a == "bottom" else -1
            middle = _curve(p1, (x1, y1 + sign * pull), (x2, y2 - sign * pull), p2, move=False)
        out.append(head + middle + tail)
    return out


def _side_door(port: Point, side: str, door: str, zone: Box, leaving: bool) -> tuple[str, Point]:
    """The piece of a link between a box's side and the open space it travels in.

    Returns the path text (``M`` for the end that leaves, nothing to add
    when the link meets the box's top or bottom directly) and the point
    where the link's travel between boxes begins or ends.
    """
    x, y = port
    if door != "left":
        return (f"M{x:.1f},{y:.1f}" if leaving else "", port)
    gx = x - GAP / 2
    edge = zone.y + ZONE_TITLE - 4 if side == "top" else zone.y + zone.h - 3
    step = -5 if side == "top" else 5
    if leaving:
        return (f"M{x:.1f},{y:.1f} Q{gx:.1f},{y:.1f} {gx:.1f},{y + step:.1f} L{gx:.1f},{edge:.1f}",
                (gx, edge))  # fmt: skip
    return (f" L{gx:.1f},{y + step:.1f} Q{gx:.1f},{y:.1f} {x:.1f},{y:.1f}", (gx, edge))


def _covered(lay: Layout) -> tuple[set[str], set[str]]:
    """Assets with another asset of their band right above them, and right below.

    Every box is ``NODE_W`` wide, so two overlap in x when their left edges
    are less than that apart: sorting a band by x bounds the comparisons.
    """
    above: set[str] = set()
    below: set[str] = set()
    for band in lay.bands:
        boxes = sorted((box.x, box.y, n) for z in band.zones for n, box in z.assets.items())
        for i, (x, y, n) in enumerate(boxes):
            for x2, y2, m in boxes[i + 1 :]:
                if x2 - x >= NODE_W:
                    break
                if y2 < y:
                    above.add(n)
                    below.add(m)
                elif y2 > y:
                    above.add(m)
                    below.add(n)
    return above, below


def _curve(p0: Point, c1: Point, c2: Point, p1: Point, move: bool = True) -> str:
    """A cubic curve p0 -> p1; ``move=False`` continues a path already at p0."""
    head = f"M{p0[0]:.1f},{p0[1]:.1f} " if move else " "
    return f"{head}C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {p1[0]:.1f},{p1[1]:.1f}"


class _Lanes:
    """Vertical lanes for links that would run behind the assets of the bands they cross.

    A link between bands two or more apart is drawn as a curve when that
    passes no asset of the bands between; otherwise it drops into the gap
    below its band, runs down (or up) a lane free of assets in every band
    it crosses (the free space nearest the middle of its ends, the strip
    left of the zone boxes at worst), and curves into its target from the
    gap above the target's band.  Links sharing a lane are spread 3 px apart.
    """

    SPREAD = 3.0

    def __init__(self, lay: Layout) -> None:
        self.lay = lay
        self.used: dict[float, int] = defaultdict(int)
        # Per band, its boxes by left edge: a link's crossing check looks only
        # at the boxes within its x range (bisect), not at the whole band.
        self.boxes: list[list[tuple[float, Box]]] = []
        self.starts: list[list[float]] = []
        for band in lay.bands:
            boxes = sorted(((b.x, b) for z in band.zones for b in z.assets.values()),
                           key=lambda xb: (xb[0], xb[1].y))  # fmt: skip
            self.boxes.append(boxes)
            self.starts.append([x for x, _ in boxes])
        self.free: dict[tuple[int, int], list[float]] = {}

    def around(
        self, band_a: int, band_b: int, p1: Point, p2: Point
    ) -> tuple[float, float, float] | None:
        """(lane x, y leaving the first band, y entering the last) or None if no lane is needed."""
        lo, hi = sorted((band_a, band_b))
        x_lo, x_hi = min(p1[0], p2[0]) - NODE_W - 4, max(p1[0], p2[0]) + 4
        blocked = any(
            _crosses(p1, p2, box)
            for i in range(lo + 1, hi)
            for _, box in self.boxes[i][
                bisect_left(self.starts[i], x_lo) : bisect_right(self.starts[i], x_hi)
            ]
        )
        if not blocked:
            return None
        if (lo, hi) not in self.free:
            spans = sorted(
                (x - 4, x + box.w + 4) for i in range(lo + 1, hi) for x, box in self.boxes[i]
            )
            self.free[(lo, hi)] = self._free(spans)
        want = (p1[0] + p2[0]) / 2
        lane = min(self.free[(lo, hi)], key=lambda x: (abs(x - want), x))
        n = self.used[lane]
        self.used[lane] += 1
        x = lane + self.SPREAD * ((n + 1) // 2) * (1 if n % 2 else -1)
        first, last = self.lay.bands[band_a].box, self.lay.bands[band_b].box
        if band_a < band_b:  # going down the picture
            return (x, first.y + first.h + GAP / 2, last.y - GAP / 2)
        return (x, first.y - GAP / 2, last.y + last.h + GAP / 2)

    def _free(self, spans: list[tuple[float, float]]) -> list[float]:
        """Middles of the gaps between the asset columns, and the strips at either side."""
        left = MARGIN + LABEL_W - 8.0
        free = [left]
        reach = left
        for start, end in spans:
            if start - reach >= 6:
                free.append((reach + start) / 2)
            reach = max(reach, end)
        free.append(min(reach + 8.0, self.lay.width - MARGIN - 4))
        return free


def _crosses(p1: tuple[float, float], p2: tuple[float, float], box: Box) -> bool:
    """Does the segment p1-p2 pass through the box (grown by 4 px)?"""
    (x1, y1), (x2, y2) = p1, p2
    top, bottom = box.y - 4, box.y + box.h + 4
    if max(y1, y2) < top or min(y1, y2) > bottom or y1 == y2:
        return False
    # x where the segment meets the box's top and bottom edges, clipped to the segment
    ta = min(max((top - y1) / (y2 - y1), 0.0), 1.0)
    tb = min(max((bottom - y1) / (y2 - y1), 0.0), 1.0)
    xa, xb = x1 + (x2 - x1) * ta, x1 + (x2 - x1) * tb
    return min(xa, xb) <= box.x + box.w + 4 and max(xa, xb) >= box.x - 4


def render_svg(graph: nx.DiGraph, plant: PlantMap, title: str = "Plant map") -> str:
    """The plant map as SVG text (see the module docstring)."""
    lay = layout(graph, plant)
    processes = asset_processes(plant)
    skipped = {skip.link for skip in plant.level_skips}
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" '
        f'height="{lay.height:.0f}" viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" '
        'font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="11">',
        f"<title>{_text(title)}</title>",
        "<style>"
        ".band{fill:#f7f7f7;stroke:#d0d0d0}.band-empty{fill:#fcfcfc;stroke:#e4e4e4}"
        ".zone{fill:#ffffff;fill-opacity:.6;stroke:#7a8a99;stroke-dasharray:4 2}"
        ".node{stroke:#37474f}.edge{fill:none;stroke-opacity:.75}"
        ".skip{stroke-dasharray:7 4}.sub{fill:#546e7a;font-size:9px}"
        ".lvl{font-size:16px;font-weight:bold;fill:#37474f}.lvlname{fill:#546e7a}"
        ".zname{font-size:10px;fill:#455a64;font-weight:bold}"
        "</style>",
        "<defs>",
    ]
    for cat, colour in CATEGORY_COLOURS.items():
        out.append(
            f'<marker id="arrow-{cat}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
            'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
            '<path d="M0,0 L10,5 L0,10 z" '
            f'fill="{colour}"/></marker>'
        )
    out.append("</defs>")
    out += _header(graph, title)
    out += _bands(lay)
    out.append('<g class="edges">')
    pairs = sorted((a, b) for a, b in graph.edges if a in lay.nodes and b in lay.nodes)
    for (client, server), path in zip(pairs, routes(lay, pairs), strict=True):
        data = graph.edges[client, server]
        cat = strongest_category(data.get("categories", {}))
        skip = any(tuple(k) in skipped for k in data.get("links", []))
        out.append(_edge(path, cat, data, client, server, skip))
    out.append("</g>")
    out.append('<g class="assets">')
    for node in sorted(lay.nodes):
        out.append(_node(graph, plant, node, lay.nodes[node], processes.get(node, [])))
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _header(graph: nx.DiGraph, title: str) -> list[str]:
    out = [
        f'<text x="{MARGIN}" y="{MARGIN + 18}" font-size="18" font-weight="bold">'
        f"{_text(title)}</text>",
        f'<text x="{MARGIN}" y="{MARGIN + 36}" class="sub" font-size="11">'
        f"{graph.number_of_nodes()} assets, {graph.number_of_edges()} links; "
        "arrows point from the asset that asks to the one that answers</text>",
    ]
    x = MARGIN
    y = MARGIN + 54
    legend = [c for c in CATEGORY_COLOURS if c not in ("diagnostic", "exception")]
    for cat in legend:
        label = {"session": "session / diagnostic", "identify": "identify"}.get(cat, cat)
        colour = CATEGORY_COLOURS[cat]
        out.append(
            f'<line x1="{x}" y1="{y}" x2="{x + 24}" y2="{y}" stroke="{colour}" stroke-width="3"/>'
            f'<text x="{x + 28}" y="{y + 4}">{_text(label)}</text>'
        )
        x += 34 + 7 * len(label) + 14
    out.append(
        f'<line x1="{x}" y1="{y}" x2="{x + 24}" y2="{y}" stroke="#555" stroke-width="2" '
        f'class="skip"/><text x="{x + 28}" y="{y + 4}">skips a Purdue level</text>'
    )
    return out


def _bands(lay: Layout) -> list[str]:
    out: list[str] = ['<g class="bands">']
    for band in lay.bands:
        b = band.box
        empty = not band.zones
        label = f"Level {band.level}" if band.level != UNPLACED else "Level ?"
        # An empty band is one line high: its title goes beside the level, not under it.
        tx, ty = (b.x + 110, b.y + 22) if empty else (b.x + 10, b.y + 38)
        out.append(
            f'<g class="band-group" data-level="{band.level}">'
            f'<rect class="{"band-empty" if empty else "band"}" x="{b.x:.0f}" y="{b.y:.0f}" '
            f'width="{b.w:.0f}" height="{b.h:.0f}" rx="4"/>'
            f'<text class="lvl" x="{b.x + 10:.0f}" y="{b.y + 22:.0f}">{_text(label)}</text>'
            f'<text class="lvlname" x="{tx:.0f}" y="{ty:.0f}">{_text(band.title)}</text>'
        )
        for zb in band.zones:
            z = zb.box
            name = zb.zone or "(no zone)"
            out.append(
                f'<g data-zone={_attr(zb.zone)}><rect class="zone" x="{z.x:.0f}" y="{z.y:.0f}" '
                f'width="{z.w:.0f}" height="{z.h:.0f}" rx="6"/>'
                f'<text class="zname" x="{z.x + PAD:.0f}" y="{z.y + 14:.0f}">'
                f"{_text(_short(name, int(z.w // 6.5)))} ({len(zb.assets)})</text></g>"
            )
        out.append("</g>")
    out.append("</g>")
    return out


def _edge(
    path: str,
    cat: str,
    data: dict[str, object],
    client: str,
    server: str,
    skip: bool,
) -> str:
    colour = CATEGORY_COLOURS.get(cat, CATEGORY_COLOURS["other"])
    weight = data.get("weight", 1.0)
    width = 1.0 + (float(weight) if isinstance(weight, int | float) else 1.0) / 4
    protocols = data.get("protocols", ())
    tip = ", ".join(sorted(str(p) for p in protocols)) if isinstance(protocols, set) else ""
    classes = "edge skip" if skip else "edge"
    return (
        f'<path class="{classes}" data-source={_attr(client)} data-target={_attr(server)} '
        f'data-category="{cat}" d="{path}" stroke="{colour}" stroke-width="{width:.1f}" '
        f'marker-end="url(#arrow-{cat if cat in CATEGORY_COLOURS else "other"})">'
        f"<title>{_text(f'{tip} ({cat})')}</title></path>"
    )


def _node(
    graph: nx.DiGraph,
    plant: PlantMap,
    node: str,
    box: Box,
    processes: list[dict[str, str]],
) -> str:
    data = graph.nodes[node]
    name = _name(graph, plant, node)
    role = str(data.get("role", "unknown"))
    ips = [str(ip) for ip in data.get("ips", [])]
    level = plant.levels.get(node)
    zone = plant.membership.get(node)
    tip = [name, f"role: {role}"]
    if ips:
        tip.append("ip: " + ", ".join(ips))
    if level:
        tip.append(f"level {level.level.value} ({level.source.value}): {level.reason}")
    if zone:
        tip.append(f"zone {zone.zone} ({zone.source.value}): {zone.reason}")
    tip += [f"supports {p['process']} ({p['source']})" for p in processes]
    sub = ROLE_LABELS.get(role, role) + (f" \u00b7 {ips[0]}" if ips and ips[0] != name else "")
    fill = ROLE_FILLS.get(role, UNKNOWN_FILL)
    return (
        f'<g class="asset" data-id={_attr(node)} data-name={_attr(name)} '
        f'data-level="{level.level.value if level else UNPLACED}">'
        f"<title>{_text(chr(10).join(tip))}</title>"
        f'<rect class="node" x="{box.x:.0f}" y="{box.y:.0f}" width="{box.w:.0f}" '
        f'height="{box.h:.0f}" rx="4" fill="{fill}"/>'
        f'<text x="{box.x + 6:.0f}" y="{box.y + 15:.0f}">{_text(_short(name))}</text>'
        f'<text class="sub" x="{box.x + 6:.0f}" y="{box.y + 29:.0f}">'
        f"{_text(_short(sub, LABEL_CHARS + 6))}</text></g>"
    )
