// Trends: pick historian tags and plot their series (raw samples, or per-minute and
// per-hour rollups with their min/max band) on one chart or stacked, over a time range
// chosen by the 1h / 24h / 7d buttons, by dragging across a chart, by the From / To
// fields (UTC), or by zooming and panning with the buttons (all keyboard-reachable).

import { get } from "../api.js";
import { drawChart, formatValue, nearest, PALETTE, points } from "../chart.js";
import { assetLink, h, replace, select, time } from "../dom.js";

const PRESETS = [
  ["1h", 3600, "1 h"],
  ["24h", 86400, "24 h"],
  ["7d", 7 * 86400, "7 d"],
];
const AGGREGATES = [
  ["auto", "auto (finest that fits)"],
  ["raw", "raw samples"],
  ["1m", "1-minute rollups"],
  ["1h", "1-hour rollups"],
];
const LAYOUTS = [
  ["overlay", "on one chart"],
  ["stacked", "stacked, one chart each"],
];
const LEVEL_NAMES = { raw: "raw samples", "1m": "1-minute rollups", "1h": "1-hour rollups" };
const MIN_SPAN = 10;
const MAX_SPAN = 366 * 86400;
const SEP = "|";
const FOLLOW_S = 30;
const HINT = "Move the pointer over a chart to read the values; drag across it to zoom into that time range.";

function keyOf(t) {
  return t.asset + SEP + t.tag;
}

function span(seconds) {
  if (seconds >= 2 * 86400) return `${+(seconds / 86400).toFixed(1)} d`;
  if (seconds >= 2 * 3600) return `${+(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 120) return `${+(seconds / 60).toFixed(1)} min`;
  return `${Math.round(seconds)} s`;
}

/** "YYYY-MM-DD HH:MM[:SS]" (a T between is fine) read as UTC, in seconds; null if not that. */
function fromField(value) {
  const m = value.trim().match(/^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?$/);
  if (!m) return null;
  const t = Date.parse(`${m[1]}T${m[2]}${m[3] || ":00"}Z`);
  return Number.isNaN(t) ? null : t / 1000;
}

function toField(seconds) {
  return time(Math.round(seconds));
}

export default async function trends(view) {
  const p = view.params;
  const st = {
    tags: p.getAll("tag").filter((k) => k.includes(SEP)),
    preset: PRESETS.some(([k]) => k === p.get("preset")) ? p.get("preset") : null,
    start: Number(p.get("start")) || null,
    end: Number(p.get("end")) || null,
    aggregate: AGGREGATES.some(([k]) => k === p.get("aggregate")) ? p.get("aggregate") : "auto",
    layout: p.get("layout") === "stacked" ? "stacked" : "overlay",
  };
  if (!st.start || !st.end || !(st.start < st.end)) {
    st.preset = st.preset || "1h";
  }
  let reset = st.preset || "1h";
  let known = [];
  let loaded = [];
  let charts = [];
  let asked = 0;

  const picker = h("div", { id: "trend-tags", class: "tag-list" });
  const filter = h("input", { id: "trend-filter", type: "search", placeholder: "filter tags or devices…", autocomplete: "off" });
  const rangeLine = h("p", { id: "trend-range", "aria-live": "polite" });
  const plots = h("div", { id: "trend-plots", class: "plots" });
  const legend = h("div", { id: "trend-legend" });
  const readout = h("p", { id: "trend-readout", class: "muted readout" }, HINT);
  const fromInput = h("input", { id: "trend-from", type: "text", class: "mono time-field", placeholder: "YYYY-MM-DD HH:MM:SS", autocomplete: "off", spellcheck: "false" });
  const toInput = h("input", { id: "trend-to", type: "text", class: "mono time-field", placeholder: "YYYY-MM-DD HH:MM:SS", autocomplete: "off", spellcheck: "false" });

  function shown() {
    if (st.preset) {
      const seconds = PRESETS.find(([k]) => k === st.preset)[1];
      const end = Math.ceil(Date.now() / 1000);
      return { start: end - seconds, end };
    }
    return { start: st.start, end: st.end };
  }

  function sync() {
    const search = new URLSearchParams();
    for (const k of st.tags) search.append("tag", k);
    if (st.preset) search.set("preset", st.preset);
    else {
      search.set("start", String(Math.round(st.start)));
      search.set("end", String(Math.round(st.end)));
    }
    if (st.aggregate !== "auto") search.set("aggregate", st.aggregate);
    if (st.layout !== "overlay") search.set("layout", st.layout);
    history.replaceState(null, "", "#/trends?" + search.toString());
  }

  function setRange(start, end) {
    let a = Math.max(0, start);
    let b = end;
    if (b - a < MIN_SPAN) {
      const mid = (a + b) / 2;
      a = mid - MIN_SPAN / 2;
      b = mid + MIN_SPAN / 2;
    }
    if (b - a > MAX_SPAN) a = b - MAX_SPAN;
    st.preset = null;
    st.start = Math.floor(a);
    st.end = Math.ceil(b);
    reload();
  }

  function failed(what) {
    return (error) => {
      if (error.status !== 401) view.notify(`Could not ${what}: ${error.message}`, "error");
    };
  }

  function reload() {
    load().catch(failed("load the series"));
  }

  // -- the tag picker -----------------------------------------------------------

  function drawPicker() {
    const wanted = filter.value.trim().toLowerCase();
    const byAsset = new Map();
    for (const t of known) {
      if (wanted && !`${t.asset} ${t.tag}`.toLowerCase().includes(wanted) && !st.tags.includes(keyOf(t))) continue;
      if (!byAsset.has(t.asset)) byAsset.set(t.asset, []);
      byAsset.get(t.asset).push(t);
    }
    if (!known.length) {
      replace(picker, h("p", { class: "muted", id: "trend-no-tags" }, "The historian holds no tag yet: otm monitor polls the tags of its configuration and stores their samples here."));
      return;
    }
    replace(
      picker,
      byAsset.size
        ? [...byAsset.entries()].map(([asset, tags]) =>
            h(
              "fieldset",
              { class: "tag-group" },
              h("legend", null, assetLink(asset)),
              tags.map((t) => {
                const key = keyOf(t);
                const id = "tag-" + known.indexOf(t);
                const box = h("input", { type: "checkbox", id, value: key, "data-tag": t.tag, "data-asset": t.asset, checked: st.tags.includes(key) });
                box.addEventListener("change", () => {
                  st.tags = box.checked ? [...st.tags, key] : st.tags.filter((k) => k !== key);
                  reload();
                });
                return h("div", { class: "check" }, box, h("label", { for: id }, t.tag));
              }),
            ),
          )
        : h("p", { class: "muted" }, "No tag matches."),
    );
  }
  filter.addEventListener("input", drawPicker);

  // -- the charts ---------------------------------------------------------------

  function measure() {
    const unit = parseFloat(getComputedStyle(document.documentElement).fontSize) / 16 || 1;
    const px = plots.clientWidth || 900;
    return Math.max(360, Math.round(px / unit));
  }

  function hover(t) {
    for (const c of charts) c.chart.cursor(t);
    if (t === null) return;
    const parts = loaded
      .map((one) => {
        const p = nearest(one.data.items, t);
        return p ? `${one.label} ${formatValue(p.v)}${one.data.rollup ? ` (min ${formatValue(p.lo)}, max ${formatValue(p.hi)})` : ""}` : null;
      })
      .filter(Boolean);
    readout.textContent = `${time(t)} UTC · ${parts.join(" · ") || "no value"}`;
  }

  function draw() {
    const { start, end } = shown();
    const width = measure();
    charts = [];
    readout.textContent = HINT;
    const groups = st.layout === "stacked" ? loaded.map((one) => [one]) : loaded.length ? [loaded] : [];
    const height = st.layout === "stacked" ? 230 : 360;
    replace(
      plots,
      groups.map((group) => {
        const chart = drawChart({
          series: group,
          start,
          end,
          width,
          height,
          label: `Trend of ${group.map((g) => g.label).join(", ")} from ${time(start)} to ${time(end)} UTC`,
          onZoom: (a, b) => setRange(a, b),
          onHover: hover,
        });
        charts.push({ chart, group });
        return h("figure", { class: "trend", "data-series": group.map((g) => g.key).join(" ") }, st.layout === "stacked" ? h("figcaption", null, group[0].label) : null, chart.svg);
      }),
      groups.length ? null : h("p", { class: "muted", id: "trend-empty" }, known.length ? "Pick one or more tags to plot them." : ""),
    );
  }

  function drawLegend() {
    replace(
      legend,
      loaded.length
        ? h(
            "ul",
            { class: "series-legend" },
            loaded.map((one) => {
              const values = one.data.items;
              const lows = values.map((p) => p.lo);
              const highs = values.map((p) => p.hi);
              const bad = values.filter((p) => p.bad).length;
              const swatch = h("span", { class: "swatch line", "aria-hidden": "true" });
              swatch.style.setProperty("--series", one.color);
              return h(
                "li",
                { "data-series": one.key },
                swatch,
                h("strong", null, one.doc.tag),
                " ",
                h("span", { class: "muted" }, "on "),
                assetLink(one.doc.asset || one.asset),
                h("span", { class: "muted" }, ` · ${LEVEL_NAMES[one.doc.level] || one.doc.level}${one.data.rollup ? " (average line in its min–max band)" : ""}`),
                h("br"),
                values.length
                  ? [
                      h("span", { class: "points" }, String(values.length)),
                      one.data.rollup ? " buckets" : " points",
                      " · min ",
                      h("span", { class: "min" }, formatValue(Math.min(...lows))),
                      " · max ",
                      h("span", { class: "max" }, formatValue(Math.max(...highs))),
                      " · last ",
                      h("span", { class: "last" }, formatValue(one.data.rollup ? values[values.length - 1].last : values[values.length - 1].v)),
                      bad ? h("span", { class: "bad-count" }, ` · ${bad} not of good quality (hollow red)`) : null,
                      one.data.skipped ? h("span", { class: "muted" }, ` · ${one.data.skipped} value(s) not numeric, not drawn`) : null,
                    ]
                  : [h("span", { class: "points" }, "0"), h("span", { class: "muted" }, " points: no sample in this range")],
              );
            }),
          )
        : null,
    );
  }

  async function load() {
    sync();
    const mine = ++asked;
    const { start, end } = shown();
    fromInput.value = toField(start);
    toInput.value = toField(end);
    for (const [k, , ] of PRESETS) document.getElementById("trend-" + k)?.setAttribute("aria-pressed", String(st.preset === k));
    rangeLine.textContent = `${time(start)} – ${time(end)} UTC (${span(end - start)})${st.preset ? `, the last ${PRESETS.find(([k]) => k === st.preset)[2]}` : ""}`;
    const wanted = st.tags.map((key) => {
      const cut = key.indexOf(SEP);
      return { key, asset: key.slice(0, cut), tag: key.slice(cut + 1) };
    });
    const docs = await Promise.all(wanted.map((w) => get("/tags/series", { tag: w.tag, asset: w.asset, start, end, aggregate: st.aggregate })));
    if (mine !== asked) return;
    loaded = wanted.map((w, i) => ({
      key: w.key,
      asset: w.asset,
      label: `${w.tag} @ ${w.asset}`,
      color: PALETTE[i % PALETTE.length],
      doc: docs[i],
      data: points(docs[i]),
    }));
    draw();
    drawLegend();
  }

  // -- the toolbar --------------------------------------------------------------

  const presetButtons = PRESETS.map(([key, , label]) => {
    const b = h("button", { type: "button", id: "trend-" + key, class: "quiet", "aria-pressed": String(st.preset === key), title: `The last ${label}, up to now` }, label);
    b.addEventListener("click", () => {
      st.preset = key;
      reset = key;
      reload();
    });
    return b;
  });
  const step = (factor, shift) => () => {
    const { start, end } = shown();
    const width = end - start;
    const mid = (start + end) / 2 + shift * width;
    setRange(mid - (width * factor) / 2, mid + (width * factor) / 2);
  };
  const button = (id, label, title, onclick) => h("button", { type: "button", id, class: "quiet", title, "aria-label": title, onclick }, label);
  const toolbar = h(
    "div",
    { class: "toolbar trend-toolbar" },
    h("div", { class: "actions", role: "group", "aria-label": "Time range" }, presetButtons, button("trend-reset", "Reset", "Back to the last chosen preset, up to now", () => {
      st.preset = reset;
      reload();
    })),
    h(
      "div",
      { class: "actions", role: "group", "aria-label": "Zoom and pan" },
      button("trend-earlier", "←", "Earlier (half a window)", step(1, -0.5)),
      button("trend-zoom-in", "+", "Zoom in (half the range)", step(0.5, 0)),
      button("trend-zoom-out", "−", "Zoom out (twice the range)", step(2, 0)),
      button("trend-later", "→", "Later (half a window)", step(1, 0.5)),
    ),
    h(
      "form",
      { class: "actions range-form", id: "trend-range-form", "aria-label": "From and to, UTC" },
      h("div", { class: "field" }, h("label", { for: "trend-from" }, "From (UTC)"), fromInput),
      h("div", { class: "field" }, h("label", { for: "trend-to" }, "To (UTC)"), toInput),
      h("button", { type: "submit", id: "trend-apply" }, "Show"),
    ),
    select({ label: "Values", name: "aggregate", id: "trend-aggregate", options: AGGREGATES, value: st.aggregate, any: null, onchange: (e) => { st.aggregate = e.target.value; reload(); } }),
    select({ label: "Several tags", name: "layout", id: "trend-layout", options: LAYOUTS, value: st.layout, any: null, onchange: (e) => { st.layout = e.target.value; draw(); sync(); } }),
  );
  toolbar.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    const a = fromField(fromInput.value);
    const b = fromField(toInput.value);
    if (a === null || b === null || !(a < b)) {
      view.notify("From and To are UTC times (YYYY-MM-DD HH:MM:SS), From before To.", "error");
      return;
    }
    setRange(a, b);
  });

  view.root.append(
    h("h1", null, "Trends"),
    toolbar,
    rangeLine,
    h(
      "div",
      { class: "split trends-split" },
      h("div", null, plots, readout, legend),
      h("section", { class: "pane", "aria-labelledby": "trend-tags-title" }, h("h2", { id: "trend-tags-title" }, "Tags"), h("div", { class: "field" }, h("label", { for: "trend-filter" }, "Filter"), filter), picker),
    ),
  );
  known = await get("/tags");
  const exists = new Set(known.map(keyOf));
  st.tags = st.tags.filter((k) => exists.has(k));
  drawPicker();
  await load();

  let resizeTimer = null;
  let drawnFor = plots.clientWidth;
  const resized = new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (Math.abs(plots.clientWidth - drawnFor) < 40) return;
      drawnFor = plots.clientWidth;
      draw();
    }, 150);
  });
  resized.observe(plots);
  // A window that ends now moves on with the clock (otm monitor keeps writing).
  const follow = setInterval(() => {
    if (st.preset && st.tags.length && !document.hidden) reload();
  }, FOLLOW_S * 1000);
  return {
    dispose: () => {
      resized.disconnect();
      clearInterval(follow);
    },
  };
}
