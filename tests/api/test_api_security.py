"""How the console's API guards itself: sign-in with its lockout and per-address limit
(429 with Retry-After), the session cookie and its CSRF token, tokens, one-time
passwords, the audit of every state-changing request (refused and failed ones too),
text the database cannot hold, the security headers and the OpenAPI document."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any, Literal

import pytest
from api_support import (
    USERS,
    Api,
    api,
    audit_entries,
    cheap_hashing,
    sqlite_api,
    template,
)
from argon2 import PasswordHasher
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from otm.api.app import API, CSP, create_app
from otm.api.security import COOKIE, CSRF_HEADER
from otm.model.access import Role
from otm.services import access
from otm.store.combined import Store

__all__ = ["api", "cheap_hashing", "sqlite_api", "template"]

VIEWER, VIEWER_PASSWORD = USERS[Role.VIEWER]


def _sign_in(client: TestClient, name: str, password: str) -> Any:
    return client.post(f"{API}/session", json={"name": name, "password": password})


def _cookie(response: Any) -> Any:
    jar: SimpleCookie = SimpleCookie()
    jar.load(response.headers["set-cookie"])
    return jar[COOKIE]


def test_signing_in_sets_a_strict_http_only_cookie(sqlite_api: Api) -> None:
    response = _sign_in(TestClient(sqlite_api.app), VIEWER, VIEWER_PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["role"], body["via"]) == (VIEWER, "viewer", "session")
    assert body["csrf"] and not body["must_change_password"]
    cookie = _cookie(response)
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/" and not cookie["secure"]
    assert int(cookie["max-age"]) == int(access.SESSION_LIFE)
    assert VIEWER_PASSWORD not in response.text


def test_with_tls_the_cookie_is_secure(sqlite_api: Api) -> None:
    secure = create_app(sqlite_api.store, secure_cookies=True)
    response = _sign_in(TestClient(secure), VIEWER, VIEWER_PASSWORD)
    assert _cookie(response)["secure"]


def test_a_wrong_name_and_a_wrong_password_read_alike(api: Api) -> None:
    client = TestClient(api.app)
    wrong_password = _sign_in(client, VIEWER, "not the password")
    wrong_name = _sign_in(client, "nobody", VIEWER_PASSWORD)
    assert wrong_password.status_code == wrong_name.status_code == 401
    assert wrong_password.json() == wrong_name.json()
    assert COOKIE not in client.cookies


class CountingHasher(PasswordHasher):
    """argon2id at its lowest cost, counting hashes and checks."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.calls = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.calls += 1
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.calls += 1
        return super().verify(hash, password)


def test_every_refused_sign_in_costs_the_same_argon2_work(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else the time of the answer tells which names exist (or are disabled)."""
    disabled, disabled_password = USERS[Role.ENGINEER]
    assert api.call("PATCH", f"/users/{disabled}", json={"disabled": True}).status_code == 200
    counting = CountingHasher()
    monkeypatch.setattr(access, "_hasher", counting)
    client = TestClient(api.app)
    for name, password in (
        (VIEWER, "not the password"),
        ("nobody", "not the password"),
        ("not a user name!", "not the password"),
        (disabled, disabled_password),
    ):
        counting.calls = 0
        assert _sign_in(client, name, password).status_code == 401, name
        assert counting.calls == 1, name


def test_wrong_passwords_lock_the_user_then_an_admin_unlocks(api: Api) -> None:
    client = TestClient(api.app)
    for i in range(access.LOCK_AFTER):
        assert _sign_in(client, VIEWER, f"guess number {i}").status_code == 401
    locked = _sign_in(client, VIEWER, VIEWER_PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= access.LOCK_FOR + 1
    assert "locked" in locked.json()["detail"]
    users = {u["name"]: u for u in api.get("/users")}
    assert users[VIEWER]["locked"]
    unlock = api.call("PATCH", f"/users/{VIEWER}", json={"unlock": True})
    assert unlock.status_code == 200 and not unlock.json()["locked"]
    assert _sign_in(client, VIEWER, VIEWER_PASSWORD).status_code == 200


def test_too_many_failures_from_one_address_are_refused_for_a_while(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "ADDRESS_LIMIT", 3)
    client = TestClient(api.app)
    for name in ("mallory", "trudy", "eve"):  # no user is locked by these
        assert _sign_in(client, name, "whatever it is").status_code == 401
    limited = _sign_in(client, VIEWER, VIEWER_PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) == int(access.ADDRESS_WINDOW) + 1
    user = api.store.user(VIEWER)
    assert user is not None and user.failed_logins == 0 and user.locked_until is None


def test_cookie_requests_that_change_state_need_the_csrf_token(api: Api) -> None:
    alert = api.store.alerts()[0]
    browser = api.browser(Role.OPERATOR)
    path = f"/alerts/{alert.id}/acknowledge"
    assert browser.call("POST", path, csrf=False, json={}).status_code == 403
    wrong = browser.client.post(API + path, json={}, headers={CSRF_HEADER: "forged"})
    assert wrong.status_code == 403
    unchanged = api.store.alert(alert.id)
    assert unchanged is not None and unchanged.status == "open"
    assert browser.call("GET", "/alerts", csrf=False).status_code == 200  # reads need none
    assert browser.call("POST", path, json={"text": "seen"}).status_code == 204
    changed = api.store.alert(alert.id)
    assert changed is not None and changed.status == "acknowledged"
    # A token is not sent by a browser on its own: no CSRF token needed.
    by_token = api.call("POST", f"/alerts/{alert.id}/reopen", Role.ANALYST, json={})
    assert by_token.status_code == 204


def test_missing_or_bad_credentials_are_401(sqlite_api: Api) -> None:
    api = sqlite_api
    _, text = access.create_token(api.store, VIEWER, "revoked", None, 0.0)
    access.revoke_token(api.store, text.split("_")[1], 1.0)
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer otm_nothing_here"},
        {"Authorization": "Bearer not-even-a-token"},
        {"Authorization": "Basic dmlld2VyOnBhc3N3b3Jk"},
        {"Authorization": f"Bearer {text}"},
        {"Cookie": f"{COOKIE}=made-up"},
    ):
        response = api.call("GET", "/assets", None, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"


def _replayed(api: Api, cookie: str) -> int:
    """The status of ``GET /session`` from another browser holding ``cookie``."""
    other = TestClient(api.app)
    other.cookies.set(COOKIE, cookie)
    return int(other.get(f"{API}/session").status_code)


def test_signing_out_ends_the_session(api: Api) -> None:
    browser = api.browser(Role.VIEWER)
    cookie = browser.client.cookies[COOKIE]
    assert browser.call("GET", "/session").json()["via"] == "session"
    assert browser.call("DELETE", "/session", csrf=False).status_code == 403
    assert _replayed(api, cookie) == 200
    assert browser.call("DELETE", "/session").status_code == 204
    assert COOKIE not in browser.client.cookies
    assert _replayed(api, cookie) == 401  # ended on the server, not only forgotten


def test_a_one_time_password_must_be_changed_before_anything_else(api: Api) -> None:
    created = api.call("POST", "/users", json={"name": "newcomer", "role": "analyst"})
    assert created.status_code == 201
    one_time = created.json()["one_time_password"]
    assert one_time and created.json()["must_change_password"]
    browser = api.sign_in("newcomer", one_time)
    cookie = browser.client.cookies[COOKIE]
    me = browser.call("GET", "/session").json()
    assert me["must_change_password"] and me["role"] == "analyst"
    refused = browser.call("GET", "/assets")
    assert refused.status_code == 403 and "change your password" in refused.json()["detail"]
    alert = api.store.alerts()[0]
    assert browser.call("POST", f"/alerts/{alert.id}/close", json={}).status_code == 403
    change = "/session/password"
    new = "a brand new pass phrase"
    assert (
        browser.call("POST", change, csrf=False, json={"current": one_time, "new": new}).status_code
        == 403
    )
    assert browser.call("POST", change, json={"current": "wrong", "new": new}).status_code == 400
    assert (
        browser.call("POST", change, json={"current": one_time, "new": "short"}).status_code == 400
    )
    assert browser.call("POST", change, json={"current": one_time, "new": new}).status_code == 204
    assert _replayed(api, cookie) == 401  # every session of theirs ended
    fresh = api.sign_in("newcomer", new)
    assert not fresh.call("GET", "/session").json()["must_change_password"]
    assert fresh.call("GET", "/assets").status_code == 200


def test_a_lowered_role_applies_at_the_next_request(api: Api) -> None:
    alert = api.store.alerts()[0]
    analyst = api.browser(Role.ANALYST)
    api.token(Role.ANALYST)
    close = f"/alerts/{alert.id}/close"
    assert analyst.call("POST", close, json={}).status_code == 204
    lowered = api.call("PATCH", f"/users/{USERS[Role.ANALYST][0]}", json={"role": "operator"})
    assert lowered.status_code == 200 and lowered.json()["role"] == "operator"
    assert analyst.call("POST", close, json={}).status_code == 403
    assert api.call("POST", close, Role.ANALYST, json={}).status_code == 403  # its token too
    assert (
        api.call("POST", f"/alerts/{alert.id}/acknowledge", Role.ANALYST, json={}).status_code
        == 204
    )


def _entry(e: Any) -> tuple[str, str, str, str, int]:
    return (e.user, e.action, e.target, e.outcome, json.loads(e.detail)["status"])


def test_every_state_changing_request_is_audited_refused_ones_too(api: Api) -> None:
    alert = api.store.alerts()[0]
    seen = len(audit_entries(api.store))
    client = TestClient(api.app)
    operator = USERS[Role.OPERATOR][0]
    _sign_in(client, operator, "not it at all")
    browser = api.browser(Role.OPERATOR)
    browser.call("POST", f"/alerts/{alert.id}/acknowledge", csrf=False, json={})
    browser.call("POST", f"/alerts/{alert.id}/acknowledge", json={"text": "seen"})
    browser.call("POST", f"/alerts/{alert.id}/close", json={})
    browser.call("GET", "/alerts")  # reads are not audited
    api.call("POST", f"/alerts/{alert.id}/comments", None, json={"text": "anonymous"})
    api.call("POST", "/alerts/no-such-alert/close", json={})
    api.call("POST", f"/alerts/{alert.id}/assign", json={"user": 5})
    api.call("DELETE", "/nowhere")
    browser.call("DELETE", "/session")
    got = [_entry(e) for e in audit_entries(api.store)[seen:]]
    admin = USERS[Role.ADMIN][0]
    assert got == [
        (operator, "POST /api/v1/session", "", "refused", 401),
        (operator, "POST /api/v1/session", "", "done", 200),
        (operator, "POST /api/v1/alerts/{alert_id}/acknowledge", alert.id, "refused", 403),
        (operator, "POST /api/v1/alerts/{alert_id}/acknowledge", alert.id, "done", 204),
        (operator, "POST /api/v1/alerts/{alert_id}/close", alert.id, "refused", 403),
        ("anonymous", "POST /api/v1/alerts/{alert_id}/comments", alert.id, "refused", 401),
        (admin, "POST /api/v1/alerts/{alert_id}/close", "no-such-alert", "refused", 404),
        (admin, "POST /api/v1/alerts/{alert_id}/assign", alert.id, "refused", 422),
        ("anonymous", "DELETE /api/v1/nowhere", "", "refused", 404),
        (operator, "DELETE /api/v1/session", "", "done", 204),
    ]
    via = [json.loads(e.detail)["via"] for e in audit_entries(api.store)[seen:]]
    assert via[3] == "session" and via[6] == "token"
    assert {e.address for e in audit_entries(api.store)[seen:]} == {"testclient"}
    verdict = api.get("/audit/verify")
    assert verdict["intact"] and verdict["entries"] == seen + len(got)


def test_a_server_error_is_audited_as_failed(
    sqlite_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = sqlite_api
    alert = api.store.alerts()[0]

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Store, "set_alert_status", broken)
    client = TestClient(api.app, raise_server_exceptions=False)
    response = client.post(f"{API}/alerts/{alert.id}/close", json={}, headers=api.token())
    assert response.status_code == 500
    last = audit_entries(api.store)[-1]
    assert _entry(last) == (
        USERS[Role.ADMIN][0],
        "POST /api/v1/alerts/{alert_id}/close",
        alert.id,
        "failed",
        500,
    )


def test_text_the_database_cannot_hold_is_refused_and_still_audited(api: Api) -> None:
    """PostgreSQL refuses NUL characters in text, and no database stores a lone UTF-16
    surrogate: such input is the client's mistake (4xx), never a 5xx, and its audit
    entry is written all the same (with the character escaped)."""
    alert = api.store.alerts()[0]
    seen = len(audit_entries(api.store))
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/alerts", {"params": {"rule": "OTM\x00"}}),
        ("GET", "/audit", {"params": {"user": "admin\x00"}}),
        ("GET", "/alerts/OTM%00", {}),
        ("PATCH", "/users/viewer%00", {"json": {}}),
        ("DELETE", "/tokens/abc%00", {}),
        ("POST", f"/alerts/{alert.id}/comments", {"json": {"text": "a\x00b"}}),
        ("POST", f"/alerts/{alert.id}/assign", {"json": {"user": "viewer\x00"}}),
        ("POST", "/tokens", {"json": {"name": "t\x00"}}),
    ]
    for method, path, kwargs in cases:
        response = api.call(method, path, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.text)
    surrogates = b'{"text": "\\ud800"}'
    response = api.call(
        "POST",
        f"/alerts/{alert.id}/comments",
        content=surrogates,
        headers={"Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500
    client = TestClient(api.app)
    json_body = {"Content-Type": "application/json"}
    nul = b'{"name": "ad\\u0000min", "password": "x\\u0000"}'
    assert client.post(f"{API}/session", content=nul, headers=json_body).status_code == 401
    lone = b'{"name": "a\\ud800", "password": "x"}'  # pydantic takes no lone surrogate
    assert client.post(f"{API}/session", content=lone, headers=json_body).status_code == 422
    entries = audit_entries(api.store)[seen:]
    unsafe = [c for c in cases if c[0] != "GET"]
    assert len(entries) == len(unsafe) + 3
    assert [e.outcome for e in entries] == ["refused"] * len(entries)
    assert [e.user for e in entries[-2:]] == ["ad\\x00min", "anonymous"]
    assert api.get("/audit/verify")["intact"]


def test_audit_paging_beyond_32_bits_is_refused(api: Api) -> None:
    for before in (2**31, 2**63, 2**70):  # sequence numbers are PostgreSQL integers
        response = api.call("GET", "/audit", params={"before": before})
        assert response.status_code == 422
    assert api.get("/audit", before=2**31 - 1)["items"] == api.get("/audit")["items"]


HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def test_security_headers_on_every_kind_of_answer(sqlite_api: Api) -> None:
    api = sqlite_api
    assert "default-src 'self'" in CSP and "frame-ancestors 'none'" in CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    answers = {
        "api 200": api.call("GET", "/assets"),
        "api 401": api.call("GET", "/assets", None),
        "api 404": api.call("GET", "/assets/10.99.99.99"),
        "api 422": api.call("GET", "/assets", params={"limit": 0}),
        "unknown api path": api.call("GET", "/nowhere"),
        "openapi": api.client.get(f"{API}/openapi.json"),
        "page": api.client.get("/"),
        "static file": api.client.get("/static/index.html"),
    }
    for what, response in answers.items():
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (what, name)
        if response.request.url.path.startswith(API):
            assert response.headers["cache-control"] == "no-store", what
    assert answers["page"].status_code == answers["static file"].status_code == 200
    assert answers["page"].headers["cache-control"] == "no-cache"


def test_the_openapi_document_describes_every_api_route(sqlite_api: Api) -> None:
    api = sqlite_api
    response = api.client.get(f"{API}/openapi.json")  # public: it holds no data
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "otm console"
    described = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    routes = {
        (method, route.path)
        for route in iter_route_contexts(api.app.routes)
        if route.path and route.path.startswith(API) and route.path != f"{API}/openapi.json"
        for method in route.methods or ()
    }
    assert described == routes and len(routes) > 25
    for where in ("/docs", "/redoc", f"{API}/docs"):
        assert api.client.get(where).status_code == 404  # no pages loading a CDN's scripts
