// The console's shell: hash routes, the header, status messages and live updates.
//
// A page is a function (view) -> {topics, refresh, dispose} filling view.root; the
// router calls it when the hash names it, and calls refresh(topics) when the server's
// event stream says one of its topics changed (the page then asks the API again).

import { ApiError, del, get, hooks, session, allows } from "./api.js";
import { h, replace } from "./dom.js";
import signIn, { changePassword } from "./pages/signin.js";
import dashboard from "./pages/dashboard.js";
import inventory from "./pages/inventory.js";
import asset from "./pages/asset.js";
import map from "./pages/map.js";
import alerts from "./pages/alerts.js";
import health from "./pages/health.js";
import users from "./pages/users.js";
import processes from "./pages/processes.js";
import trends from "./pages/trends.js";
import scans from "./pages/scans.js";
import hints from "./pages/hints.js";
import settings from "./pages/settings.js";

const ROUTES = [
  { path: /^\/signin$/, page: signIn, title: "Sign in", open: true },
  { path: /^\/password$/, page: changePassword, title: "Change password", open: true },
  { path: /^\/dashboard$/, page: dashboard, title: "Dashboard", nav: "dashboard" },
  { path: /^\/inventory$/, page: inventory, title: "Inventory", nav: "inventory" },
  { path: /^\/assets\/(.+)$/, page: asset, title: "Asset", nav: "inventory" },
  { path: /^\/map$/, page: map, title: "Map", nav: "map" },
  { path: /^\/alerts(?:\/(.+))?$/, page: alerts, title: "Alerts", nav: "alerts" },
  { path: /^\/processes$/, page: processes, title: "Processes", nav: "processes" },
  { path: /^\/trends$/, page: trends, title: "Trends", nav: "trends" },
  { path: /^\/hints$/, page: hints, title: "Hints", nav: "hints" },
  { path: /^\/health$/, page: health, title: "Health", nav: "health" },
  { path: /^\/scans$/, page: scans, title: "Scans", nav: "scans", role: "engineer" },
  { path: /^\/settings$/, page: settings, title: "Settings", nav: "settings" },
  { path: /^\/users$/, page: users, title: "Users", nav: "users", role: "admin" },
];

const NAV = [
  ["dashboard", "Dashboard"],
  ["inventory", "Inventory"],
  ["map", "Map"],
  ["processes", "Processes"],
  ["trends", "Trends"],
  ["alerts", "Alerts"],
  ["hints", "Hints"],
  ["health", "Health"],
  ["scans", "Scans", "engineer"],
  ["settings", "Settings"],
  ["users", "Users", "admin"],
];

const TOPICS = ["inventory", "plant", "alerts", "health", "vulns"];
const main = document.getElementById("main");
const statusRegion = document.getElementById("status");
const liveBadge = document.getElementById("live");

let current = null;
let generation = 0;
let afterSignIn = "#/dashboard";
let source = null;
let pending = new Set();
let refreshTimer = null;
let reconnectTimer = null;

/** Say something in the status region (read out by screen readers). */
export function notify(message, kind = "info") {
  const line = h("p", { class: kind === "error" ? "error" : null }, message);
  statusRegion.append(line);
  while (statusRegion.childElementCount > 3) statusRegion.firstElementChild.remove();
  setTimeout(() => line.remove(), kind === "error" ? 10000 : 6000);
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/dashboard";
  const [path, search] = raw.split("?", 2);
  return { path: path || "/dashboard", params: new URLSearchParams(search || "") };
}

function navigate(hash, { replaceEntry = false } = {}) {
  if (location.hash === hash) render();
  else if (replaceEntry) location.replace(hash);
  else location.hash = hash;
}

/** Called by pages after signing in. */
function signedIn(user) {
  session.user = user;
  if (user.must_change_password) {
    navigate("#/password", { replaceEntry: true });
    return;
  }
  startLive();
  const next = afterSignIn.startsWith("#/signin") || afterSignIn.startsWith("#/password") ? "#/dashboard" : afterSignIn;
  afterSignIn = "#/dashboard";
  navigate(next, { replaceEntry: true });
}

function header(active) {
  const top = document.getElementById("top");
  const user = session.user;
  top.hidden = !user || user.must_change_password;
  if (top.hidden) return;
  const nav = document.getElementById("nav");
  replace(
    nav,
    NAV.filter(([, , role]) => !role || allows(role)).map(([key, label]) =>
      h(
        "li",
        null,
        h(
          "a",
          { href: "#/" + key, "aria-current": key === active ? "page" : null, id: "nav-" + key },
          label,
          key === "alerts" ? h("span", { class: "badge", id: "alert-count", title: "open alerts", hidden: true }) : null,
        ),
      ),
    ),
  );
  replace(document.getElementById("who"), h("strong", null, user.name), " ", h("span", { class: "muted" }, `(${user.role})`));
  updateAlertCount();
}

async function updateAlertCount() {
  const badge = document.getElementById("alert-count");
  if (!badge || !session.user) return;
  try {
    const page = await get("/alerts", { status: "open", limit: 1 }, { silent: true });
    badge.textContent = String(page.total);
    badge.hidden = page.total === 0;
    badge.setAttribute("aria-label", `${page.total} open`);
  } catch {
    badge.hidden = true;
  }
}

async function render() {
  const { path, params } = parseHash();
  const user = session.user;
  if (!user && path !== "/signin") {
    afterSignIn = location.hash || "#/dashboard";
    navigate("#/signin", { replaceEntry: true });
    return;
  }
  if (user && user.must_change_password && path !== "/password" && path !== "/signin") {
    navigate("#/password", { replaceEntry: true });
    return;
  }
  if (user && !user.must_change_password && path === "/signin") {
    navigate("#/dashboard", { replaceEntry: true });
    return;
  }
  let found = null;
  let match = null;
  for (const r of ROUTES) {
    match = path.match(r.path);
    if (match) {
      found = r;
      break;
    }
  }
  const mine = ++generation;
  if (current && current.dispose) current.dispose();
  current = null;
  header(found ? found.nav : null);
  const root = h("div", { class: "page", "aria-busy": "true", "data-route": path });
  replace(main, root);
  if (!found) {
    root.append(h("h1", { tabindex: "-1" }, "Not found"), h("p", null, "There is no page ", h("code", null, path), "."));
    root.setAttribute("aria-busy", "false");
    focusHeading(root);
    return;
  }
  document.title = `${found.title} – otm`;
  if (found.role && !allows(found.role)) {
    root.append(h("h1", { tabindex: "-1" }, found.title), h("p", null, `This page needs the ${found.role} role.`));
    root.setAttribute("aria-busy", "false");
    focusHeading(root);
    return;
  }
  let page = null;
  try {
    page = await found.page({ root, params, match, navigate, notify, signedIn, path });
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof ApiError && error.status === 401) return;
    root.append(h("p", { class: "error", role: "alert" }, "Could not load this page: " + error.message));
  }
  if (mine !== generation) {
    if (page && page.dispose) page.dispose();
    return;
  }
  current = page || null;
  root.setAttribute("aria-busy", "false");
  const heading = root.querySelector("h1");
  if (heading && heading.textContent) document.title = `${heading.textContent} – otm`;
  focusHeading(root);
}

function focusHeading(root) {
  const heading = root.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

// -- live updates -----------------------------------------------------------------

function startLive() {
  if (source || !session.user) return;
  clearTimeout(reconnectTimer);
  source = new EventSource("/api/v1/events");
  source.addEventListener("hello", () => setLive(true));
  for (const topic of TOPICS) source.addEventListener(topic, () => changed(topic));
  source.onerror = () => {
    setLive(false);
    if (source && source.readyState === EventSource.CLOSED) {
      source = null;
      reconnectTimer = setTimeout(checkSession, 5000);
    }
  };
}

function stopLive() {
  clearTimeout(reconnectTimer);
  if (source) source.close();
  source = null;
  setLive(false);
}

async function checkSession() {
  try {
    session.user = await get("/session");
    if (!session.user.must_change_password) startLive();
  } catch {
    /* hooks.unauthorized sent the page to the sign-in */
  }
}

function setLive(on) {
  liveBadge.textContent = on ? "live" : "offline";
  liveBadge.classList.toggle("on", on);
}

function changed(topic) {
  pending.add(topic);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    const topics = pending;
    pending = new Set();
    if (topics.has("alerts")) updateAlertCount();
    const page = current;
    if (!page || !page.refresh) return;
    if (!(page.topics || []).some((t) => topics.has(t))) return;
    try {
      await page.refresh(topics);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) notify("Could not refresh: " + error.message, "error");
    }
  }, 250);
}

// -- boot -------------------------------------------------------------------------

hooks.unauthorized = () => {
  const { path } = parseHash();
  session.user = null;
  stopLive();
  if (path !== "/signin") {
    afterSignIn = location.hash;
    notify("Your session has ended: sign in again.", "error");
    navigate("#/signin", { replaceEntry: true });
  }
};
hooks.mustChange = () => {
  if (session.user) session.user.must_change_password = true;
  navigate("#/password", { replaceEntry: true });
};

document.getElementById("sign-out").addEventListener("click", async () => {
  try {
    await del("/session", { silent: true });
  } catch {
    /* signed out either way */
  }
  session.user = null;
  stopLive();
  afterSignIn = "#/dashboard";
  notify("Signed out.");
  navigate("#/signin");
});
document.getElementById("change-password").addEventListener("click", () => navigate("#/password"));
document.getElementById("skip").addEventListener("click", () => {
  const heading = main.querySelector("h1");
  (heading || main).focus();
});

async function boot() {
  try {
    session.user = await get("/session", null, { silent: true });
  } catch {
    session.user = null;
  }
  if (session.user && !session.user.must_change_password) startLive();
  window.addEventListener("hashchange", render);
  render();
}

boot();
