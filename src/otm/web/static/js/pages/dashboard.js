// The dashboard: what the plant holds and what needs attention, from /summary.

import { get } from "../api.js";
import { alertLink, assetLink, bars, h, num, replace, route, severity, state, table, text, time, timeCell } from "../dom.js";

const SEVERITIES = ["critical", "high", "medium", "low"];
const LEVEL_NAMES = { 5: "enterprise", 4: "business", "3.5": "DMZ", 3: "operations", 2: "supervisory", 1: "control", 0: "process" };

function filterLink(name, missing) {
  return (label) => (label === missing ? null : route("/inventory", { [name]: label }));
}

export default async function dashboard(view) {
  const heading = h("h1", null, "Dashboard");
  const updated = h("p", { class: "muted", id: "dashboard-updated" });
  const body = h("div", { id: "dashboard" });
  view.root.append(heading, updated, body);

  async function load() {
    const data = await get("/summary");
    const open = data.open_alerts || {};
    const totalOpen = SEVERITIES.reduce((sum, s) => sum + (open[s] || 0), 0);
    const levels = Object.fromEntries(
      Object.entries(data.counts.level || {}).map(([level, n]) => [LEVEL_NAMES[level] ? `${level} · ${LEVEL_NAMES[level]}` : level, n]),
    );
    const stat = (id, href, n, what, extra = "") =>
      h("li", null, h("a", { class: "stat" + extra, href, id }, h("span", { class: "n" }, num(n)), h("span", { class: "what" }, what)));
    const stats = h(
      "ul",
      { class: "stats", "aria-label": "Totals" },
      stat("stat-assets", "#/inventory", data.assets, "assets"),
      stat("stat-links", "#/map", data.links, "links"),
      stat("stat-open-alerts", "#/alerts", totalOpen, "open alerts"),
      SEVERITIES.map((s) => stat("stat-" + s, route("/alerts", { min_severity: s }), open[s] || 0, s, ` sev-${s}${open[s] ? "" : " zero"}`)),
    );
    const latest = table({
      caption: "Open and acknowledged alerts, latest first",
      columns: [{ label: "Severity" }, { label: "Alert" }, { label: "Status" }, { label: "Last seen" }],
      rows: (data.latest_alerts || []).map((a) => [severity(a.severity), alertLink(a.id, a.message), state(a.status), timeCell(a.last_seen)]),
      empty: "No open alert.",
      id: "latest-alerts",
    });
    const changes = table({
      columns: [{ label: "Time" }, { label: "Device" }, { label: "Change" }],
      rows: [...(data.health_changes || [])].sort((a, b) => b.time - a.time).map((c) => [timeCell(c.time), assetLink(c.address), h("span", null, state(c.previous), " → ", state(c.state))]),
      empty: "No change of health recorded (devices are polled by otm monitor).",
    });
    const sources = table({
      columns: [{ label: "Kind" }, { label: "Source" }, { label: "Packets", num: true }, { label: "Added" }],
      rows: (data.sources || []).map((s) => [text(s.kind), h("span", { class: "mono path" }, text(s.ref)), h("td", { class: "num" }, num(s.packets)), timeCell(s.added_at)]),
      empty: "Nothing analysed yet.",
    });
    replace(
      body,
      stats,
      h(
        "div",
        { class: "cards" },
        h("section", { class: "card", "aria-labelledby": "d-role" }, h("h2", { id: "d-role" }, "Assets by role"), bars(data.counts.role, filterLink("role"))),
        h("section", { class: "card", "aria-labelledby": "d-level" }, h("h2", { id: "d-level" }, "Assets by Purdue level"), bars(levels, (label) => (label === "unknown" ? null : route("/inventory", { level: label.split(" ")[0] })))),
        h("section", { class: "card", "aria-labelledby": "d-vendor" }, h("h2", { id: "d-vendor" }, "Assets by vendor"), bars(data.counts.vendor, filterLink("vendor", "unknown"))),
        h("section", { class: "card", "aria-labelledby": "d-zone" }, h("h2", { id: "d-zone" }, "Assets by zone"), bars(data.counts.zone, filterLink("zone", "none"))),
        h("section", { class: "card", "aria-labelledby": "d-health" }, h("h2", { id: "d-health" }, "Health"), bars(data.counts.health, filterLink("health", "not polled"))),
        h("section", { class: "card wide", "aria-labelledby": "d-alerts" }, h("h2", { id: "d-alerts" }, "Latest alerts"), latest),
        h("section", { class: "card", "aria-labelledby": "d-changes" }, h("h2", { id: "d-changes" }, "Recent health changes"), changes),
        h("section", { class: "card", "aria-labelledby": "d-sources" }, h("h2", { id: "d-sources" }, "Sources"), sources),
      ),
    );
    updated.textContent = `Updated ${time(Date.now() / 1000)} UTC · times in UTC`;
  }

  await load();
  return { topics: ["inventory", "plant", "alerts", "health"], refresh: load };
}
