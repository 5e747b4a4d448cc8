// Settings: the detection baseline (its phase and size; learning the site or zones, for a
// time, and freezing, by analysts), the plant file (read; replaced by engineers from a
// YAML or JSON file read here and sent as JSON), the exports, and the protocols otm knows.

import { allows, API, get, post, put, query } from "../api.js";
import { h, input, num, replace, table, text, time } from "../dom.js";
import { parseYaml, YamlError } from "../yaml.js";

const EXPORTS = [
  ["export-inventory", "/export/inventory.json", "otm-inventory.json", "Inventory", "every asset with the evidence of each field, and the links (otm.inventory/1 JSON)"],
  ["export-assets", "/assets.csv", "otm-assets.csv", "Assets CSV", "one row an asset (the inventory page exports its filtered view)"],
  ["export-links", "/export/links.csv", "otm-links.csv", "Links CSV", "who talks to whom, with protocols, ports and operations"],
  ["export-graphml", "/export/map?format=graphml", "otm-map.graphml", "Map as GraphML", "for yEd or Gephi"],
  ["export-map-json", "/export/map?format=json", "otm-map.json", "Map as JSON", "Cytoscape's elements format"],
  ["export-plant", "/plant", "otm-plant.yaml", "Plant file", "zones, conduits, processes, levels, tags and names (otm.plant/1 YAML)"],
];
const ONLY = [
  ["", "the whole plant configuration"],
  ["zones", "only the zones (and conduits)"],
  ["processes", "only the processes"],
];

function seconds(value) {
  if (value === null || value === undefined) return "until frozen";
  if (value >= 2 * 604800 && value % 604800 === 0) return `${value / 604800}w`;
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]]) {
    if (value >= size && value % size === 0) return `${value / size}${unit}`;
  }
  return `${value}s`;
}

export default async function settings(view) {
  const canLearn = allows("analyst");
  const canLoad = allows("engineer");
  const baselineBox = h("div", { id: "baseline-status" });
  const plantText = h("pre", { id: "plant-text", class: "mono file", tabindex: "0", "aria-label": "The plant file" });
  const plantResult = h("div", { id: "plant-result", "aria-live": "polite" });
  const protocolsBox = h("div", { id: "protocols" });

  function failed(what) {
    return (error) => {
      if (error.status !== 401) view.notify(`Could not ${what}: ${error.message}`, "error");
    };
  }

  // -- baseline -----------------------------------------------------------------

  function phase(b) {
    const zonesLearning = b.learning.filter((l) => l.scope !== "site").map((l) => l.scope);
    if (!b.exists) return ["none", "No baseline", "Detection has no normal to compare with: learn it from the analysed traffic, then freeze it."];
    if (!b.frozen) return ["learning", "Learning", "The whole site learns what is normal from the traffic; freeze it to start raising alerts on what departs from it."];
    if (zonesLearning.length) return ["zones", `Frozen; learning zone(s) ${zonesLearning.join(", ")}`, "The rest of the site is protected while these zones learn on their own."];
    return ["frozen", "Frozen", "Traffic that departs from the baseline raises alerts; accept an alert (on the alert) to teach it that this is normal."];
  }

  const learnForm = h(
    "form",
    { id: "baseline-learn-form", class: "form-grid", "aria-label": "Learn" },
    h(
      "fieldset",
      { class: "checks", id: "baseline-scope" },
      h("legend", null, "What learns"),
      h("label", { class: "check" }, h("input", { type: "radio", name: "scope", value: "site", id: "baseline-scope-site", checked: true }), " the whole site"),
      h("label", { class: "check" }, h("input", { type: "radio", name: "scope", value: "zones", id: "baseline-scope-zones" }), " these zones (once the site is frozen):"),
      h("div", { id: "baseline-zones", class: "checks-inline" }),
    ),
    input({ label: "For", name: "duration", id: "baseline-duration", placeholder: "7d", autocomplete: "off", hint: "30m, 12h, 7d, 2w of observed traffic; empty: until frozen." }),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "baseline-learn" }, "Learn")),
  );
  learnForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const scope = learnForm.elements.scope.value;
    const chosen = [...learnForm.querySelectorAll("input[name=zone]:checked")].map((b) => b.value);
    if (scope === "zones" && !chosen.length) {
      view.notify("Pick the zones that learn.", "error");
      return;
    }
    const body = { zones: scope === "zones" ? chosen : [], duration: learnForm.elements.duration.value.trim() || null };
    try {
      const answer = await post("/baseline/learn", body);
      view.notify(scope === "zones" ? `Zone(s) ${chosen.join(", ")} learning.` : `Learning: ${answer.observations} observation(s) from ${answer.sources} source(s) taken.`);
      showBaseline(answer.baseline);
    } catch (error) {
      failed("learn")(error);
    }
  });

  async function freeze(zonesToFreeze) {
    try {
      const answer = await post("/baseline/freeze", { zones: zonesToFreeze });
      view.notify(zonesToFreeze.length ? `Zone ${zonesToFreeze.join(", ")} frozen.` : "The baseline is frozen.");
      showBaseline(answer);
    } catch (error) {
      failed("freeze")(error);
    }
  }

  function showBaseline(b) {
    const [key, label, help] = phase(b);
    const c = b.counts || {};
    const freezeButtons = [];
    if (canLearn && b.exists && !b.frozen) freezeButtons.push(h("button", { type: "button", id: "baseline-freeze", onclick: () => freeze([]) }, "Freeze the site"));
    if (canLearn) {
      for (const l of b.learning.filter((x) => x.scope !== "site")) {
        freezeButtons.push(h("button", { type: "button", class: "quiet", "data-freeze-zone": l.scope, onclick: () => freeze([l.scope]) }, `Freeze zone ${l.scope}`));
      }
    }
    replace(
      baselineBox,
      h("p", { id: "baseline-phase", "data-phase": key }, h("strong", { class: "phase " + key }, label), h("br"), h("span", { class: "muted" }, help)),
      b.exists
        ? h(
            "dl",
            { class: "facts", id: "baseline-counts" },
            [
              ["observations", "Observations learnt"],
              ["hosts", "Hosts"],
              ["links", "Links"],
              ["operations", "Operations"],
              ["writers", "Writers"],
              ["identities", "Identities"],
              ["addresses_written", "Addresses written"],
            ].map(([k, l]) => [h("dt", null, l), h("dd", { "data-count": k }, num(c[k]))]),
            h("dt", null, "Learnt from"),
            h("dd", { id: "baseline-sources" }, `${b.sources.length} source(s)`),
            h("dt", null, "Traffic from"),
            h("dd", null, `${time(b.first)} to ${time(b.last)} UTC`),
          )
        : null,
      b.learning.length
        ? table({
            id: "baseline-learning",
            caption: "Learning now",
            columns: [{ label: "Scope" }, { label: "For" }, { label: "Started" }, { label: "Ends" }],
            rows: b.learning.map((l) => h("tr", { "data-scope": l.scope }, h("th", { scope: "row" }, l.scope), h("td", null, seconds(l.duration)), h("td", null, l.started ? time(l.started) : "with the next traffic"), h("td", null, l.ends ? time(l.ends) : "–"))),
          })
        : null,
      freezeButtons.length ? h("div", { class: "actions" }, freezeButtons) : null,
    );
    const siteRadio = learnForm.querySelector("#baseline-scope-site");
    siteRadio.disabled = b.frozen;
    if (b.frozen && siteRadio.checked) learnForm.querySelector("#baseline-scope-zones").checked = true;
    if (!b.frozen) siteRadio.checked = true;
    for (const box of learnForm.querySelectorAll("input[name=zone], #baseline-scope-zones")) box.disabled = !b.frozen;
  }

  async function loadBaseline() {
    const [b, z] = await Promise.all([get("/baseline"), get("/zones")]);
    const zones = z.zones.map((x) => x.name);
    replace(
      learnForm.querySelector("#baseline-zones"),
      zones.length ? zones.map((name, i) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "zone", value: name, id: "baseline-zone-" + i }), " ", name)) : h("span", { class: "muted" }, "No zone is known."),
    );
    showBaseline(b);
  }

  // -- plant file ---------------------------------------------------------------

  const fileInput = h("input", { type: "file", id: "plant-file", name: "file", accept: ".yaml,.yml,.json,application/json,application/yaml,text/yaml" });
  const plantForm = h(
    "form",
    { id: "plant-upload", class: "toolbar", "aria-label": "Load a plant file" },
    h("div", { class: "field" }, h("label", { for: "plant-file" }, "Plant file (YAML or JSON)"), fileInput),
    h(
      "div",
      { class: "field" },
      h("label", { for: "plant-only" }, "Replace"),
      h("select", { id: "plant-only", name: "only" }, ONLY.map(([v, l]) => h("option", { value: v }, l))),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "plant-load" }, "Load and replace")),
  );
  plantForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = fileInput.files && fileInput.files[0];
    if (!file) {
      view.notify("Choose the plant file first.", "error");
      fileInput.focus();
      return;
    }
    let doc;
    const body = await file.text();
    try {
      doc = /\.json$/i.test(file.name) || body.trimStart().startsWith("{") ? JSON.parse(body) : parseYaml(body);
    } catch (error) {
      const where = error instanceof YamlError ? "" : "not JSON: ";
      replace(plantResult, h("p", { class: "error", role: "alert", id: "plant-error" }, `${file.name}: ${where}${error.message}`));
      return;
    }
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
      replace(plantResult, h("p", { class: "error", role: "alert", id: "plant-error" }, `${file.name}: a plant file is a mapping (schema: otm.plant/1, zones: …)`));
      return;
    }
    const only = plantForm.elements.only.value;
    try {
      const answer = await put("/plant" + query({ only }), doc);
      const counts = Object.entries(answer.counts).map(([k, n]) => `${n} ${k}`).join(", ");
      replace(
        plantResult,
        h("p", { id: "plant-loaded", role: "status" }, `Loaded ${file.name}: ${counts}.`),
        answer.warnings.length ? h("ul", { class: "warnings", id: "plant-warnings" }, answer.warnings.map((w) => h("li", null, w))) : null,
      );
      view.notify(`Plant file ${file.name} loaded.`);
      await loadPlant();
    } catch (error) {
      if (error.status === 401) return;
      const detail = error.body && error.body.detail;
      replace(
        plantResult,
        h("p", { class: "error", role: "alert", id: "plant-error" }, `${file.name} was refused; nothing changed.`),
        Array.isArray(detail)
          ? h("ul", { id: "plant-problems", class: "errors" }, detail.map((p) => h("li", null, [p.line ? `line ${p.line}` : null, p.field ?? (p.loc ? p.loc.join(".") : null)].filter(Boolean).join(": "), p.field || p.loc ? ": " : "", p.message ?? p.msg)))
          : h("p", null, error.message),
      );
    }
  });

  async function loadPlant() {
    const body = await get("/plant");
    plantText.textContent = typeof body === "string" ? body : JSON.stringify(body, null, 2);
  }

  // -- protocols ----------------------------------------------------------------

  async function loadProtocols() {
    const rows = await get("/protocols");
    replace(
      protocolsBox,
      table({
        id: "protocols-table",
        caption: `${rows.length} protocols, as otm protocols lists them`,
        columns: [{ label: "Protocol" }, { label: "Family" }, { label: "Listens on" }, { label: "What otm extracts" }, { label: "Maturity" }],
        rows: rows.map((p) =>
          h(
            "tr",
            { "data-protocol": p.name },
            h("th", { scope: "row" }, h("code", null, p.name), h("br"), h("span", { class: "muted" }, p.title)),
            h("td", null, text(p.family)),
            h("td", { class: "mono" }, p.transports.join(" ")),
            h("td", null, text(p.extracts)),
            h("td", null, p.maturity.length ? p.maturity.map((m) => h("span", { class: "tag" }, m)) : "–"),
          ),
        ),
      }),
    );
  }

  const section = (id, title, cls, ...content) => h("section", { class: "card " + cls, id: "settings-" + id, "aria-labelledby": "s-" + id }, h("h2", { id: "s-" + id }, title), ...content);
  view.root.append(
    h("h1", null, "Settings"),
    h(
      "div",
      { class: "cards settings-cards" },
      section(
        "baseline",
        "Detection baseline",
        "",
        baselineBox,
        canLearn ? [h("h3", null, "Learn"), learnForm] : h("p", { class: "muted", id: "baseline-read-only" }, "Learning and freezing the baseline need the analyst role."),
      ),
      section(
        "exports",
        "Exports",
        "",
        h(
          "ul",
          { class: "exports" },
          EXPORTS.map(([id, path, file, label, help]) => h("li", null, h("a", { id, href: API + path, download: file }, label), h("span", { class: "muted" }, ` — ${help}`))),
        ),
      ),
      section(
        "plant",
        "Plant file",
        "wide",
        h("p", { class: "muted" }, "The zones, conduits, processes, level overrides, tags and names otm uses, as one otm.plant/1 file (", h("code", null, "otm plant load"), " reads the same)."),
        canLoad
          ? [plantForm, h("p", { class: "muted" }, "The file is read here (YAML without anchors, tags or | > blocks; or JSON) and sent as JSON; the server checks every field and changes nothing when one is wrong."), plantResult]
          : h("p", { class: "muted", id: "plant-read-only" }, "Loading a plant file needs the engineer role."),
        plantText,
      ),
      section("protocols", "Protocols", "wide", protocolsBox),
    ),
  );
  await Promise.all([loadBaseline(), loadPlant(), loadProtocols()]);
  return {
    topics: ["plant"],
    refresh: async () => {
      await Promise.all([loadBaseline(), loadPlant()]);
    },
  };
}
