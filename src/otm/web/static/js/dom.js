// Building the page from API data, safely: every value becomes a text node or an
// attribute set through the DOM, never HTML parsed from a string.

const SVG_NS = "http://www.w3.org/2000/svg";
const PROPERTIES = new Set(["value", "checked", "selected", "disabled", "indeterminate"]);

function build(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (PROPERTIES.has(key)) {
      node[key] = value;
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  add(node, children);
  return node;
}

/** Append children: nodes as they are, anything else as text; arrays are flattened. */
export function add(node, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element: h("a", {href: "#/x"}, "text", otherNode). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replace everything in ``node`` by ``children``. */
export function replace(node, ...children) {
  node.replaceChildren();
  return add(node, children);
}

/** A link to a console route. */
export function route(path, params) {
  const query = params ? new URLSearchParams(clean(params)).toString() : "";
  return "#" + path + (query ? "?" + query : "");
}

/** The params that have a value. */
export function clean(params) {
  const out = {};
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== null && v !== undefined && v !== "") out[k] = String(v);
  }
  return out;
}

export function assetLink(ref, text) {
  return h("a", { href: route("/assets/" + encodeURIComponent(ref)) }, text ?? ref);
}

export function alertLink(id, text) {
  return h("a", { href: route("/alerts/" + encodeURIComponent(id)) }, text ?? id);
}

/** An external link, only for http(s) addresses (anything else is shown as text). */
export function outLink(url, text) {
  if (typeof url === "string" && /^https?:\/\//i.test(url)) {
    return h("a", { href: url, rel: "noopener noreferrer", target: "_blank" }, text ?? url);
  }
  return text ?? url ?? "";
}

function pad(n) {
  return String(n).padStart(2, "0");
}

/** A time (epoch seconds or ISO text) as "YYYY-MM-DD HH:MM:SS" UTC. */
export function time(value) {
  if (value === null || value === undefined || value === "") return "–";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}

export function timeCell(value) {
  return h("td", { class: "nowrap" }, h("time", { datetime: isoOf(value) }, time(value)));
}

function isoOf(value) {
  if (value === null || value === undefined) return null;
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function num(value) {
  return value === null || value === undefined ? "–" : Number(value).toLocaleString("en");
}

export function text(value) {
  return value === null || value === undefined || value === "" ? "–" : String(value);
}

export function severity(value) {
  return value ? h("span", { class: "sev " + value }, value) : "–";
}

export function state(value) {
  return value ? h("span", { class: "state " + value }, value) : "–";
}

/** A table: columns [{label, num?, scope?}] and rows of cells (nodes or values). */
export function table({ caption, columns, rows, empty = "Nothing to show.", id }) {
  const head = h("thead", null, h("tr", null, columns.map((c) => c.node ?? h("th", { scope: "col", class: c.num ? "num" : null }, c.label))));
  const body = h("tbody");
  for (const row of rows) {
    body.append(row instanceof Node ? row : h("tr", null, row.map((cell) => (cell instanceof Node && cell.tagName === "TD") || (cell instanceof Node && cell.tagName === "TH") ? cell : h("td", null, cell))));
  }
  if (!rows.length) return h("p", { class: "muted", id }, empty);
  return h("div", { class: "table-wrap" }, h("table", { id }, caption ? h("caption", null, caption) : null, head, body));
}

/** A definition list of [term, value] pairs (values may be nodes). */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([term, value]) => [h("dt", null, term), h("dd", null, value)]));
}

/** A labelled select; options are values or [value, label] pairs. */
export function select({ label, name, options, value, any = "any", onchange, id }) {
  const control = h("select", { id: id ?? "f-" + name, name, onchange });
  if (any !== null) control.append(h("option", { value: "" }, any));
  for (const option of options) {
    const [v, l] = Array.isArray(option) ? option : [option, option];
    control.append(h("option", { value: v }, l));
  }
  control.value = value ?? "";
  if (control.selectedIndex < 0) control.selectedIndex = 0;
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

/** A labelled input. */
export function input({ label, name, type = "text", value = "", hint, id, ...rest }) {
  const control = h("input", { id: id ?? "f-" + name, name, type, value, ...rest });
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hint ? h("span", { class: "hint" }, hint) : null);
}

/** Horizontal bars for a {label: count} map; each label may link somewhere. */
export function bars(counts, linkFor) {
  const entries = Object.entries(counts || {});
  const top = Math.max(1, ...entries.map(([, n]) => n));
  if (!entries.length) return h("p", { class: "muted" }, "None.");
  return h(
    "ul",
    { class: "bars" },
    entries.map(([label, n]) => {
      const fill = h("span");
      fill.style.width = `${Math.max(2, (100 * n) / top)}%`;
      const href = linkFor ? linkFor(label) : null;
      return h(
        "li",
        null,
        h("span", { class: "label", title: label }, href ? h("a", { href }, label) : label),
        h("span", { class: "bar", "aria-hidden": "true" }, fill),
        h("span", { class: "count" }, num(n)),
      );
    }),
  );
}
