// Administration: users (add, change role, disable, unlock, reset password, delete),
// API tokens (create, revoke) and the audit trail.  Secrets the server generates are
// shown once, here, and never again.

import { del, get, patch, post, session } from "../api.js";
import { facts, h, input, replace, select, table, text, timeCell } from "../dom.js";

const ROLES = ["viewer", "operator", "analyst", "engineer", "admin"];

function secretBox(id, title, secret, hint) {
  return h(
    "div",
    { class: "secret", id, role: "status" },
    h("strong", null, title),
    h("p", null, h("code", { class: "mono", id: id + "-value" }, secret)),
    h("p", { class: "muted" }, hint),
  );
}

export default async function users(view) {
  const usersHolder = h("div", { id: "users-list" });
  const tokensHolder = h("div", { id: "tokens-list" });
  const auditHolder = h("div", { id: "audit-list" });
  const userSecret = h("div", { "aria-live": "polite" });
  const tokenSecret = h("div", { "aria-live": "polite" });
  const verdict = h("p", { id: "audit-verdict", "aria-live": "polite" });
  let known = [];

  function failed(what) {
    return (error) => {
      if (error.status !== 401) view.notify(`Could not ${what}: ${error.message}`, "error");
    };
  }

  async function change(name, body, done) {
    try {
      await patch("/users/" + encodeURIComponent(name), body);
      view.notify(done);
    } catch (error) {
      failed("change " + name)(error);
    }
    await loadUsers();
  }

  async function loadUsers() {
    known = await get("/users");
    const rows = known.map((u) => {
      const role = h("select", { id: "role-" + u.name, "aria-label": `Role of ${u.name}` }, ROLES.map((r) => h("option", { value: r }, r)));
      role.value = u.role;
      role.addEventListener("change", () => change(u.name, { role: role.value }, `${u.name} is now ${role.value}.`));
      const flags = [u.disabled ? "disabled" : "enabled", u.locked ? "locked" : null, u.must_change_password ? "must change password" : null].filter(Boolean).join(", ");
      const toggle = h("button", { type: "button", class: u.disabled ? null : "quiet", "data-action": u.disabled ? "enable" : "disable" }, u.disabled ? "Enable" : "Disable");
      toggle.addEventListener("click", () => change(u.name, { disabled: !u.disabled }, `${u.name} ${u.disabled ? "enabled" : "disabled"}.`));
      const reset = h("button", { type: "button", class: "quiet", "data-action": "reset" }, "Reset password");
      reset.addEventListener("click", async () => {
        try {
          const answer = await post(`/users/${encodeURIComponent(u.name)}/password`, {});
          replace(userSecret, secretBox("user-secret", `One-time password of ${answer.name}`, answer.one_time_password, "Give it to the user; they must choose their own at their next sign-in. Their sessions have ended."));
          view.notify(`New one-time password for ${u.name}.`);
        } catch (error) {
          failed("reset the password")(error);
        }
        await loadUsers();
      });
      const unlock = u.locked ? h("button", { type: "button", class: "quiet", "data-action": "unlock" }, "Unlock") : null;
      if (unlock) unlock.addEventListener("click", () => change(u.name, { unlock: true }, `${u.name} unlocked.`));
      const remove = h("button", { type: "button", class: "danger", "data-action": "delete", disabled: session.user && u.name === session.user.name }, "Delete");
      remove.addEventListener("click", async () => {
        if (!window.confirm(`Delete user ${u.name} with their tokens and sessions? The audit trail keeps their acts.`)) return;
        try {
          await del("/users/" + encodeURIComponent(u.name));
          view.notify(`${u.name} deleted.`);
        } catch (error) {
          failed("delete " + u.name)(error);
        }
        await Promise.all([loadUsers(), loadTokens()]);
      });
      return h(
        "tr",
        { "data-user": u.name },
        h("th", { scope: "row" }, u.name),
        h("td", null, role),
        h("td", null, flags),
        timeCell(u.created_at),
        timeCell(u.last_login),
        h("td", null, h("div", { class: "actions" }, toggle, unlock, reset, remove)),
      );
    });
    replace(
      usersHolder,
      table({
        id: "users-table",
        columns: [{ label: "User" }, { label: "Role" }, { label: "State" }, { label: "Created" }, { label: "Last sign-in" }, { label: "Actions" }],
        rows,
      }),
    );
    const owner = document.getElementById("token-owner");
    if (owner) {
      const was = owner.value;
      replace(owner, known.map((u) => h("option", { value: u.name }, u.name)));
      owner.value = was || (session.user ? session.user.name : "");
    }
  }

  async function loadTokens() {
    const tokens = await get("/tokens");
    const now = Date.now() / 1000;
    replace(
      tokensHolder,
      table({
        id: "tokens-table",
        columns: [{ label: "Token" }, { label: "Owner" }, { label: "Name" }, { label: "Role" }, { label: "Created" }, { label: "Expires" }, { label: "Last used" }, { label: "State" }, { label: "Actions" }],
        rows: tokens.map((t) => {
          const revoke = t.revoked_at ? null : h("button", { type: "button", class: "danger" }, "Revoke");
          if (revoke) {
            revoke.addEventListener("click", async () => {
              try {
                await del("/tokens/" + encodeURIComponent(t.id));
                view.notify(`Token ${t.name} revoked.`);
              } catch (error) {
                failed("revoke the token")(error);
              }
              await loadTokens();
            });
          }
          const stateText = t.revoked_at ? "revoked" : t.expires_at && t.expires_at <= now ? "expired" : "usable";
          return [h("span", { class: "mono" }, t.id), t.owner, t.name, t.role, timeCell(t.created_at), timeCell(t.expires_at), timeCell(t.last_used_at), stateText, h("td", null, revoke)];
        }),
        empty: "No API token.",
      }),
    );
  }

  async function loadAudit() {
    const audit = await get("/audit", { limit: 50 });
    replace(
      auditHolder,
      table({
        id: "audit-table",
        caption: "The 50 latest entries, newest first",
        columns: [{ label: "#", num: true }, { label: "Time" }, { label: "User" }, { label: "From" }, { label: "Action" }, { label: "Target" }, { label: "Outcome" }],
        rows: audit.items.map((e) => [h("td", { class: "num" }, String(e.seq)), timeCell(e.time), e.user, h("span", { class: "mono" }, e.address), h("span", { class: "mono" }, e.action), h("span", { class: "mono" }, text(e.target)), e.outcome]),
        empty: "The audit trail is empty.",
      }),
    );
  }

  const addForm = h(
    "form",
    { class: "toolbar", id: "add-user", "aria-label": "Add a user" },
    input({ label: "Name", name: "name", id: "new-user-name", required: true, autocomplete: "off" }),
    select({ label: "Role", name: "role", options: ROLES, value: "viewer", any: null, id: "new-user-role" }),
    input({ label: "Password", name: "password", type: "password", id: "new-user-password", autocomplete: "new-password", hint: "Leave empty for a one-time password." }),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "new-user-submit" }, "Add user")),
  );
  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = addForm.elements.name.value.trim();
    if (!name) {
      view.notify("A user needs a name.", "error");
      return;
    }
    const body = { name, role: addForm.elements.role.value };
    if (addForm.elements.password.value) body.password = addForm.elements.password.value;
    try {
      const created = await post("/users", body);
      addForm.reset();
      replace(
        userSecret,
        created.one_time_password
          ? secretBox("user-secret", `One-time password of ${created.name}`, created.one_time_password, "Shown only now. The user must choose their own password at the first sign-in.")
          : h("p", { role: "status" }, `User ${created.name} added.`),
      );
      view.notify(`User ${created.name} added as ${created.role}.`);
    } catch (error) {
      failed("add the user")(error);
    }
    await loadUsers();
  });

  const tokenForm = h(
    "form",
    { class: "toolbar", id: "add-token", "aria-label": "Create an API token" },
    input({ label: "Token name", name: "name", id: "token-name", required: true, autocomplete: "off", hint: "What uses it, e.g. siem" }),
    select({ label: "Owner", name: "owner", options: [], any: null, id: "token-owner" }),
    select({ label: "Role", name: "role", options: ROLES, value: "", any: "owner's role", id: "token-role" }),
    input({ label: "Expires in days", name: "days", type: "number", id: "token-days", min: "1", max: "3650", hint: "Empty: never" }),
    h("div", { class: "actions" }, h("button", { type: "submit", id: "token-submit" }, "Create token")),
  );
  tokenForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = tokenForm.elements.name.value.trim();
    if (!name) {
      view.notify("A token needs a name.", "error");
      return;
    }
    const body = { name, owner: tokenForm.elements.owner.value || null, role: tokenForm.elements.role.value || null };
    if (tokenForm.elements.days.value) body.expires_days = Number(tokenForm.elements.days.value);
    try {
      const created = await post("/tokens", body);
      tokenForm.elements.name.value = "";
      tokenForm.elements.days.value = "";
      replace(tokenSecret, secretBox("token-secret", `API token ${created.name} (${created.role}, of ${created.owner})`, created.token, "Shown only now: use it as `Authorization: Bearer <token>`."));
      view.notify(`Token ${created.name} created.`);
    } catch (error) {
      failed("create the token")(error);
    }
    await loadTokens();
  });

  const verify = h("button", { type: "button", id: "audit-verify", class: "quiet" }, "Verify the chain");
  verify.addEventListener("click", async () => {
    try {
      const v = await get("/audit/verify");
      verdict.textContent = v.intact ? `Intact: ${v.entries} entries chained.` : `BROKEN at entry ${v.broken_at}: ${v.reason}`;
      verdict.className = v.intact ? "" : "error";
    } catch (error) {
      failed("verify the audit trail")(error);
    }
  });
  const refreshAudit = h("button", { type: "button", class: "quiet" }, "Refresh");
  refreshAudit.addEventListener("click", () => loadAudit().catch(failed("load the audit trail")));

  view.root.append(
    h("h1", null, "Users and access"),
    h("p", { class: "muted" }, "Roles, least powerful first: "),
    facts([
      ["viewer", "reads everything"],
      ["operator", "acknowledges alarms and alerts, comments"],
      ["analyst", "manages alerts (assign, close), incidents and baselines"],
      ["engineer", "scans, tags, zones, processes, the plant file"],
      ["admin", "users, tokens and settings"],
    ]),
    h("section", { "aria-labelledby": "u-users" }, h("h2", { id: "u-users" }, "Users"), addForm, userSecret, usersHolder),
    h("section", { "aria-labelledby": "u-tokens" }, h("h2", { id: "u-tokens" }, "API tokens"), tokenForm, tokenSecret, tokensHolder),
    h("section", { "aria-labelledby": "u-audit" }, h("h2", { id: "u-audit" }, "Audit trail"), h("div", { class: "actions" }, verify, refreshAudit), verdict, auditHolder),
  );
  await Promise.all([loadUsers(), loadTokens(), loadAudit()]);
  return null;
}
