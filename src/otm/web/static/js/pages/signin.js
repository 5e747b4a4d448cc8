// Sign-in, and the password change the first sign-in with a one-time password forces.

import { del, post, session } from "../api.js";
import { h, input } from "../dom.js";

export default async function signIn(view) {
  const message = h("p", { class: "error", role: "alert", id: "signin-error" });
  const button = h("button", { type: "submit", id: "signin-submit" }, "Sign in");
  const form = h(
    "form",
    { class: "form-grid", novalidate: true },
    input({ label: "User", name: "name", id: "signin-name", autocomplete: "username", required: true, autofocus: true }),
    input({ label: "Password", name: "password", type: "password", id: "signin-password", autocomplete: "current-password", required: true }),
    button,
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    const password = form.elements.password.value;
    if (!name || !password) {
      message.textContent = "Enter your user name and password.";
      return;
    }
    button.disabled = true;
    message.textContent = "";
    try {
      const user = await post("/session", { name, password }, { silent: true });
      view.signedIn(user);
    } catch (error) {
      message.textContent = error.message;
      form.elements.password.value = "";
      form.elements.password.focus();
    } finally {
      button.disabled = false;
    }
  });
  view.root.append(
    h(
      "section",
      { class: "signin", "aria-labelledby": "signin-title" },
      h("h1", { id: "signin-title" }, "otm console"),
      h("p", { class: "muted" }, "Sign in to see the plant's inventory, map, health and alerts."),
      form,
    ),
  );
  setTimeout(() => form.elements.name.focus(), 0);
  return null;
}

export async function changePassword(view) {
  const user = session.user;
  const forced = Boolean(user && user.must_change_password);
  const message = h("p", { class: "error", role: "alert", id: "password-error" });
  const button = h("button", { type: "submit", id: "password-submit" }, "Change password");
  const form = h(
    "form",
    { class: "form-grid", novalidate: true },
    input({ label: forced ? "One-time password" : "Current password", name: "current", type: "password", id: "password-current", autocomplete: "current-password", required: true }),
    input({ label: "New password", name: "new", type: "password", id: "password-new", autocomplete: "new-password", required: true, hint: "Long and unique; the server checks its rules." }),
    input({ label: "New password again", name: "again", type: "password", id: "password-again", autocomplete: "new-password", required: true }),
    button,
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const current = form.elements.current.value;
    const fresh = form.elements.new.value;
    if (!current || !fresh) {
      message.textContent = "Fill in every field.";
      return;
    }
    if (fresh !== form.elements.again.value) {
      message.textContent = "The two new passwords differ.";
      form.elements.again.focus();
      return;
    }
    button.disabled = true;
    message.textContent = "";
    try {
      await post("/session/password", { current, new: fresh }, { silent: true });
      // The server ends every session of the user: sign in again with the new password.
      const again = await post("/session", { name: user.name, password: fresh }, { silent: true });
      view.notify("Password changed.");
      view.signedIn(again);
    } catch (error) {
      message.textContent = error.message;
      if (error.status === 401) {
        session.user = null;
        view.navigate("#/signin");
      }
    } finally {
      button.disabled = false;
    }
  });
  async function signOut() {
    await del("/session", { silent: true }).catch(() => null);
    session.user = null;
    view.navigate("#/signin");
  }
  if (!user) {
    view.navigate("#/signin", { replaceEntry: true });
    return null;
  }
  view.root.append(
    h(
      "section",
      { class: "signin", "aria-labelledby": "password-title" },
      h("h1", { id: "password-title" }, forced ? "Choose your password" : "Change your password"),
      forced
        ? h("p", null, `Signed in as ${user.name} with a one-time password: choose your own before going on.`)
        : h("p", { class: "muted" }, `Signed in as ${user.name}. Every session of yours ends when the password changes.`),
      form,
      forced
        ? h("p", null, h("button", { type: "button", class: "link", onclick: signOut }, "Sign out instead"))
        : h("p", null, h("a", { href: "#/dashboard" }, "Back to the dashboard")),
    ),
  );
  setTimeout(() => form.elements.current.focus(), 0);
  return null;
}
