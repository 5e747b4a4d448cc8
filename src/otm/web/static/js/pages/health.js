// Device health as otm monitor last polled it, and the latest changes of state.

import { get } from "../api.js";
import { assetLink, h, replace, state, table, text, time, timeCell } from "../dom.js";

const ORDER = { down: 0, degraded: 1, up: 2 };

export default async function health(view) {
  const holder = h("div");
  view.root.append(h("h1", null, "Health"), holder);

  async function load() {
    const data = await get("/health");
    const devices = [...data.devices].sort((a, b) => (ORDER[a.state] ?? 3) - (ORDER[b.state] ?? 3) || a.address.localeCompare(b.address, "en", { numeric: true }));
    const counts = { up: 0, degraded: 0, down: 0 };
    for (const d of devices) counts[d.state] = (counts[d.state] || 0) + 1;
    replace(
      holder,
      h(
        "ul",
        { class: "stats", "aria-label": "Devices by state" },
        ["down", "degraded", "up"].map((s) => h("li", null, h("div", { class: `stat health-${s}${counts[s] ? "" : " zero"}`, id: "health-" + s }, h("span", { class: "n" }, String(counts[s] || 0)), h("span", { class: "what" }, s)))),
      ),
      h("h2", null, "Polled devices"),
      table({
        id: "health-devices",
        columns: [{ label: "Device" }, { label: "State" }, { label: "Since" }, { label: "Protocol" }, { label: "Round trip", num: true }, { label: "Errors", num: true }, { label: "Last good answer" }, { label: "Last poll" }],
        rows: devices.map((d) => [
          h("span", { class: "mono" }, assetLink(d.address)),
          state(d.state),
          timeCell(d.since),
          text(d.protocol),
          h("td", { class: "num" }, typeof d.rtt_ms === "number" ? `${d.rtt_ms.toFixed(1)} ms` : "–"),
          h("td", { class: "num" }, `${(100 * d.error_rate).toFixed(1)} %`),
          timeCell(d.last_good),
          timeCell(d.time),
        ]),
        empty: "No device is polled yet: otm monitor polls devices and records their health here.",
      }),
      h("h2", null, "Changes of state, latest first"),
      data.changes.length
        ? h(
            "ol",
            { class: "timeline", id: "health-changes" },
            [...data.changes].sort((a, b) => b.time - a.time).map((c) => h("li", null, h("time", null, time(c.time)), h("span", { class: "mono" }, assetLink(c.address)), h("span", null, state(c.previous), " → ", state(c.state)))),
          )
        : h("p", { class: "muted" }, "No change of state recorded."),
    );
  }

  await load();
  return { topics: ["health"], refresh: load };
}
