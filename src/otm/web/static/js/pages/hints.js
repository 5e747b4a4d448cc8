// Exposure hints (otm hints): firmware behind the newest seen on the same product,
// protocols without authentication a device serves to writers, devices the enterprise
// side reaches; filtered by kind and severity, each with its reason and evidence.

import { get } from "../api.js";
import { assetLink, h, replace, route, select, severity, table } from "../dom.js";

const KINDS = [
  ["firmware-behind", "firmware behind"],
  ["no-authentication", "no authentication"],
  ["enterprise-reachable", "reachable from the enterprise"],
];
const SEVERITIES = ["low", "medium", "high"];
const KIND_NAMES = Object.fromEntries(KINDS);

function evidence(hint) {
  const links = (hint.evidence && hint.evidence.links) || [];
  if (!links.length) return h("span", { class: "muted" }, "–");
  return h(
    "ul",
    { class: "evidence-links" },
    links.map((l) => h("li", { class: "mono nowrap" }, assetLink(l.client), " → ", assetLink(l.server), h("span", { class: "muted" }, ` ${l.protocol} ${l.transport}/${l.port}`))),
  );
}

/** The table of ``hints`` (otm.hints/1 entries); ``withAsset`` adds the asset column. */
export function hintsTable(hints, { id, withAsset = true, empty = "No hint." } = {}) {
  const rank = (x) => SEVERITIES.indexOf(x.severity);
  const sorted = [...hints].sort((a, b) => rank(b) - rank(a) || a.kind.localeCompare(b.kind) || a.address.localeCompare(b.address, "en", { numeric: true }));
  return table({
    id,
    columns: [{ label: "Severity" }, withAsset ? { label: "Asset" } : null, { label: "Hint" }, { label: "Why" }, { label: "Evidence" }].filter(Boolean),
    rows: sorted.map((x) =>
      h(
        "tr",
        { "data-kind": x.kind, "data-asset": x.asset },
        h("td", null, severity(x.severity)),
        withAsset ? h("th", { scope: "row" }, assetLink(x.asset, x.name), x.name !== x.address ? [h("br"), h("span", { class: "mono muted" }, x.address)] : null) : null,
        h("td", null, KIND_NAMES[x.kind] || x.kind, x.component ? h("span", { class: "muted" }, ` (${x.component})`) : null),
        h("td", null, x.reason, x.details && x.details.reference ? [h("br"), h("span", { class: "muted" }, "Reference: " + x.details.reference)] : null),
        h("td", null, evidence(x)),
      ),
    ),
    empty,
  });
}

export default async function hints(view) {
  const st = {
    kind: KIND_NAMES[view.params.get("kind")] ? view.params.get("kind") : "",
    min_severity: SEVERITIES.includes(view.params.get("min_severity")) ? view.params.get("min_severity") : "low",
  };
  const count = h("p", { id: "hints-count", "aria-live": "polite" });
  const holder = h("div", { id: "hints-list" });

  async function load() {
    history.replaceState(null, "", route("/hints", { kind: st.kind, min_severity: st.min_severity === "low" ? "" : st.min_severity }));
    const doc = await get("/hints", { kind: st.kind, min_severity: st.min_severity });
    const byKind = Object.entries(doc.counts || {})
      .map(([k, n]) => `${n} ${KIND_NAMES[k] || k}`)
      .join(", ");
    count.textContent = `${doc.hints.length} hint(s) over ${doc.assets} asset(s)${byKind ? ": " + byKind : ""}.`;
    replace(holder, hintsTable(doc.hints, { id: "hints-table", empty: "No hint matches: nothing stands out at this severity." }));
  }

  const changed = (key) => (event) => {
    st[key] = event.target.value;
    load().catch((error) => error.status !== 401 && view.notify("Could not load the hints: " + error.message, "error"));
  };
  const form = h(
    "form",
    { class: "toolbar", "aria-label": "Filter hints" },
    select({ label: "Kind", name: "kind", id: "hints-kind", options: KINDS, value: st.kind, onchange: changed("kind") }),
    select({ label: "Severity at least", name: "min_severity", id: "hints-severity", options: SEVERITIES, value: st.min_severity, any: null, onchange: changed("min_severity") }),
  );
  form.addEventListener("submit", (event) => event.preventDefault());
  view.root.append(
    h("h1", null, "Hints"),
    h("p", { class: "muted" }, "What makes devices easier to attack, from what otm saw: not vulnerabilities, but places to look first."),
    form,
    count,
    holder,
  );
  await load();
  return { topics: ["inventory", "plant", "vulns"], refresh: load };
}
