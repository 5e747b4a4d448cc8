// One asset: identity with the evidence of each field, placement with its reasons,
// communications, alerts, vulnerabilities and the health timeline.

import { get } from "../api.js";
import { alertLink, assetLink, facts, h, num, outLink, replace, route, severity, state, table, text, time, timeCell } from "../dom.js";
import { hintsTable } from "./hints.js";

const KEY_FIELDS = ["vendor", "model", "product_code", "firmware", "hardware", "serial", "name"];
const LABELS = { vendor: "Vendor", model: "Model", product_code: "Product code", firmware: "Firmware", hardware: "Hardware", serial: "Serial number", name: "Name" };

function fieldValue(value) {
  if (value === null || value === undefined) return "–";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function evidenceCell(e) {
  if (!e) return "–";
  const where = [e.source, e.ref].filter(Boolean).join(": ");
  return h("span", null, h("span", { class: "mono" }, where), e.packet !== null && e.packet !== undefined ? ` · packet ${e.packet}` : "", e.message ? h("br") : null, e.message ? h("span", { class: "muted" }, e.message) : null);
}

function evidenceTable(fields, id) {
  const rows = [];
  for (const [name, values] of Object.entries(fields || {})) {
    values.forEach((v, i) => {
      rows.push(
        h(
          "tr",
          { "data-field": name },
          i === 0 ? h("th", { scope: "row", rowspan: values.length }, name) : null,
          h("td", { class: "mono" }, fieldValue(v.value)),
          h("td", null, text(v.protocol)),
          h("td", null, evidenceCell(v.evidence)),
          timeCell(v.first_seen),
          timeCell(v.last_seen),
        ),
      );
    });
  }
  return table({
    id,
    caption: "Every value observed, with where it was first seen (conflicting values side by side)",
    columns: [{ label: "Field" }, { label: "Value" }, { label: "Protocol" }, { label: "Evidence" }, { label: "First seen" }, { label: "Last seen" }],
    rows,
    empty: "No identity field observed.",
  });
}

function operations(ops) {
  const entries = Object.entries(ops || {});
  if (!entries.length) return "–";
  return entries.map(([op, n]) => `${op} ${n}`).join(", ");
}

export default async function asset(view) {
  const ref = decodeURIComponent(view.match[1]);
  const holder = h("div");
  view.root.append(holder);

  async function load() {
    const a = await get("/assets/" + encodeURIComponent(ref));
    const addresses = new Set([...a.ips, ...a.macs]);
    const title = a.name || a.ips[0] || a.id;
    const p = a.placement || {};
    const summary = a.summary || {};

    const identity = facts([
      ["Role", h("span", null, text(a.role), a.role_reason ? h("span", { class: "muted" }, ` — ${a.role_reason}`) : null)],
      ...KEY_FIELDS.filter((k) => a[k]).map((k) => [LABELS[k], k === "vendor" && a.vendor_source ? `${a.vendor} (from ${a.vendor_source})` : a[k]]),
      ["IP addresses", h("span", { class: "mono" }, a.ips.join(", ") || "–")],
      ["MAC addresses", h("span", { class: "mono" }, a.macs.join(", ") || "–")],
      a.vlans && a.vlans.length ? ["VLANs", a.vlans.join(", ")] : null,
      ["Services", a.protocols.map((s) => `${s.name} ${s.role}${s.port ? ` ${s.transport}/${s.port}` : ""}`).join(", ") || "–"],
      ["First seen", time(a.first_seen)],
      ["Last seen", time(a.last_seen)],
      ["Asset id", h("span", { class: "mono" }, a.id)],
    ]);

    const placement = h(
      "div",
      null,
      facts([
        ["Purdue level", h("span", null, text(p.level), p.level_reason ? h("span", { class: "muted" }, ` — ${p.level_reason}`) : null)],
        ["Zone", h("span", null, text(p.zone), p.zone_reason ? h("span", { class: "muted" }, ` — ${p.zone_reason}`) : null)],
      ]),
      h("h3", null, "Processes"),
      table({
        columns: [{ label: "Process" }, { label: "Source" }, { label: "Reason" }],
        rows: (p.processes || []).map((x) => [x.process, x.source, x.reason]),
        empty: "Not attached to any process.",
      }),
    );

    const links = table({
      id: "asset-links",
      columns: [{ label: "Direction" }, { label: "Peer" }, { label: "Protocol" }, { label: "Port" }, { label: "Packets", num: true }, { label: "Bytes", num: true }, { label: "Operations" }, { label: "Last seen" }],
      rows: (a.links || []).map((l) => {
        const client = addresses.has(l.client);
        const peer = client ? l.server : l.client;
        return [
          client ? "→ to" : "← from",
          h("span", { class: "mono nowrap" }, assetLink(peer)),
          text(l.protocol),
          l.port ? `${l.transport}/${l.port}` : text(l.transport),
          h("td", { class: "num" }, num(l.packets)),
          h("td", { class: "num" }, num(l.bytes)),
          operations(l.operations),
          timeCell(l.last_seen),
        ];
      }),
      empty: "No communication observed.",
    });

    const alerts = table({
      id: "asset-alerts",
      columns: [{ label: "Severity" }, { label: "Alert" }, { label: "Status" }, { label: "Assignee" }, { label: "Count", num: true }, { label: "Last seen" }],
      rows: (a.alerts || []).map((x) => [severity(x.severity), h("span", null, alertLink(x.id, x.name), h("br"), h("span", { class: "muted" }, x.message)), state(x.status), text(x.assignee), h("td", { class: "num" }, num(x.count)), timeCell(x.last_seen)]),
      empty: "No alert names this asset.",
    });

    const vulns = h(
      "div",
      null,
      a.vulnerabilities_error ? h("p", { class: "muted" }, "Vulnerabilities unavailable: " + a.vulnerabilities_error) : null,
      table({
        id: "asset-vulns",
        columns: [{ label: "Advisory" }, { label: "CVEs" }, { label: "CVSS", num: true }, { label: "Confidence" }, { label: "Why" }],
        rows: (a.vulnerabilities || []).map((m) => [
          h("span", null, outLink(m.advisory.url, m.advisory.id), h("br"), h("span", { class: "muted" }, text(m.advisory.title))),
          (m.cves || []).join(", ") || "–",
          h("td", { class: "num" }, m.cvss ? `${m.cvss.score} ${m.cvss.severity}` : "–"),
          text(m.confidence),
          text(m.reason),
        ]),
        empty: "No known vulnerability matches this asset's identity (or no advisories are loaded: otm vulns).",
      }),
    );

    const hd = a.health;
    const healthPart = h(
      "div",
      null,
      hd
        ? facts([
            ["State", state(hd.state)],
            ["Since", time(hd.since)],
            ["Polled by", `${hd.protocol} (${hd.address})`],
            ["Round trip", hd.rtt_ms === null ? "–" : `${hd.rtt_ms} ms`],
            ["Error rate", `${(100 * hd.error_rate).toFixed(1)} %`],
            ["Last good answer", time(hd.last_good)],
          ])
        : h("p", { class: "muted" }, "Not polled (otm monitor polls devices and records their health)."),
      h("h3", null, "Timeline"),
      (a.health_changes || []).length
        ? h(
            "ol",
            { class: "timeline", id: "asset-health-timeline" },
            [...a.health_changes].sort((x, y) => y.time - x.time).map((c) => h("li", null, h("time", null, time(c.time)), h("span", { class: "mono" }, c.address), h("span", null, state(c.previous), " → ", state(c.state)))),
          )
        : h("p", { class: "muted" }, "No change of state recorded."),
    );

    const components = (a.components || []).length
      ? [
          h("h3", null, "Components"),
          table({
            columns: [{ label: "Component" }, { label: "Vendor" }, { label: "Model" }, { label: "Product code" }, { label: "Firmware" }, { label: "Serial" }],
            rows: a.components.map((c) => [c.key, text(c.vendor), text(c.model), text(c.product_code), text(c.firmware), text(c.serial)]),
          }),
        ]
      : null;

    const section = (id, label, ...content) => h("section", { "aria-labelledby": id, class: "card wide" }, h("h2", { id }, label), ...content);
    replace(
      holder,
      h("p", null, h("a", { href: "#/inventory" }, "← Inventory")),
      h("h1", { id: "asset-title" }, title),
      h(
        "p",
        { class: "actions" },
        h("span", null, text(a.role)),
        summary.open_alerts ? h("span", null, severity(summary.worst_alert), ` ${summary.open_alerts} open alert(s)`) : null,
        h("a", { class: "button-link", href: route("/map", { focus: a.id }), id: "show-on-map" }, "Show on the map"),
        h("a", { class: "button-link", href: route("/processes", { asset: a.id }), id: "show-impact" }, "Impact and exposure"),
      ),
      h(
        "div",
        { class: "cards" },
        section("a-identity", "Identity", identity, h("h3", null, "Evidence of each field"), evidenceTable(a.fields, "asset-evidence"), components),
        section("a-placement", "Placement", placement),
        section("a-links", "Communications", links),
        section("a-alerts", "Alerts", alerts),
        section("a-vulns", "Vulnerabilities", vulns),
        section("a-hints", "Exposure hints", hintsTable(a.hints || [], { id: "asset-hints", withAsset: false, empty: "Nothing stands out (otm hints: firmware behind, protocols without authentication, reachable from the enterprise)." })),
        section("a-health", "Health", healthPart),
      ),
    );
  }

  try {
    await load();
  } catch (error) {
    if (error.status === 404) {
      replace(holder, h("h1", null, "No such asset"), h("p", null, `The inventory has no asset ${ref}.`), h("p", null, h("a", { href: "#/inventory" }, "Back to the inventory")));
      return null;
    }
    throw error;
  }
  return { topics: ["inventory", "plant", "alerts", "health", "vulns"], refresh: load };
}
