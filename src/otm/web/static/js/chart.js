// Time-series line plots drawn as SVG, without a library: a UTC time axis with readable
// ticks, a value axis, lines (raw samples, or rollup averages inside their min/max band),
// drag to select a time range, and a cursor that reads the values under the pointer.
//
// Units are CSS pixels at the 16 px base font (the caller measures its box), so the
// labels grow with the type on a control-room screen.

import { s } from "./dom.js";

export const PALETTE = ["#56b4e9", "#e69f00", "#3fd2a0", "#f0e442", "#ff8fc7", "#ff7a45", "#b9a7ff", "#ffffff"];
const MARGIN = { left: 64, right: 18, top: 14, bottom: 44 };
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000];
const MARKERS_UP_TO = 240;
const DAY = 86400;

function pad(n) {
  return String(n).padStart(2, "0");
}

/** "HH:MM:SS", "HH:MM" or "MM-DD" in UTC, for a tick of ``step`` seconds. */
export function tickLabel(t, step) {
  const d = new Date(t * 1000);
  if (step >= DAY) return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return step < 60 ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
}

function dayLabel(t) {
  const d = new Date(t * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Tick times between start and end, about one per ``spacing`` pixels, aligned to UTC. */
export function timeTicks(start, end, pixels, spacing = 110) {
  const wanted = Math.max(2, Math.floor(pixels / spacing));
  const span = end - start;
  const step = TIME_STEPS.find((st) => span / st <= wanted) || Math.ceil(span / wanted / DAY) * DAY;
  const ticks = [];
  for (let t = Math.ceil(start / step) * step; t <= end && ticks.length < 100; t += step) ticks.push(t);
  return { step, ticks };
}

/** About ``count`` round values covering [low, high]: steps of 1, 2, 2.5 or 5 × 10^n. */
export function valueTicks(low, high, count = 5) {
  if (!(high > low)) {
    const pad = Math.abs(low) > 0 ? Math.abs(low) * 0.1 : 1;
    low -= pad;
    high += pad;
  }
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((st) => st >= raw) || 10 * power;
  const first = Math.floor(low / step) * step;
  const last = Math.ceil(high / step) * step;
  const ticks = [];
  for (let v = first; v <= last + step / 2 && ticks.length < 50; v += step) ticks.push(Number(v.toPrecision(12)));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (step / power === 2.5 ? 1 : 0));
  return { low: first, high: last, ticks, decimals: Math.min(decimals, 10) };
}

export function formatValue(v, decimals = null) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (decimals !== null) return v.toLocaleString("en", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toLocaleString("en", { maximumFractionDigits: 4 });
}

/** A series as points: {t, v, lo, hi, bad}; raw samples or rollup buckets of ``width`` s. */
export function points(doc) {
  if (doc.buckets) {
    const width = doc.level === "1h" ? 3600 : 60;
    return {
      width,
      rollup: true,
      items: doc.buckets.filter((b) => typeof b[3] === "number").map(([start, lo, hi, avg, last, count]) => ({ t: start + width / 2, v: avg, lo: lo ?? avg, hi: hi ?? avg, last, count })),
    };
  }
  const items = [];
  let skipped = 0;
  for (const [t, value, quality] of doc.samples || []) {
    const v = typeof value === "boolean" ? Number(value) : value;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      skipped += 1;
      continue;
    }
    items.push({ t, v, lo: v, hi: v, bad: quality !== "good", quality });
  }
  return { width: 0, rollup: false, items, skipped };
}

/** Where a line should break: a step much longer than the usual one (a gap in polling). */
function gapLimit(items, width) {
  if (width) return width * 1.5;
  if (items.length < 3) return Infinity;
  const steps = items.slice(1).map((p, i) => p.t - items[i].t).sort((a, b) => a - b);
  return Math.max(steps[Math.floor(steps.length / 2)] * 5, 1e-6);
}

/**
 * One chart: ``series`` [{key, label, color, data: points()}] over [start, end].
 * ``onZoom(t0, t1)`` is called after a drag over a time range; ``onHover(t | null)``
 * as the pointer moves.  Returns {svg, cursor(t)}.
 */
export function drawChart({ series, start, end, width, height, label, onZoom, onHover }) {
  const plotW = Math.max(50, width - MARGIN.left - MARGIN.right);
  const plotH = Math.max(40, height - MARGIN.top - MARGIN.bottom);
  const x = (t) => MARGIN.left + ((t - start) / (end - start)) * plotW;
  const tOf = (px) => start + ((px - MARGIN.left) / plotW) * (end - start);
  let low = Infinity;
  let high = -Infinity;
  for (const one of series) {
    for (const p of one.data.items) {
      if (p.t < start || p.t > end) continue;
      low = Math.min(low, p.lo);
      high = Math.max(high, p.hi);
    }
  }
  if (low === Infinity) {
    low = 0;
    high = 1;
  } else if (high > low) {
    // A little room above and below, so that a line never runs along the frame.
    const room = (high - low) * 0.04;
    low = low >= 0 ? Math.max(0, low - room) : low - room;
    high = high <= 0 ? Math.min(0, high + room) : high + room;
  }
  const vt = valueTicks(low, high);
  const y = (v) => MARGIN.top + plotH - ((v - vt.low) / (vt.high - vt.low || 1)) * plotH;
  const id = "clip-" + Math.random().toString(36).slice(2, 9);

  const svg = s("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, preserveAspectRatio: "xMidYMid meet" });
  svg.append(s("defs", null, s("clipPath", { id }, s("rect", { x: MARGIN.left, y: MARGIN.top - 2, width: plotW, height: plotH + 4 }))));

  const grid = s("g", { class: "grid" });
  const axes = s("g", { class: "axes" });
  for (const v of vt.ticks) {
    grid.append(s("line", { x1: MARGIN.left, x2: MARGIN.left + plotW, y1: y(v), y2: y(v) }));
    axes.append(s("text", { class: "y-tick", x: MARGIN.left - 8, y: y(v) + 4 }, formatValue(v, vt.decimals)));
  }
  const tt = timeTicks(start, end, plotW);
  let lastDay = null;
  for (const t of tt.ticks) {
    grid.append(s("line", { x1: x(t), x2: x(t), y1: MARGIN.top, y2: MARGIN.top + plotH }));
    const day = dayLabel(t);
    const showDay = tt.step < DAY && day !== lastDay;
    lastDay = day;
    axes.append(s("text", { class: "x-tick", x: x(t), y: MARGIN.top + plotH + 18, "data-time": t }, tickLabel(t, tt.step)));
    if (showDay) axes.append(s("text", { class: "x-day", x: x(t), y: MARGIN.top + plotH + 36 }, day));
  }
  axes.append(
    s("line", { class: "axis", x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: MARGIN.top + plotH }),
    s("line", { class: "axis", x1: MARGIN.left, x2: MARGIN.left + plotW, y1: MARGIN.top + plotH, y2: MARGIN.top + plotH }),
    s("text", { class: "axis-unit", x: MARGIN.left + plotW, y: MARGIN.top + plotH + 36 }, "UTC"),
  );

  const drawn = s("g", { class: "series-layer", "clip-path": `url(#${id})` });
  for (const one of series) {
    const items = one.data.items;
    const limit = gapLimit(items, one.data.width);
    const g = s("g", { class: "series", "data-series": one.key, "data-points": items.length, style: null });
    g.style.setProperty("--series", one.color);
    if (one.data.rollup && items.length) {
      let band = "";
      let segment = [];
      const flush = () => {
        if (!segment.length) return;
        const top = segment.map((p) => `${x(p.t).toFixed(1)},${y(p.hi).toFixed(1)}`);
        const bottom = segment.map((p) => `${x(p.t).toFixed(1)},${y(p.lo).toFixed(1)}`).reverse();
        band += `M ${top.join(" L ")} L ${bottom.join(" L ")} Z `;
        segment = [];
      };
      items.forEach((p, i) => {
        if (i && p.t - items[i - 1].t > limit) flush();
        segment.push(p);
      });
      flush();
      g.append(s("path", { class: "band", d: band.trim() }));
    }
    let d = "";
    items.forEach((p, i) => {
      const move = i === 0 || p.t - items[i - 1].t > limit;
      d += `${move ? "M" : "L"} ${x(p.t).toFixed(1)} ${y(p.v).toFixed(1)} `;
    });
    g.append(s("path", { class: "line", d: d.trim() }));
    if (items.length <= MARKERS_UP_TO || items.some((p) => p.bad)) {
      const marks = s("g", { class: "markers" });
      for (const p of items) {
        if (items.length > MARKERS_UP_TO && !p.bad) continue;
        marks.append(s("circle", { class: p.bad ? "bad" : null, cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: p.bad ? 3.5 : 2.5 }));
      }
      g.append(marks);
    }
    drawn.append(g);
  }

  const cursorLine = s("line", { class: "cursor", x1: 0, x2: 0, y1: MARGIN.top, y2: MARGIN.top + plotH, visibility: "hidden" });
  const selection = s("rect", { class: "selection", x: 0, y: MARGIN.top, width: 0, height: plotH, visibility: "hidden" });
  const overlay = s("rect", { class: "overlay", x: MARGIN.left, y: MARGIN.top, width: plotW, height: plotH });
  svg.append(grid, drawn, axes, cursorLine, selection, overlay);

  function local(event) {
    const matrix = svg.getScreenCTM();
    if (!matrix) return 0;
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    return Math.min(MARGIN.left + plotW, Math.max(MARGIN.left, point.x));
  }
  let drag = null;
  overlay.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { from: local(event), id: event.pointerId };
    overlay.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  overlay.addEventListener("pointermove", (event) => {
    const px = local(event);
    if (onHover) onHover(tOf(px));
    if (!drag || event.pointerId !== drag.id) return;
    const a = Math.min(drag.from, px);
    selection.setAttribute("x", a.toFixed(1));
    selection.setAttribute("width", Math.abs(px - drag.from).toFixed(1));
    selection.setAttribute("visibility", "visible");
  });
  const finish = (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const px = local(event);
    const from = drag.from;
    drag = null;
    selection.setAttribute("visibility", "hidden");
    if (overlay.hasPointerCapture(event.pointerId)) overlay.releasePointerCapture(event.pointerId);
    if (Math.abs(px - from) >= 6 && onZoom) onZoom(tOf(Math.min(px, from)), tOf(Math.max(px, from)));
  };
  overlay.addEventListener("pointerup", finish);
  overlay.addEventListener("pointercancel", finish);
  overlay.addEventListener("pointerleave", () => {
    if (!drag && onHover) onHover(null);
  });

  return {
    svg,
    cursor(t) {
      if (t === null || t < start || t > end) {
        cursorLine.setAttribute("visibility", "hidden");
        return;
      }
      cursorLine.setAttribute("x1", x(t).toFixed(1));
      cursorLine.setAttribute("x2", x(t).toFixed(1));
      cursorLine.setAttribute("visibility", "visible");
    },
  };
}

/** The point of ``items`` (sorted by time) nearest to ``t``, or null. */
export function nearest(items, t) {
  if (!items.length) return null;
  let lo = 0;
  let hi = items.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  const before = items[Math.max(0, lo - 1)];
  const after = items[lo];
  return Math.abs(before.t - t) <= Math.abs(after.t - t) ? before : after;
}
