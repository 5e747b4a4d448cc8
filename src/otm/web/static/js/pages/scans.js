// Active scans (engineers): the networks this console may touch (otm serve --scan-allow),
// a form whose requests are shown first by a dry run (nothing sent), then the scan in
// the background with its live state, and the scans of this console run.

import { get, post } from "../api.js";
import { assetLink, h, input, num, replace, state, table, text, time, timeCell } from "../dom.js";

const POLL_MS = 1000;

function words(value) {
  return value
    .split(/[\s,]+/)
    .map((w) => w.trim())
    .filter(Boolean);
}

/** "modbus=1502 s7=1102" -> {modbus: 1502, s7: 1102}; throws on a malformed pair. */
function ports(value) {
  const out = {};
  for (const pair of words(value)) {
    const m = pair.match(/^([a-z0-9-]+)[=:](\d{1,5})$/i);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`"${pair}" is not protocol=port (e.g. modbus=1502)`);
    out[m[1].toLowerCase()] = Number(m[2]);
  }
  return out;
}

function fieldList(fields) {
  const entries = Object.entries(fields || {});
  return entries.length ? h("ul", { class: "kv" }, entries.map(([k, v]) => h("li", null, h("span", { class: "k" }, k + ": "), String(v)))) : "–";
}

export default async function scans(view) {
  let data = await get("/scans");
  let planned = null;
  let watching = null;
  let timer = null;
  let disposed = false;

  const allowedList = h("p", { id: "scan-allowed" });
  const planBox = h("div", { id: "scan-plan-box", "aria-live": "polite" });
  const statusBox = h("section", { class: "pane", id: "scan-status", "aria-labelledby": "scan-status-title", "aria-live": "polite" });
  const pastList = h("div", { id: "scans-list" });

  const protocols = h(
    "fieldset",
    { class: "checks", id: "scan-protocols" },
    h("legend", null, "Protocols"),
    data.protocols.map((p) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "protocol", value: p, checked: true, id: "scan-protocol-" + p }), " ", p)),
  );
  const form = h(
    "form",
    { id: "scan-form", class: "scan-form", "aria-label": "A scan" },
    h(
      "div",
      { class: "toolbar" },
      input({ label: "Networks (CIDR)", name: "allow", id: "scan-allow", value: data.allowed.join(" "), autocomplete: "off", hint: "Inside what this console may scan; separate with spaces." }),
      input({ label: "Targets", name: "targets", id: "scan-targets", autocomplete: "off", hint: "Addresses within them; empty: every address." }),
      input({ label: "Ports", name: "ports", id: "scan-ports", autocomplete: "off", placeholder: "modbus=1502", hint: "For devices off their standard port." }),
    ),
    protocols,
    h(
      "div",
      { class: "toolbar" },
      input({ label: "Requests a second", name: "rate", id: "scan-rate", type: "number", value: "5", min: "0.1", max: "100", step: "any", hint: "In all (at most 100)." }),
      input({ label: "A device, a second", name: "device_rate", id: "scan-device-rate", type: "number", value: "2", min: "0.1", max: "20", step: "any", hint: "To any one device (at most 20)." }),
      input({ label: "Timeout (s)", name: "timeout", id: "scan-timeout", type: "number", value: "2", min: "0.1", max: "30", step: "any" }),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", id: "scan-preview" }, "Preview the requests"),
      h("button", { type: "button", id: "scan-start", class: "danger", disabled: true, title: "Preview the requests first" }, "Start the scan"),
      h("span", { class: "muted", id: "scan-start-hint" }, "A scan starts once its requests have been previewed (nothing is sent by the preview)."),
    ),
  );
  const startButton = form.querySelector("#scan-start");

  function body() {
    const chosen = [...form.querySelectorAll("input[name=protocol]:checked")].map((b) => b.value);
    return {
      allow: words(form.elements.allow.value),
      targets: words(form.elements.targets.value),
      protocols: chosen.length === data.protocols.length ? null : chosen,
      ports: ports(form.elements.ports.value),
      rate: Number(form.elements.rate.value),
      device_rate: Number(form.elements.device_rate.value),
      timeout: Number(form.elements.timeout.value),
    };
  }

  function failed(what) {
    return (error) => {
      if (error.status !== 401) view.notify(`Could not ${what}: ${error.message}`, "error");
    };
  }

  form.addEventListener("input", () => {
    if (planned === null) return;
    planned = null;
    startButton.disabled = true;
    planBox.classList.add("stale");
    document.getElementById("scan-start-hint").textContent = "The form changed: preview the requests again before starting.";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let wanted;
    try {
      wanted = body();
      if (!wanted.allow.length) throw new Error("name the networks to scan");
      if (wanted.protocols && !wanted.protocols.length) throw new Error("pick at least one protocol");
    } catch (error) {
      view.notify(error.message, "error");
      return;
    }
    try {
      const answer = await post("/scans", { ...wanted, dry_run: true });
      planned = JSON.stringify(wanted);
      planBox.classList.remove("stale");
      replace(
        planBox,
        h("h3", { id: "scan-plan-title" }, `${answer.requests.length} request(s) planned: nothing was sent`),
        h("ol", { id: "scan-plan", class: "plan mono" }, answer.requests.map((line) => h("li", null, line))),
      );
      startButton.disabled = false;
      document.getElementById("scan-start-hint").textContent = "These are the requests the scan sends (read-only, at the rates above).";
    } catch (error) {
      planned = null;
      startButton.disabled = true;
      replace(planBox, h("p", { class: "error", role: "alert", id: "scan-plan-error" }, "Refused: " + error.message));
    }
  });
  startButton.addEventListener("click", async () => {
    let wanted;
    try {
      wanted = body();
    } catch (error) {
      view.notify(error.message, "error");
      return;
    }
    if (planned !== JSON.stringify(wanted)) {
      view.notify("Preview the requests of this form first.", "error");
      return;
    }
    startButton.disabled = true;
    try {
      const job = await post("/scans", wanted);
      view.notify(`Scan ${job.id} started.`);
      watch(job.id);
    } catch (error) {
      startButton.disabled = false;
      failed("start the scan")(error);
    }
  });

  function showJob(job) {
    if (!job) {
      replace(statusBox, h("h2", { id: "scan-status-title" }, "No scan yet"), h("p", { class: "muted" }, "Scans started here show their progress and what they found."));
      return;
    }
    replace(
      statusBox,
      h("h2", { id: "scan-status-title" }, `Scan ${job.id}`),
      h(
        "dl",
        { class: "facts" },
        h("dt", null, "State"),
        h("dd", { id: "scan-state" }, h("span", { class: "state " + job.state }, job.state), job.state === "running" ? h("span", { class: "muted" }, " (following it)") : null),
        h("dt", null, "Started"),
        h("dd", null, `${time(job.created)} UTC by ${job.user}`),
        h("dt", null, "Finished"),
        h("dd", null, job.finished ? `${time(job.finished)} UTC` : "–"),
        h("dt", null, "Networks"),
        h("dd", { class: "mono" }, job.allow.join(", ")),
        job.targets.length ? [h("dt", null, "Targets"), h("dd", { class: "mono" }, job.targets.join(", "))] : null,
        h("dt", null, "Protocols"),
        h("dd", null, job.protocols.join(", ")),
        h("dt", null, "Requests sent"),
        h("dd", { id: "scan-requests" }, num(job.requests)),
        h("dt", null, "Devices found"),
        h("dd", { id: "scan-devices" }, num(job.devices)),
      ),
      job.errors.length ? h("ul", { class: "errors", id: "scan-errors" }, job.errors.map((e) => h("li", { class: "error" }, e))) : null,
      job.found.length
        ? table({
            id: "scan-found",
            caption: "Devices that answered (now in the inventory)",
            columns: [{ label: "Address" }, { label: "MAC" }, { label: "Protocols" }, { label: "Identity" }],
            rows: job.found.map((d) => h("tr", { "data-ip": d.ip }, h("th", { scope: "row", class: "mono" }, assetLink(d.ip)), h("td", { class: "mono" }, text(d.mac)), h("td", null, d.protocols.join(", ")), h("td", null, fieldList(d.fields)))),
          })
        : job.state === "done"
          ? h("p", { class: "muted" }, "No device answered.")
          : null,
    );
  }

  function drawList() {
    replace(
      allowedList,
      data.allowed.length
        ? ["This console may scan ", data.allowed.map((n, i) => [i ? ", " : "", h("code", null, n)]), " (otm serve --scan-allow); every network of a scan must lie inside one of them."]
        : h("span", { class: "error" }, "This console scans nothing: its operator allowed no network (otm serve --scan-allow CIDR)."),
    );
    replace(
      pastList,
      table({
        id: "scans-table",
        caption: "Scans started from this console since it started, newest first",
        columns: [{ label: "Started" }, { label: "By" }, { label: "Networks" }, { label: "Protocols" }, { label: "State" }, { label: "Devices", num: true }, { label: "Requests", num: true }, { label: "Finished" }],
        rows: data.items.map((j) => {
          const open = h("button", { type: "button", class: "link", "data-scan": j.id }, time(j.created));
          open.addEventListener("click", () => watch(j.id));
          return h("tr", { "data-scan": j.id }, h("td", { class: "nowrap" }, open), h("td", null, j.user), h("td", { class: "mono" }, j.allow.join(", ")), h("td", null, j.protocols.join(", ")), h("td", null, state(j.state)), h("td", { class: "num" }, num(j.devices)), h("td", { class: "num" }, num(j.requests)), timeCell(j.finished));
        }),
        empty: "No scan started from this console yet.",
      }),
    );
  }

  async function poll() {
    if (disposed || !watching) return;
    const id = watching;
    try {
      const job = await get("/scans/" + encodeURIComponent(id));
      if (disposed || watching !== id) return;
      showJob(job);
      if (job.state === "running") {
        timer = setTimeout(poll, POLL_MS);
        return;
      }
      view.notify(job.state === "done" ? `Scan ${job.id} done: ${job.devices} device(s) found.` : `Scan ${job.id} ${job.state}.`, job.state === "done" ? "info" : "error");
      data = await get("/scans");
      drawList();
      if (planned !== null) startButton.disabled = false;
    } catch (error) {
      failed("follow the scan")(error);
    }
  }

  function watch(id) {
    clearTimeout(timer);
    watching = id;
    poll();
  }

  view.root.append(
    h("h1", null, "Scans"),
    allowedList,
    h("p", { class: "muted" }, "A scan asks devices who they are with read-only requests, rate-limited, and stores what they answer as a scan source of the inventory. One runs at a time."),
    h("div", { class: "split" }, h("section", { class: "pane", "aria-labelledby": "scan-form-title" }, h("h2", { id: "scan-form-title" }, "New scan"), form, planBox), statusBox),
    h("h2", null, "Scans of this console"),
    pastList,
  );
  drawList();
  const running = data.items.find((j) => j.state === "running");
  showJob(running || data.items[0] || null);
  if (running) watch(running.id);
  return {
    dispose: () => {
      disposed = true;
      clearTimeout(timer);
    },
  };
}
