// The inventory: the shared asset filters (otm.services.catalog.AssetQuery) as a form,
// a sortable, paged table, and the CSV of everything the filters match.

import { API, get, query } from "../api.js";
import { assetLink, h, input, replace, route, select, severity, state, text, timeCell } from "../dom.js";

const FILTERS = ["q", "role", "vendor", "model", "level", "zone", "process", "protocol", "health", "alerted"];
const COLUMNS = [
  { key: "name", label: "Name", sort: "name", also: { label: "address", sort: "address" } },
  { key: "role", label: "Role", sort: "role" },
  { key: "vendor", label: "Vendor", sort: "vendor" },
  { key: "model", label: "Model", sort: "model" },
  { key: "firmware", label: "Firmware", sort: "firmware" },
  { key: "level", label: "Level", sort: "level" },
  { key: "zone", label: "Zone", sort: "zone" },
  { key: "protocols", label: "Protocols" },
  { key: "health", label: "Health" },
  { key: "alerts", label: "Alerts", sort: "alerts" },
  { key: "last_seen", label: "Last seen", sort: "last_seen" },
];
const PAGE_SIZES = [25, 50, 100, 250];

function stateFrom(params) {
  const out = { sort: "address", order: "asc", offset: 0, limit: 50 };
  for (const key of FILTERS) out[key] = params.get(key) || "";
  if (params.get("sort")) out.sort = params.get("sort");
  if (params.get("order") === "desc") out.order = "desc";
  out.offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
  const limit = parseInt(params.get("limit") || "50", 10);
  out.limit = PAGE_SIZES.includes(limit) ? limit : 50;
  return out;
}

function filters(st) {
  const out = {};
  for (const key of FILTERS) if (st[key] !== "") out[key] = st[key];
  return out;
}

export default async function inventory(view) {
  const st = stateFrom(view.params);
  const facets = await get("/assets/facets");
  if (st.model && !facets.model) facets.model = [st.model];

  const count = h("p", { id: "inventory-count", "aria-live": "polite" });
  const tableHolder = h("div", { id: "inventory-table" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const exportLink = h("a", { class: "button-link", id: "export-csv", download: "otm-assets.csv" }, "Export CSV");

  function sync() {
    const params = { ...filters(st) };
    if (st.sort !== "address") params.sort = st.sort;
    if (st.order !== "asc") params.order = st.order;
    if (st.offset) params.offset = st.offset;
    if (st.limit !== 50) params.limit = st.limit;
    history.replaceState(null, "", route("/inventory", params));
    exportLink.href = API + "/assets.csv" + query(filters(st));
  }

  function changed(key) {
    return (event) => {
      st[key] = event.target.value;
      st.offset = 0;
      reload();
    };
  }

  const search = input({ label: "Search", name: "q", type: "search", value: st.q, id: "inventory-search", placeholder: "name, address, vendor, model, serial…", autocomplete: "off" });
  search.classList.add("grow");
  let typing = null;
  search.querySelector("input").addEventListener("input", (event) => {
    clearTimeout(typing);
    typing = setTimeout(() => changed("q")(event), 300);
  });
  const form = h(
    "form",
    { class: "toolbar", role: "search", "aria-label": "Filter assets" },
    search,
    select({ label: "Role", name: "role", options: facets.role, value: st.role, onchange: changed("role") }),
    select({ label: "Vendor", name: "vendor", options: facets.vendor, value: st.vendor, onchange: changed("vendor") }),
    facets.model ? select({ label: "Model", name: "model", options: facets.model, value: st.model, onchange: changed("model") }) : null,
    select({ label: "Level", name: "level", options: facets.level, value: st.level, onchange: changed("level") }),
    select({ label: "Zone", name: "zone", options: facets.zone, value: st.zone, onchange: changed("zone") }),
    select({ label: "Process", name: "process", options: facets.process, value: st.process, onchange: changed("process"), any: facets.process.length ? "any" : "none defined" }),
    select({ label: "Protocol", name: "protocol", options: facets.protocol, value: st.protocol, onchange: changed("protocol") }),
    select({ label: "Health", name: "health", options: ["up", "degraded", "down"], value: st.health, onchange: changed("health") }),
    select({ label: "Alerts", name: "alerted", options: [["true", "with open alerts"], ["false", "without"]], value: st.alerted, onchange: changed("alerted") }),
    select({ label: "Rows", name: "limit", options: PAGE_SIZES.map(String), value: String(st.limit), any: null, onchange: (e) => { st.limit = parseInt(e.target.value, 10); st.offset = 0; reload(); } }),
    h("div", { class: "actions" }, h("button", { type: "reset", class: "quiet", id: "clear-filters" }, "Clear"), exportLink),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    st.q = form.elements.q.value;
    st.offset = 0;
    reload();
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    for (const key of FILTERS) st[key] = "";
    for (const control of form.querySelectorAll("select, input")) {
      if (control.name === "limit") continue;
      control.value = "";
    }
    st.offset = 0;
    reload();
  });

  function sortButton(label, sort) {
    const active = st.sort === sort;
    const button = h("button", { type: "button", class: "sort", "data-sort": sort, "aria-pressed": active ? "true" : "false" }, label);
    button.addEventListener("click", () => {
      st.order = active && st.order === "asc" ? "desc" : "asc";
      st.sort = sort;
      st.offset = 0;
      reload(sort);
    });
    return button;
  }

  function header(column) {
    if (!column.sort) return { node: h("th", { scope: "col" }, column.label) };
    const sorts = [column.sort, column.also ? column.also.sort : null];
    const active = sorts.includes(st.sort);
    return {
      node: h(
        "th",
        { scope: "col", "aria-sort": active ? (st.order === "asc" ? "ascending" : "descending") : "none" },
        sortButton(column.label, column.sort),
        column.also ? [" / ", sortButton(column.also.label, column.also.sort)] : null,
      ),
    };
  }

  function address(a) {
    const shown = a.ips.join(" ") || a.macs.join(" ");
    return shown && shown !== a.name ? [h("br"), h("span", { class: "mono muted" }, shown)] : null;
  }

  function row(a) {
    return h(
      "tr",
      { "data-asset": a.id },
      h("th", { scope: "row" }, assetLink(a.id, a.name), address(a)),
      h("td", null, text(a.role)),
      h("td", null, text(a.vendor)),
      h("td", null, text(a.model)),
      h("td", { class: "nowrap" }, text(a.firmware)),
      h("td", { class: "nowrap" }, text(a.level)),
      h("td", { class: "nowrap" }, text(a.zone)),
      h("td", null, a.protocols.join(", ") || "–"),
      h("td", null, state(a.health)),
      h("td", { class: "nowrap" }, a.open_alerts ? h("span", null, severity(a.worst_alert), " ", String(a.open_alerts)) : "–"),
      timeCell(a.last_seen),
    );
  }

  function reload(focusSort) {
    load(focusSort).catch((error) => {
      if (error.status !== 401) view.notify("Could not load the assets: " + error.message, "error");
    });
  }

  let asked = 0;
  async function load(focusSort) {
    sync();
    const mine = ++asked;
    const page = await get("/assets", { ...filters(st), sort: st.sort, order: st.order, offset: st.offset, limit: st.limit });
    if (mine !== asked) return;
    if (page.total && st.offset >= page.total) {
      st.offset = Math.max(0, Math.floor((page.total - 1) / st.limit) * st.limit);
      return load(focusSort);
    }
    const first = page.total ? page.offset + 1 : 0;
    const last = page.offset + page.items.length;
    count.textContent = page.total === 1 ? "1 asset matches." : `${page.total} assets match.`;
    const tbl = h(
      "table",
      { id: "assets", class: "dense" },
      h("caption", null, page.total ? `Assets ${first}–${last} of ${page.total}` : "No asset matches"),
      h("thead", null, h("tr", null, COLUMNS.map((c) => header(c).node))),
      h("tbody", null, page.items.map(row)),
    );
    replace(tableHolder, h("div", { class: "table-wrap" }, tbl, page.total ? null : h("p", { class: "empty" }, "No asset matches these filters.")));
    const previous = h("button", { type: "button", id: "page-previous", disabled: st.offset === 0 }, "← Previous");
    const next = h("button", { type: "button", id: "page-next", disabled: last >= page.total }, "Next →");
    previous.addEventListener("click", () => {
      st.offset = Math.max(0, st.offset - st.limit);
      reload();
    });
    next.addEventListener("click", () => {
      st.offset += st.limit;
      reload();
    });
    replace(pager, previous, h("span", null, page.total ? `${first}–${last} of ${page.total}` : "0 of 0"), next);
    if (focusSort) {
      const again = tableHolder.querySelector(`button[data-sort="${focusSort}"]`);
      if (again) again.focus();
    }
  }

  view.root.append(h("h1", null, "Inventory"), form, count, tableHolder, pager);
  await load();
  return { topics: ["inventory", "plant", "alerts", "health"], refresh: () => load() };
}
