// The REST API (/api/v1) as the pages use it: the session cookie travels on its own,
// state-changing requests carry the session's CSRF token, errors become ApiError.

export const API = "/api/v1";

const RANKS = { viewer: 0, operator: 1, analyst: 2, engineer: 3, admin: 4 };

/** Who is signed in: {name, role, duties, csrf, must_change_password}, or null. */
export const session = { user: null };

/** What the router does when the server says "sign in" or "change your password". */
export const hooks = { unauthorized: () => {}, mustChange: () => {} };

export class ApiError extends Error {
  constructor(status, detail, body = null) {
    super(detail);
    this.status = status;
    this.body = body;
  }
}

/** Whether the signed-in user's role allows what ``role`` may do (the server decides). */
export function allows(role) {
  const user = session.user;
  return Boolean(user && !user.must_change_password && RANKS[user.role] >= RANKS[role]);
}

function detailText(body, fallback) {
  const detail = body && typeof body === "object" ? body.detail : null;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => [d.line ? `line ${d.line}` : null, d.loc ? d.loc.slice(1).join(".") : d.field, d.msg ?? d.message].filter(Boolean).join(": "))
      .join("; ");
  }
  return fallback;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(key, String(one));
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

/** One request; the JSON answer (null for 204), or an ApiError. */
export async function request(method, path, body, { silent = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session.user && session.user.csrf) headers["X-CSRF-Token"] = session.user.csrf;
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "the console cannot be reached: " + error.message);
  }
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const error = new ApiError(response.status, detailText(data, `${response.status} ${response.statusText}`), data);
    if (!silent) {
      if (response.status === 401) hooks.unauthorized(error);
      else if (response.status === 403 && /change your password first/.test(error.message)) hooks.mustChange(error);
    }
    throw error;
  }
  return data;
}

export const get = (path, params, options) => request("GET", path + query(params), undefined, options);
export const post = (path, body = {}, options) => request("POST", path, body, options);
export const patch = (path, body = {}, options) => request("PATCH", path, body, options);
export const put = (path, body = {}, options) => request("PUT", path, body, options);
export const del = (path, options) => request("DELETE", path, undefined, options);
