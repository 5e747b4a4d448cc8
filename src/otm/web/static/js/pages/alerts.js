// Alert triage: filter, pick an alert, read its evidence and notes, and acknowledge,
// assign, comment, close or reopen it.  Buttons show only what the role allows;
// the server checks again (and the CSRF token) on every action.

import { allows, get, post, session } from "../api.js";
import { assetLink, facts, h, input, num, replace, route, select, severity, state, table, text, time, timeCell } from "../dom.js";

const STATUSES = [
  ["active", "open and acknowledged"],
  ["open", "open"],
  ["acknowledged", "acknowledged"],
  ["closed", "closed"],
  ["accepted", "accepted"],
  ["all", "all"],
];
const STATUS_QUERY = {
  active: ["open", "acknowledged"],
  open: ["open"],
  acknowledged: ["acknowledged"],
  closed: ["closed"],
  accepted: ["accepted"],
  all: ["open", "acknowledged", "closed", "accepted"],
};
const PAGE = 100;

export default async function alerts(view) {
  const st = {
    status: STATUS_QUERY[view.params.get("status")] ? view.params.get("status") : "active",
    min_severity: view.params.get("min_severity") || "",
    q: view.params.get("q") || "",
    offset: Math.max(0, parseInt(view.params.get("offset") || "0", 10) || 0),
  };
  let selected = view.match[1] ? decodeURIComponent(view.match[1]) : null;
  let users = [];
  if (allows("admin")) {
    users = (await get("/users").catch(() => [])).filter((u) => !u.disabled).map((u) => u.name);
  }

  const summaryLine = h("p", { id: "alerts-count", "aria-live": "polite" });
  const list = h("div", { id: "alerts-list" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const detail = h("section", { class: "pane", id: "alert-detail", "aria-labelledby": "alert-title", tabindex: "-1" });

  function hashFor(id) {
    const params = {};
    if (st.status !== "active") params.status = st.status;
    if (st.min_severity) params.min_severity = st.min_severity;
    if (st.q) params.q = st.q;
    if (st.offset) params.offset = st.offset;
    return route("/alerts" + (id ? "/" + encodeURIComponent(id) : ""), params);
  }

  function failed(what) {
    return (error) => {
      if (error.status !== 401) view.notify(`Could not ${what}: ${error.message}`, "error");
    };
  }

  const search = input({ label: "Search", name: "q", type: "search", value: st.q, id: "alerts-search", autocomplete: "off", placeholder: "message, rule, name…" });
  search.classList.add("grow");
  const form = h(
    "form",
    { class: "toolbar", role: "search", "aria-label": "Filter alerts" },
    select({ label: "Status", name: "status", options: STATUSES, value: st.status, any: null, id: "alerts-status" }),
    select({ label: "Severity at least", name: "min_severity", options: ["low", "medium", "high", "critical"], value: st.min_severity, id: "alerts-severity" }),
    search,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")),
  );
  const apply = () => {
    st.status = form.elements.status.value;
    st.min_severity = form.elements.min_severity.value;
    st.q = form.elements.q.value;
    st.offset = 0;
    history.replaceState(null, "", hashFor(selected));
    loadList().catch(failed("load the alerts"));
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  form.elements.status.addEventListener("change", apply);
  form.elements.min_severity.addEventListener("change", apply);

  function choose(id, { push = true } = {}) {
    selected = id;
    if (push) history.pushState(null, "", hashFor(id));
    for (const tr of list.querySelectorAll("tr[data-alert]")) {
      const on = tr.dataset.alert === id;
      tr.classList.toggle("selected", on);
      const link = tr.querySelector("a");
      if (link) link.setAttribute("aria-current", on ? "true" : "false");
    }
    return loadDetail({ fresh: true }).then(() => {
      // Keep the list where it is when the detail is in view beside it (wide screens).
      const box = detail.getBoundingClientRect();
      detail.focus({ preventScroll: true });
      if (box.top > window.innerHeight - 100 || box.bottom < 0) detail.scrollIntoView({ block: "start" });
    });
  }

  async function loadList() {
    const page = await get("/alerts", { status: STATUS_QUERY[st.status], min_severity: st.min_severity, q: st.q, offset: st.offset, limit: PAGE });
    const by = page.by_severity || {};
    summaryLine.textContent =
      `${page.total} alert(s): ` + ["critical", "high", "medium", "low"].map((s) => `${by[s] || 0} ${s}`).join(", ") + ".";
    const rows = page.items.map((a) => {
      const link = h("a", { href: hashFor(a.id), "aria-current": a.id === selected ? "true" : "false" }, a.name);
      link.addEventListener("click", (event) => {
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        choose(a.id).catch(failed("load the alert"));
      });
      return h(
        "tr",
        { "data-alert": a.id, class: a.id === selected ? "selected" : null },
        h("td", null, severity(a.severity)),
        h("th", { scope: "row" }, link, h("br"), h("span", { class: "muted" }, a.message)),
        h("td", null, state(a.status)),
        h("td", null, text(a.assignee)),
        h("td", { class: "num" }, num(a.count)),
        timeCell(a.last_seen),
      );
    });
    replace(
      list,
      table({
        id: "alerts-table",
        caption: "Most severe first, then latest",
        columns: [{ label: "Severity" }, { label: "Alert" }, { label: "Status" }, { label: "Assignee" }, { label: "Count", num: true }, { label: "Last seen" }],
        rows,
        empty: "No alert matches these filters.",
      }),
    );
    const last = page.offset + page.items.length;
    const previous = h("button", { type: "button", disabled: st.offset === 0 }, "← Previous");
    const next = h("button", { type: "button", disabled: last >= page.total }, "Next →");
    previous.addEventListener("click", () => {
      st.offset = Math.max(0, st.offset - PAGE);
      loadList().catch(failed("load the alerts"));
    });
    next.addEventListener("click", () => {
      st.offset += PAGE;
      loadList().catch(failed("load the alerts"));
    });
    replace(pager, page.total > PAGE ? [previous, h("span", null, `${page.offset + 1}–${last} of ${page.total}`), next] : null);
  }

  // -- the selected alert ---------------------------------------------------------

  const info = h("div", { id: "alert-info" });
  const notes = h("div", { id: "alert-notes" });
  const note = h("textarea", { id: "alert-note", name: "note", rows: 3, maxlength: 4000 });
  const assignee = h("input", { id: "alert-assignee", name: "assignee", list: "alert-users", autocomplete: "off" });
  const buttons = {
    acknowledge: h("button", { type: "button", id: "alert-acknowledge" }, "Acknowledge"),
    comment: h("button", { type: "button", id: "alert-comment", class: "quiet" }, "Add comment"),
    close: h("button", { type: "button", id: "alert-close" }, "Close"),
    reopen: h("button", { type: "button", id: "alert-reopen", class: "quiet" }, "Reopen"),
    assign: h("button", { type: "button", id: "alert-assign" }, "Assign"),
    mine: h("button", { type: "button", id: "alert-assign-me", class: "quiet" }, "Assign to me"),
    unassign: h("button", { type: "button", id: "alert-unassign", class: "quiet" }, "Unassign"),
    accept: h("button", { type: "button", id: "alert-accept", class: "quiet", title: "This is normal: fold what the alert saw into the detection baseline and mark it accepted" }, "Accept into baseline"),
  };
  const canOperate = allows("operator");
  const canManage = allows("analyst");
  const actions = h(
    "div",
    { id: "alert-actions" },
    h("h3", null, "Triage"),
    canOperate
      ? h(
          "div",
          null,
          h("div", { class: "field" }, h("label", { for: "alert-note" }, "Note"), h("span", { class: "hint" }, "Recorded with the next action, or added on its own as a comment."), note),
          h("div", { class: "actions" }, buttons.acknowledge, canManage ? buttons.close : null, canManage ? buttons.reopen : null, buttons.comment, canManage ? buttons.accept : null),
        )
      : null,
    canManage
      ? h(
          "div",
          { class: "actions" },
          h("div", { class: "field" }, h("label", { for: "alert-assignee" }, "Assign to"), assignee),
          h("datalist", { id: "alert-users" }, users.map((u) => h("option", { value: u }))),
          buttons.assign,
          buttons.mine,
          buttons.unassign,
        )
      : null,
    canOperate ? null : h("p", { class: "muted", id: "alert-read-only" }, `Your role (${session.user ? session.user.role : "none"}) may read alerts; triage needs the operator role or above.`),
  );

  async function act(button, path, body, done) {
    if (!selected) return;
    button.disabled = true;
    try {
      await post(`/alerts/${encodeURIComponent(selected)}/${path}`, body);
      note.value = "";
      view.notify(done);
      await Promise.all([loadList(), loadDetail()]);
    } catch (error) {
      failed(path)(error);
    } finally {
      button.disabled = false;
    }
  }
  buttons.acknowledge.addEventListener("click", () => act(buttons.acknowledge, "acknowledge", { text: note.value }, "Alert acknowledged."));
  buttons.close.addEventListener("click", () => act(buttons.close, "close", { text: note.value }, "Alert closed."));
  buttons.reopen.addEventListener("click", () => act(buttons.reopen, "reopen", { text: note.value }, "Alert reopened."));
  buttons.accept.addEventListener("click", () => act(buttons.accept, "accept", { text: note.value }, "Alert accepted into the baseline: what it saw is normal from now on."));
  buttons.comment.addEventListener("click", () => {
    if (!note.value.trim()) {
      view.notify("Write the comment in the note first.", "error");
      note.focus();
      return;
    }
    act(buttons.comment, "comments", { text: note.value }, "Comment added.");
  });
  buttons.assign.addEventListener("click", () => {
    const user = assignee.value.trim();
    if (!user) {
      view.notify("Name the user to assign.", "error");
      assignee.focus();
      return;
    }
    act(buttons.assign, "assign", { user }, `Alert assigned to ${user}.`);
  });
  buttons.mine.addEventListener("click", () => act(buttons.mine, "assign", { user: session.user.name }, "Alert assigned to you."));
  buttons.unassign.addEventListener("click", () => act(buttons.unassign, "assign", { user: null }, "Alert unassigned."));

  async function loadDetail({ fresh = false } = {}) {
    if (!selected) {
      replace(detail, h("h2", { id: "alert-title" }, "No alert selected"), h("p", { class: "muted" }, "Pick an alert in the list to see its evidence and notes."));
      return;
    }
    let a;
    try {
      a = await get("/alerts/" + encodeURIComponent(selected));
    } catch (error) {
      if (error.status !== 404) throw error;
      replace(detail, h("h2", { id: "alert-title" }, "No such alert"), h("p", null, `There is no alert ${selected}.`));
      return;
    }
    if (fresh) {
      note.value = "";
      assignee.value = a.assignee || "";
    }
    buttons.acknowledge.hidden = a.status !== "open";
    buttons.close.hidden = a.status === "closed";
    buttons.reopen.hidden = a.status === "open";
    buttons.unassign.hidden = !a.assignee;
    buttons.accept.hidden = a.status === "accepted" || !(a.observations || []).length;
    replace(
      info,
      h("p", { class: "actions" }, severity(a.severity), state(a.status), a.assignee ? h("span", null, "assigned to ", h("strong", null, a.assignee)) : h("span", { class: "muted" }, "unassigned")),
      h("p", null, a.message),
      facts([
        ["Rule", h("span", { class: "mono" }, a.rule_id)],
        a.technique ? ["ATT&CK for ICS", `${a.technique}${a.technique_name ? " " + a.technique_name : ""}`] : null,
        ["Assets", (a.subjects || []).length ? (a.subjects || []).map((x, i) => [i ? ", " : "", assetLink(x)]) : "–"],
        ["First seen", time(a.first_seen)],
        ["Last seen", time(a.last_seen)],
        ["Count", num(a.count)],
        ["Id", h("span", { class: "mono" }, a.id)],
      ]),
      h("h3", null, "Evidence"),
      (a.evidence || []).length
        ? h(
            "ul",
            { id: "alert-evidence" },
            a.evidence.map((e) => h("li", null, h("span", { class: "mono" }, [e.source, e.ref].filter(Boolean).join(": ")), e.packet !== null && e.packet !== undefined ? ` · packet ${e.packet}` : "", e.message ? ` — ${e.message}` : "")),
          )
        : h("p", { class: "muted" }, "No evidence kept."),
      a.details && Object.keys(a.details).length
        ? [h("h3", null, "Details"), facts(Object.entries(a.details).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]))]
        : null,
      (a.observations || []).length
        ? h("details", null, h("summary", null, `Observations (${a.observations.length})`), h("pre", { class: "mono" }, JSON.stringify(a.observations, null, 2)))
        : null,
    );
    replace(
      notes,
      h("h3", null, "Notes"),
      (a.notes || []).length
        ? h(
            "ol",
            { class: "notes", id: "alert-notes-list" },
            a.notes.map((n) => h("li", null, h("strong", null, n.user), " ", h("span", { class: "muted" }, `${n.action} · ${time(n.time)}`), n.text ? h("p", null, n.text) : null)),
          )
        : h("p", { class: "muted" }, "No note yet."),
    );
    if (fresh || !detail.contains(actions)) {
      replace(detail, h("h2", { id: "alert-title" }, a.name), info, actions, notes);
    } else {
      detail.querySelector("#alert-title").textContent = a.name;
    }
  }

  view.root.append(
    h("h1", null, "Alerts"),
    form,
    summaryLine,
    h("div", { class: "split" }, h("div", null, list, pager), detail),
  );
  await Promise.all([loadList(), loadDetail({ fresh: true })]);
  return {
    topics: ["alerts", "inventory"],
    refresh: () => Promise.all([loadList(), loadDetail()]),
  };
}
