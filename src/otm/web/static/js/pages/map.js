// The topology map: assets as nodes (coloured by role, ringed by their worst open
// alert), links as arrows from client to server, in Purdue-level rows or grouped by
// zone or process; zoom with the wheel or the buttons, pan by dragging; selecting a
// node highlights its neighbours and the edges to them.

import { get } from "../api.js";
import { add, h, replace, route, s, select, severity, state, text } from "../dom.js";

// Layout units are CSS pixels at the 16 px base font: the drawing is as wide as its box,
// and scales with the type on large screens.
let W = 1200;
const LEFT = 12;
const HEADER = 26;
const CELL_W = 108;
const CELL_H = 74;
const R = 13;
const LEVELS = [
  ["5", "Level 5 · enterprise"],
  ["4", "Level 4 · business"],
  ["3.5", "Level 3.5 · DMZ"],
  ["3", "Level 3 · operations"],
  ["2", "Level 2 · supervisory"],
  ["1", "Level 1 · control"],
  ["0", "Level 0 · process"],
  ["", "Not placed"],
];
const LEVEL_RANK = Object.fromEntries(LEVELS.map(([l], i) => [l, i]));
const ROLES = ["plc", "rtu", "io-module", "hmi", "engineering-workstation", "scada-server", "historian", "network-device", "it-host", "unknown"];
const GROUPS = [
  ["level", "Purdue level"],
  ["zone", "zone"],
  ["process", "process"],
];
const MIN_K = 0.3;
const MAX_K = 8;

function short(name) {
  return name.length > 16 ? name.slice(0, 15) + "…" : name;
}

/** Rows by Purdue level, in the API's order (zone by zone), wrapped to fit the width. */
function levelLayout(nodes) {
  const rows = new Map(LEVELS.map(([l]) => [l, []]));
  for (const n of [...nodes].sort((a, b) => a.x - b.x)) {
    const key = rows.has(n.level || "") ? n.level || "" : "";
    rows.get(key).push(n);
  }
  const perRow = Math.max(1, Math.floor((W - 2 * LEFT) / CELL_W));
  const where = new Map();
  const frames = [];
  let y = 0;
  let odd = false;
  for (const [level, label] of LEVELS) {
    const members = rows.get(level);
    if (!members.length) continue;
    const lines = Math.ceil(members.length / perRow);
    const height = HEADER + lines * CELL_H + 6;
    frames.push({ kind: "band", x: 0, y, w: W, h: height, label: `${label} (${members.length})`, odd });
    odd = !odd;
    members.forEach((n, i) => {
      const line = Math.floor(i / perRow);
      const inLine = Math.min(perRow, members.length - line * perRow);
      const column = i % perRow;
      const step = (W - 2 * LEFT) / Math.max(inLine, Math.min(perRow, 4));
      const start = LEFT + (W - 2 * LEFT - step * inLine) / 2;
      where.set(n.id, { x: start + (column + 0.5) * step, y: y + HEADER + (line + 0.5) * CELL_H - 10 });
    });
    y += height;
  }
  return { where, frames, height: Math.max(y, 200) };
}

/** Boxes by zone or by process, packed left to right. */
function groupLayout(nodes, key) {
  const groups = new Map();
  for (const n of nodes) {
    const names = key === "zone" ? [n.zone || "no zone"] : n.processes.length ? [n.processes[0]] : ["no process"];
    for (const g of names) {
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(n);
    }
  }
  const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  const maxCols = Math.floor((W - 40) / CELL_W);
  const where = new Map();
  const frames = [];
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  for (const [name, members] of ordered) {
    members.sort((a, b) => (LEVEL_RANK[a.level || ""] ?? 9) - (LEVEL_RANK[b.level || ""] ?? 9) || a.name.localeCompare(b.name, "en", { numeric: true }));
    const cols = Math.max(1, Math.min(maxCols, Math.ceil(Math.sqrt(members.length * 2.5))));
    const rows = Math.ceil(members.length / cols);
    const w = cols * CELL_W + 24;
    const hgt = rows * CELL_H + 44;
    if (x > 0 && x + w > W) {
      x = 0;
      y += lineHeight + 20;
      lineHeight = 0;
    }
    frames.push({ kind: "group", x, y, w, h: hgt, label: `${name} (${members.length})` });
    members.forEach((n, i) => {
      where.set(n.id, { x: x + 12 + ((i % cols) + 0.5) * CELL_W, y: y + 36 + (Math.floor(i / cols) + 0.5) * CELL_H - 10 });
    });
    x += w + 20;
    lineHeight = Math.max(lineHeight, hgt);
  }
  return { where, frames, height: Math.max(y + lineHeight, 200) };
}

export default async function map(view) {
  const p = view.params;
  const st = {
    group: GROUPS.some(([g]) => g === p.get("group")) ? p.get("group") : "level",
    zone: p.get("zone") || "",
    level: p.get("level") || "",
    process: p.get("process") || "",
    asset: p.get("asset") || "",
    focus: p.get("focus") || "",
  };
  const facets = await get("/assets/facets");
  let data = { nodes: [], edges: [] };
  let byId = new Map();
  let selected = null;
  let zoom = { k: 1, tx: 0, ty: 0 };
  let height = 900;
  let dragging = null;
  let suppressClick = false;
  let drawnFor = 0;

  const svg = s("svg", { class: "map", id: "map-svg", role: "group", "aria-label": "Topology map", viewBox: `0 0 ${W} ${height}`, preserveAspectRatio: "xMidYMid meet" });
  const defs = s(
    "defs",
    null,
    s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse", markerUnits: "userSpaceOnUse" }, s("path", { d: "M 0 0 L 10 5 L 0 10 z" })),
  );
  const scene = s("g", { id: "map-scene" });
  svg.append(defs, scene);
  const panel = h("section", { class: "pane", id: "map-panel", "aria-labelledby": "map-panel-title", "aria-live": "polite" });
  const countLine = h("p", { id: "map-count", class: "muted" });
  const assetPicker = h("select", { id: "map-asset" });
  assetPicker.addEventListener("change", () => {
    if (assetPicker.value) choose(assetPicker.value, { center: true });
    else choose(null);
  });

  function sync() {
    const params = { group: st.group === "level" ? "" : st.group, zone: st.zone, level: st.level, process: st.process, asset: st.asset, focus: selected || "" };
    history.replaceState(null, "", route("/map", params));
  }

  function apply() {
    scene.setAttribute("transform", `translate(${zoom.tx.toFixed(2)} ${zoom.ty.toFixed(2)}) scale(${zoom.k.toFixed(4)})`);
    svg.classList.toggle("zoomed-out", zoom.k < 0.8);
  }

  function zoomAt(point, factor) {
    const k = Math.min(MAX_K, Math.max(MIN_K, zoom.k * factor));
    zoom = { k, tx: point.x - ((point.x - zoom.tx) * k) / zoom.k, ty: point.y - ((point.y - zoom.ty) * k) / zoom.k };
    apply();
  }

  function toView(event) {
    const matrix = svg.getScreenCTM();
    if (!matrix) return { x: 0, y: 0 };
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    return { x: point.x, y: point.y };
  }

  function fit() {
    zoom = { k: 1, tx: 0, ty: 0 };
    apply();
  }

  function centerOn(id) {
    const node = byId.get(id);
    if (!node || !node.at) return;
    const k = Math.max(zoom.k, 1.4);
    zoom = { k, tx: W / 2 - k * node.at.x, ty: height / 2 - k * node.at.y };
    apply();
  }

  svg.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      zoomAt(toView(event), Math.exp(-event.deltaY * 0.0015));
    },
    { passive: false },
  );
  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    suppressClick = false;
    dragging = { start: toView(event), tx: zoom.tx, ty: zoom.ty, x: event.clientX, y: event.clientY, id: event.pointerId, moved: false };
  });
  svg.addEventListener("pointermove", (event) => {
    if (!dragging || event.pointerId !== dragging.id) return;
    if (!dragging.moved && Math.hypot(event.clientX - dragging.x, event.clientY - dragging.y) < 5) return;
    if (!dragging.moved) {
      dragging.moved = true;
      svg.setPointerCapture(event.pointerId);
      svg.classList.add("dragging");
    }
    const now = toView(event);
    zoom = { ...zoom, tx: dragging.tx + now.x - dragging.start.x, ty: dragging.ty + now.y - dragging.start.y };
    apply();
  });
  const endDrag = (event) => {
    if (!dragging || event.pointerId !== dragging.id) return;
    suppressClick = dragging.moved;
    if (dragging.moved && svg.hasPointerCapture(event.pointerId)) svg.releasePointerCapture(event.pointerId);
    svg.classList.remove("dragging");
    dragging = null;
  };
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);
  svg.addEventListener("click", (event) => {
    if (suppressClick) return;
    if (!event.target.closest(".node")) choose(null);
  });
  svg.addEventListener("keydown", (event) => {
    const step = 60;
    const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (event.key === "+" || event.key === "=") zoomAt({ x: W / 2, y: height / 2 }, 1.25);
    else if (event.key === "-") zoomAt({ x: W / 2, y: height / 2 }, 0.8);
    else if (event.key === "0") fit();
    else if (event.key === "Escape") choose(null);
    else if (moves[event.key] && event.shiftKey) {
      zoom = { ...zoom, tx: zoom.tx + moves[event.key][0], ty: zoom.ty + moves[event.key][1] };
      apply();
    } else return;
    event.preventDefault();
  });

  const zoomIn = h("button", { type: "button", id: "zoom-in", "aria-label": "Zoom in", title: "Zoom in (+)" }, "+");
  const zoomOut = h("button", { type: "button", id: "zoom-out", "aria-label": "Zoom out", title: "Zoom out (−)" }, "−");
  const zoomFit = h("button", { type: "button", id: "zoom-fit", "aria-label": "Show everything", title: "Show everything (0)" }, "⤢");
  zoomIn.addEventListener("click", () => zoomAt({ x: W / 2, y: height / 2 }, 1.3));
  zoomOut.addEventListener("click", () => zoomAt({ x: W / 2, y: height / 2 }, 1 / 1.3));
  zoomFit.addEventListener("click", fit);

  function neighbours(id) {
    const out = new Map();
    for (const e of data.edges) {
      if (e.source === id) out.set(e.target, [...(out.get(e.target) || []), { dir: "to", e }]);
      if (e.target === id) out.set(e.source, [...(out.get(e.source) || []), { dir: "from", e }]);
    }
    return out;
  }

  // The impact path: what fails with the selected asset (GET /assets/{id}/impact), or null.
  let impact = null;

  function highlight() {
    const near = selected ? neighbours(selected) : new Map();
    const lit = impact ? impact.assets : near;
    for (const el of scene.querySelectorAll(".node")) {
      const id = el.dataset.id;
      el.classList.toggle("sel", id === selected);
      el.classList.toggle("hl", lit.has(id));
      el.classList.toggle("dim", Boolean(selected) && id !== selected && !lit.has(id));
      el.setAttribute("aria-pressed", id === selected ? "true" : "false");
    }
    for (const el of scene.querySelectorAll(".edge")) {
      const { source, target } = el.dataset;
      const on = impact
        ? impact.steps.has(`${source}>${target}`) || impact.steps.has(`${target}>${source}`)
        : source === selected || target === selected;
      el.classList.toggle("hl", Boolean(selected) && on);
      el.classList.toggle("dim", Boolean(selected) && !on);
      el.setAttribute("marker-end", on && selected ? "url(#arrow-hl)" : "url(#arrow)");
    }
    return near;
  }

  async function showImpact() {
    const id = selected;
    const report = await get(`/assets/${encodeURIComponent(id)}/impact`);
    if (selected !== id) return;
    const steps = new Set();
    for (const a of report.assets) a.path.slice(1).forEach((step, i) => steps.add(`${a.path[i]}>${step}`));
    impact = { report, assets: new Map(report.assets.map((a) => [a.asset, a])), steps };
    describe(highlight());
  }

  function choose(id, { center = false } = {}) {
    if (id !== selected) impact = null;
    selected = id && byId.has(id) ? id : null;
    const near = highlight();
    assetPicker.value = selected || "";
    sync();
    if (selected && center) centerOn(selected);
    describe(near);
  }

  function describe(near) {
    if (!selected) {
      replace(
        panel,
        h("h2", { id: "map-panel-title" }, "Select an asset"),
        h("p", null, "Click a node, or pick an asset in the list, to see its neighbours and the links to them; double-click a node (or press Enter on a selected one) to open its asset page."),
        h("p", { class: "muted" }, "Zoom with the wheel or the + − buttons, pan by dragging (Shift + arrows with the keyboard), Escape clears the selection."),
      );
      return;
    }
    const n = byId.get(selected);
    const rows = [...near.entries()].map(([id, links]) => {
      const peer = byId.get(id);
      const dirs = [...new Set(links.map((l) => (l.dir === "to" ? "→" : "←")))].join(" ");
      const protocols = [...new Set(links.flatMap((l) => l.e.protocols))].join(", ");
      const packets = links.reduce((sum, l) => sum + (l.e.packets || 0), 0);
      const pick = h("button", { type: "button", class: "link", "data-neighbour": id }, peer ? peer.name : id);
      pick.addEventListener("click", () => choose(id, { center: true }));
      return h("li", null, h("span", { "aria-label": dirs === "→" ? "it talks to" : dirs === "←" ? "talks to it" : "both ways" }, dirs), " ", pick, h("span", { class: "muted" }, ` ${protocols} · ${packets.toLocaleString("en")} packets`));
    });
    replace(
      panel,
      h("h2", { id: "map-panel-title" }, n.name),
      h(
        "p",
        { class: "actions" },
        h("a", { class: "button-link", id: "map-open-asset", href: route("/assets/" + encodeURIComponent(n.id)) }, "Open asset page"),
        st.asset === n.id ? null : h("button", { type: "button", class: "quiet", id: "map-only-neighbourhood", onclick: () => setFilter("asset", n.id) }, "Only its neighbourhood"),
        impact
          ? h("button", { type: "button", class: "quiet", id: "map-neighbours-again", onclick: () => { impact = null; describe(highlight()); } }, "Show neighbours")
          : h("button", { type: "button", class: "quiet", id: "map-impact", onclick: () => showImpact().catch((error) => error.status !== 401 && view.notify("Could not compute the impact: " + error.message, "error")) }, "Impact if it fails"),
      ),
      h(
        "dl",
        { class: "facts" },
        h("dt", null, "Role"),
        h("dd", null, text(n.role)),
        h("dt", null, "Level"),
        h("dd", null, text(n.level)),
        h("dt", null, "Zone"),
        h("dd", null, text(n.zone)),
        h("dt", null, "Processes"),
        h("dd", null, n.processes.join(", ") || "–"),
        h("dt", null, "Addresses"),
        h("dd", { class: "mono" }, n.ips.join(", ") || "–"),
        h("dt", null, "Open alerts"),
        h("dd", null, n.open_alerts ? [severity(n.worst_alert), ` ${n.open_alerts}`] : "none"),
        h("dt", null, "Health"),
        h("dd", null, state(n.health)),
      ),
      impact ? impactPart() : [h("h3", null, `Neighbours (${near.size})`), rows.length ? h("ul", { id: "map-neighbours", class: "notes" }, rows) : h("p", { class: "muted" }, "No link observed.")],
    );
  }

  function measure() {
    const unit = parseFloat(getComputedStyle(document.documentElement).fontSize) / 16 || 1;
    const px = svg.parentElement ? svg.parentElement.clientWidth : 0;
    return px ? Math.max(720, Math.round(px / unit)) : 1200;
  }

  function impactPart() {
    const { report } = impact;
    const items = report.assets.map((a) => {
      const pick = h("button", { type: "button", class: "link", "data-affected": a.asset }, a.name);
      pick.addEventListener("click", () => choose(a.asset, { center: true }));
      return h("li", null, pick, h("span", { class: "muted" }, ` ${a.kind} · via ${a.names.join(" → ")}`));
    });
    return [
      h("h3", null, `Impact if it fails: ${report.assets.length} asset(s), ${report.processes.length} process(es)`),
      report.processes.length ? h("p", null, "Processes: " + report.processes.map((p) => p.process || p.name || JSON.stringify(p)).join(", ")) : null,
      items.length ? h("ul", { id: "map-impact-list", class: "notes" }, items) : h("p", { class: "muted" }, "Nothing depends on it in the observed traffic."),
    ];
  }

  function draw() {
    W = measure();
    drawnFor = svg.parentElement ? svg.parentElement.clientWidth : 0;
    const nodes = data.nodes;
    byId = new Map(nodes.map((n) => [n.id, n]));
    const layout = st.group === "level" ? levelLayout(nodes) : groupLayout(nodes, st.group);
    height = layout.height;
    svg.setAttribute("viewBox", `0 0 ${W} ${height}`);
    for (const n of nodes) n.at = layout.where.get(n.id);
    const frames = s("g", { class: "frames" });
    for (const f of layout.frames) {
      if (f.kind === "band") {
        frames.append(s("rect", { class: "band" + (f.odd ? " odd" : ""), x: f.x - 4 * W, y: f.y, width: f.w + 8 * W, height: f.h }), s("text", { class: "band-label", x: 12, y: f.y + 19 }, f.label));
      } else {
        frames.append(s("rect", { class: "group", x: f.x, y: f.y, width: f.w, height: f.h, rx: 10 }), s("text", { class: "group-label", x: f.x + 12, y: f.y + 24 }, f.label));
      }
    }
    const edges = s("g", { class: "edges" });
    for (const e of data.edges) {
      const a = byId.get(e.source);
      const b = byId.get(e.target);
      if (!a || !b || !a.at || !b.at) continue;
      const dx = b.at.x - a.at.x;
      const dy = b.at.y - a.at.y;
      const length = Math.hypot(dx, dy) || 1;
      // A gentle curve, so links along one row do not run through the nodes between.
      const bend = Math.abs(dy) < 10 ? Math.min(120, 0.25 * length) : 0.12 * length;
      const cx = (a.at.x + b.at.x) / 2 - (dy / length) * bend;
      const cy = (a.at.y + b.at.y) / 2 + (dx / length) * bend;
      const tx = b.at.x - cx;
      const ty = b.at.y - cy;
      const tl = Math.hypot(tx, ty) || 1;
      const ex = b.at.x - (tx / tl) * (R + 3);
      const ey = b.at.y - (ty / tl) * (R + 3);
      const width = Math.min(6, 1 + Math.log10((e.packets || 0) + 1) / 1.2);
      edges.append(
        s(
          "path",
          { class: "edge", d: `M ${a.at.x.toFixed(1)} ${a.at.y.toFixed(1)} Q ${cx.toFixed(1)} ${cy.toFixed(1)} ${ex.toFixed(1)} ${ey.toFixed(1)}`, "stroke-width": width.toFixed(2), "marker-end": "url(#arrow)", "data-source": e.source, "data-target": e.target },
          s("title", null, `${a.name} → ${b.name}: ${e.protocols.join(", ")} (${(e.packets || 0).toLocaleString("en")} packets)`),
        ),
      );
    }
    const layer = s("g", { class: "nodes" });
    for (const n of nodes) {
      if (!n.at) continue;
      const role = ROLES.includes(n.role) ? n.role : "unknown";
      const label = `${n.name}, ${n.role || "unknown role"}, level ${n.level || "unknown"}${n.open_alerts ? `, ${n.open_alerts} open alerts, worst ${n.worst_alert}` : ""}`;
      const g = s(
        "g",
        { class: "node", "data-id": n.id, transform: `translate(${n.at.x.toFixed(1)} ${n.at.y.toFixed(1)})`, tabindex: "0", role: "button", "aria-label": label, "aria-pressed": "false" },
        s("title", null, `${n.name}\n${n.role || ""} · level ${n.level || "?"} · ${n.zone || "no zone"}\n${n.ips.join(", ")}${n.open_alerts ? `\n${n.open_alerts} open alert(s), worst ${n.worst_alert}` : ""}`),
        n.worst_alert ? s("circle", { class: "ring " + n.worst_alert, r: R + 5 }) : null,
        s("circle", { class: "body role-" + role, r: R }),
        s("text", { y: R + 18 }, short(n.name)),
        n.open_alerts
          ? [s("circle", { class: "alert-badge " + (n.worst_alert || "low"), cx: R - 1, cy: -R + 1, r: 9 }), s("text", { class: "badge-n", x: R - 1, y: -R + 5 }, n.open_alerts > 99 ? "99+" : String(n.open_alerts))]
          : null,
      );
      g.addEventListener("click", (event) => {
        event.stopPropagation();
        if (!suppressClick) choose(n.id);
      });
      g.addEventListener("dblclick", () => view.navigate(route("/assets/" + encodeURIComponent(n.id))));
      g.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        event.preventDefault();
        if (selected === n.id && event.key === "Enter") view.navigate(route("/assets/" + encodeURIComponent(n.id)));
        else choose(n.id);
      });
      layer.append(g);
    }
    const hlMarker = s("marker", { id: "arrow-hl", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "8", markerHeight: "8", orient: "auto-start-reverse", markerUnits: "userSpaceOnUse" }, s("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "hl" }));
    defs.querySelector("#arrow-hl")?.remove();
    defs.append(hlMarker);
    replace(scene, frames, edges, layer);
    replace(assetPicker, h("option", { value: "" }, "none"), [...nodes].sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true })).map((n) => h("option", { value: n.id }, n.name)));
    scope();
    countLine.textContent = `${nodes.length} assets, ${data.edges.length} links${st.zone || st.level || st.process || st.asset ? " (filtered)" : ""}.`;
    apply();
  }

  async function load() {
    data = await get("/topology", { zone: st.zone, level: st.level, process: st.process, asset: st.asset });
    draw();
    if (selected && !byId.has(selected)) selected = null;
    choose(selected);
  }

  function setFilter(key, value) {
    st[key] = value;
    const before = selected;
    (key === "group" ? Promise.resolve(draw()) : load())
      .then(() => {
        fit();
        choose(before);
      })
      .catch((error) => {
        if (error.status !== 401) view.notify("Could not load the map: " + error.message, "error");
      });
  }

  const controls = h(
    "form",
    { class: "toolbar", "aria-label": "Map view" },
    select({ label: "Group by", name: "group", options: GROUPS, value: st.group, any: null, id: "map-group", onchange: (e) => setFilter("group", e.target.value) }),
    select({ label: "Zone", name: "zone", options: facets.zone, value: st.zone, id: "map-zone", any: "all", onchange: (e) => setFilter("zone", e.target.value) }),
    select({ label: "Level", name: "level", options: facets.level, value: st.level, id: "map-level", any: "all", onchange: (e) => setFilter("level", e.target.value) }),
    select({ label: "Process", name: "process", options: facets.process, value: st.process, id: "map-process", any: facets.process.length ? "all" : "none defined", onchange: (e) => setFilter("process", e.target.value) }),
    h("div", { class: "field" }, h("label", { for: "map-asset" }, "Asset"), assetPicker),
  );
  controls.addEventListener("submit", (event) => event.preventDefault());
  const neighbourhood = h("p", { class: "actions", id: "map-scope" });
  function scope() {
    const centre = byId.get(st.asset) || data.nodes.find((n) => n.ips.includes(st.asset));
    replace(
      neighbourhood,
      st.asset
        ? [h("span", null, `Showing the neighbourhood of ${centre ? centre.name : st.asset} only.`), h("button", { type: "button", class: "quiet", id: "map-show-all", onclick: () => setFilter("asset", "") }, "Show all")]
        : null,
    );
    neighbourhood.hidden = !st.asset;
  }
  const legend = h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    ROLES.map((r) => h("li", null, h("span", { class: "swatch role-" + r, "aria-hidden": "true" }), r)),
    h("li", null, h("span", { class: "swatch ring", "aria-hidden": "true" }), "open alerts (ring and count, coloured by the worst)"),
  );

  add(view.root, [
    h("h1", null, "Map"),
    controls,
    neighbourhood,
    countLine,
    h("div", { class: "split map-split" }, h("div", null, h("div", { class: "map-wrap" }, svg, h("div", { class: "zoom" }, zoomIn, zoomOut, zoomFit)), legend), panel),
  ]);
  selected = st.focus || null;
  data = await get("/topology", { zone: st.zone, level: st.level, process: st.process, asset: st.asset });
  draw();
  if (st.focus && !byId.has(st.focus)) {
    const found = data.nodes.find((n) => n.ips.includes(st.focus));
    selected = found ? found.id : null;
    if (!found) view.notify("That asset is not on the map with these filters.", "error");
  }
  choose(selected, { center: Boolean(selected) });
  let resizeTimer = null;
  const resized = new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const px = svg.parentElement ? svg.parentElement.clientWidth : 0;
      if (!px || Math.abs(px - drawnFor) < 40) return;
      draw();
      choose(selected);
    }, 150);
  });
  resized.observe(svg.parentElement);
  return {
    dispose: () => resized.disconnect(),
    topics: ["inventory", "plant", "alerts", "health"],
    refresh: async () => {
      const keep = zoom;
      await load();
      zoom = keep;
      apply();
    },
  };
}
