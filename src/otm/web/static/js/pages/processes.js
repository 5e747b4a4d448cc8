// The ISA-95 process tree (enterprise / site / area / line / cell / unit) with the assets
// attached to each process, declared in the plant file or inferred from traffic, and
// for one asset: what its failure or isolation hits (processes ranked by criticality,
// assets affected, by which path) and every path that reaches it from a less-trusted zone.

import { get } from "../api.js";
import { assetLink, h, replace, route, table, text } from "../dom.js";

const CRITICALITY = { 1: "minor", 5: "safety" };
const KIND_HELP = { control: "controlled through it", supervision: "watched through it", data: "reads data from it" };

function criticality(value) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "–");
  const label = CRITICALITY[value] ? `${value} · ${CRITICALITY[value]}` : String(value);
  return h("span", { class: `crit crit-${value}`, title: "Criticality: 1 (minor) to 5 (safety or whole plant)" }, label);
}

/** A dependency path as links: ids and their display names side by side. */
function pathLinks(ids, names) {
  const out = [];
  (ids || []).forEach((id, i) => {
    if (i) out.push(h("span", { class: "arrow", "aria-label": "then" }, " → "));
    out.push(assetLink(id, (names || [])[i] ?? id));
  });
  return h("span", { class: "path" }, out.length ? out : "–");
}

function countNodes(nodes) {
  return nodes.reduce((sum, n) => sum + 1 + countNodes(n.children), 0);
}

export default async function processes(view) {
  let selected = view.params.get("asset") || "";
  let mode = view.params.get("mode") === "isolate" ? "isolate" : "fail";
  const tree = h("div", { id: "process-tree" });
  const detail = h("section", { class: "pane", id: "process-asset", "aria-labelledby": "process-asset-title" });
  const picker = h("select", { id: "process-asset-picker" });
  const modes = h(
    "fieldset",
    { class: "segmented", id: "impact-mode" },
    h("legend", null, "If the asset"),
    [
      ["fail", "fails"],
      ["isolate", "is isolated"],
    ].map(([value, label]) =>
      h("label", { class: "check" }, h("input", { type: "radio", name: "impact-mode", value, id: "impact-mode-" + value, checked: value === mode }), label),
    ),
  );
  modes.addEventListener("change", (event) => {
    mode = event.target.value;
    sync();
    loadDetail().catch(failed("compute the impact"));
  });
  picker.addEventListener("change", () => choose(picker.value));

  function failed(what) {
    return (error) => {
      if (error.status !== 401) view.notify(`Could not ${what}: ${error.message}`, "error");
    };
  }

  function sync() {
    history.replaceState(null, "", route("/processes", { asset: selected, mode: mode === "fail" ? "" : mode }));
  }

  function choose(ref) {
    selected = ref || "";
    picker.value = selected;
    sync();
    for (const li of tree.querySelectorAll("li[data-asset]")) li.classList.toggle("selected", li.dataset.asset === selected);
    loadDetail()
      .then(() => {
        // Keep the tree where it is when the detail is in view beside it (wide screens).
        const box = detail.getBoundingClientRect();
        detail.focus({ preventScroll: true });
        if (box.top > window.innerHeight - 100 || box.bottom < 0) detail.scrollIntoView({ block: "start" });
      })
      .catch(failed("compute the impact"));
  }

  function assetItem(a) {
    const pick = h("button", { type: "button", class: "quiet small", "data-impact": a.asset, "aria-label": `Impact and exposure of ${a.name}` }, "Impact");
    pick.addEventListener("click", () => choose(a.asset));
    return h(
      "li",
      { "data-asset": a.asset, class: a.asset === selected ? "selected" : null },
      h("span", { class: "asset-name" }, assetLink(a.asset, a.name)),
      " ",
      h("span", { class: "tag " + a.source }, a.source),
      " ",
      pick,
      h("br"),
      h("span", { class: "muted reason" }, a.reason),
      a.via && a.via.length > 1 ? h("span", { class: "muted" }, ` (via ${a.via.join(" → ")})`) : null,
    );
  }

  function node(n) {
    const summary = h(
      "summary",
      null,
      h("span", { class: "kind" }, n.kind),
      " ",
      h("strong", { class: "name" }, n.name),
      " ",
      n.declared ? criticality(n.criticality) : h("span", { class: "muted" }, "(named by the paths below)"),
      n.assets.length ? h("span", { class: "muted" }, ` · ${n.assets.length} asset(s)`) : null,
    );
    return h(
      "li",
      { class: "tree-node", "data-path": n.path },
      h(
        "details",
        { open: true },
        summary,
        n.description ? h("p", { class: "muted description" }, n.description) : null,
        n.assets.length ? h("ul", { class: "tree-assets", "aria-label": `Assets of ${n.path}` }, n.assets.map(assetItem)) : null,
        n.children.length ? h("ul", { class: "tree" }, n.children.map(node)) : null,
      ),
    );
  }

  async function loadTree() {
    const roots = await get("/processes");
    if (!roots.length) {
      replace(
        tree,
        h("p", { class: "muted", id: "process-empty" }, "No process is declared. Describe the plant's processes in the plant file (", h("code", null, "otm plant load"), ", or upload it on the ", h("a", { href: "#/settings" }, "Settings"), " page); otm then attaches the assets that support them from the traffic."),
      );
      return;
    }
    replace(tree, h("p", { class: "muted", id: "process-count" }, `${countNodes(roots)} process level(s). Declared processes carry a criticality; assets are attached by the plant file (declared) or because they control, supervise or feed a declared asset (inferred).`), h("ul", { class: "tree root" }, roots.map(node)));
  }

  async function loadAssets() {
    const page = await get("/assets", { sort: "name", limit: 1000 });
    replace(
      picker,
      h("option", { value: "" }, "choose an asset"),
      page.items.map((a) => h("option", { value: a.id }, a.name + (a.ips.length && a.ips[0] !== a.name ? ` (${a.ips[0]})` : ""))),
    );
    if (selected && !page.items.some((a) => a.id === selected)) {
      const found = page.items.find((a) => a.ips.includes(selected) || a.name === selected);
      if (found) selected = found.id;
    }
    picker.value = selected;
  }

  async function loadDetail() {
    const head = [
      h("div", { class: "field" }, h("label", { for: "process-asset-picker" }, "Asset"), picker),
      modes,
    ];
    if (!selected) {
      replace(detail, h("h2", { id: "process-asset-title" }, "Impact and exposure"), ...head, h("p", { class: "muted" }, "Pick an asset (or press Impact beside one in the tree) to see which processes and assets its failure or isolation hits, and every path that reaches it from a less-trusted zone."));
      return;
    }
    const ref = encodeURIComponent(selected);
    let impact;
    let exposure;
    try {
      [impact, exposure] = await Promise.all([get(`/assets/${ref}/impact`, { mode }), get(`/assets/${ref}/exposure`)]);
    } catch (error) {
      if (error.status !== 404) throw error;
      replace(detail, h("h2", { id: "process-asset-title" }, "No such asset"), ...head, h("p", null, `The inventory has no asset ${selected}.`));
      return;
    }
    const hit = [...impact.processes].sort((a, b) => (b.criticality ?? 0) - (a.criticality ?? 0) || a.process.localeCompare(b.process));
    const verb = mode === "fail" ? "fails" : "is isolated";
    replace(
      detail,
      h("h2", { id: "process-asset-title" }, impact.name),
      ...head,
      h("p", { class: "actions" }, h("a", { class: "button-link", href: route("/assets/" + encodeURIComponent(impact.asset)) }, "Open asset page"), h("a", { class: "button-link", href: route("/map", { focus: impact.asset }) }, "Show on the map")),
      h("h3", { id: "impact-processes-title" }, `Processes hit if it ${verb} (${hit.length})`),
      table({
        id: "impact-processes",
        caption: "Most critical first",
        columns: [{ label: "Criticality" }, { label: "Process, and why its asset is attached" }, { label: "Loses" }, { label: "Path" }],
        rows: hit.map((p) =>
          h(
            "tr",
            { "data-process": p.process },
            h("td", null, criticality(p.criticality)),
            h("th", { scope: "row" }, h("strong", null, p.process), h("br"), h("span", { class: "reason-line" }, h("span", { class: "tag " + p.source }, p.source), " ", h("span", { class: "muted" }, p.reason))),
            h("td", { title: KIND_HELP[p.kind] || null }, text(p.kind)),
            h("td", null, pathLinks(p.path, p.names)),
          ),
        ),
        empty: "No declared process depends on it.",
      }),
      h("h3", { id: "impact-assets-title" }, `Assets affected (${impact.assets.length})`),
      table({
        id: "impact-assets",
        columns: [{ label: "Asset" }, { label: "Loses" }, { label: "Dependency path" }],
        rows: impact.assets.map((a) => h("tr", { "data-asset": a.asset }, h("th", { scope: "row" }, assetLink(a.asset, a.name)), h("td", { title: KIND_HELP[a.kind] || null }, text(a.kind)), h("td", null, pathLinks(a.path, a.names)))),
        empty: "Nothing depends on it in the observed traffic.",
      }),
      h("h3", { id: "exposure-title" }, `Exposure: ${exposure.paths.length} path(s) from less-trusted zones`),
      h(
        "dl",
        { class: "facts", id: "exposure-facts" },
        h("dt", null, "Zone"),
        h("dd", null, text(exposure.zone), exposure.trust !== null && exposure.trust !== undefined ? h("span", { class: "muted" }, ` (trust ${exposure.trust}; lower is more trusted)`) : null),
        h("dt", null, "Reached from"),
        h("dd", null, `${exposure.sources} asset(s)`, Object.keys(exposure.sources_by_zone || {}).length ? ": " + Object.entries(exposure.sources_by_zone).map(([z, n]) => `${n} in ${z}`).join(", ") : ""),
      ),
      table({
        id: "exposure-paths",
        caption: exposure.truncated ? "Shortest paths first (only the first ones are listed)" : "Shortest paths first",
        columns: [{ label: "From" }, { label: "Zone" }, { label: "Trust", num: true }, { label: "Hops" }],
        rows: exposure.paths.map((p) =>
          h(
            "tr",
            { "data-source": p.source },
            h("th", { scope: "row" }, assetLink(p.source, p.names[0])),
            h("td", null, text(p.zone)),
            h("td", { class: "num" }, text(p.trust)),
            h(
              "td",
              null,
              h(
                "ol",
                { class: "hops" },
                p.hops.map((hop) => h("li", null, `${hop.from} → ${hop.to}`, h("br"), h("span", { class: "muted" }, `${hop.protocols.join(", ")} · zone ${hop.from_zone} → ${hop.to_zone}`))),
              ),
            ),
          ),
        ),
        empty: "No path reaches it from a less-trusted zone.",
      }),
    );
  }

  view.root.append(
    h("h1", null, "Processes"),
    h("div", { class: "split processes-split" }, h("section", { class: "pane", "aria-labelledby": "process-tree-title" }, h("h2", { id: "process-tree-title" }, "Process tree (ISA-95)"), tree), detail),
  );
  detail.setAttribute("tabindex", "-1");
  await Promise.all([loadTree(), loadAssets()]);
  await loadDetail();
  return {
    topics: ["inventory", "plant"],
    refresh: async () => {
      await Promise.all([loadTree(), loadAssets()]);
      await loadDetail();
    },
  };
}
