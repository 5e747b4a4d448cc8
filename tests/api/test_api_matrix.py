"""The authorization matrix: every route of the application (enumerated from the app, so a
new route without an entry in ``LEAST`` fails), asked without credentials, with a token
of each role, with a browser session of each role (unsafe methods with the CSRF token),
and with the session of an admin who must still change their one-time password.

Expected: 401 without credentials; 403 below the route's least role; anything but 401
and 403 at or above it; a must-change principal only reaches ``SIGNED_IN`` routes.  Each
state-changing request leaves exactly one audit entry with its route, status and user;
a read leaves none.

The requests are made so that an admitted one changes nothing: path parameters name
nothing that exists, and a body, where the route takes one, is a JSON array where an
object is expected (422) - the role check runs before the body is validated.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_support import USERS, Api, Browser, cheap_hashes, cheap_hashing, copy_template, template
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from otm.api.app import API, create_app
from otm.api.security import CSRF_HEADER
from otm.model.access import Role
from otm.services import access
from otm.store.combined import Store

__all__ = ["cheap_hashing", "template"]

PUBLIC = "public"
"""No credentials needed."""

SIGNED_IN = "signed-in"
"""Any principal, even one that must change their password first."""

V, OP, A, E, ADMIN = Role.VIEWER, Role.OPERATOR, Role.ANALYST, Role.ENGINEER, Role.ADMIN

LEAST: dict[str, str | Role] = {
    "GET /": PUBLIC,
    "GET /static": PUBLIC,
    f"GET {API}/openapi.json": PUBLIC,
    # session
    f"POST {API}/session": PUBLIC,
    f"GET {API}/session": SIGNED_IN,
    f"POST {API}/session/password": SIGNED_IN,
    f"DELETE {API}/session": SIGNED_IN,
    # inventory
    f"GET {API}/assets": V,
    f"GET {API}/assets.csv": V,
    f"GET {API}/assets/facets": V,
    f"GET {API}/assets/{{ref}}": V,
    f"GET {API}/assets/{{ref}}/impact": V,
    f"GET {API}/assets/{{ref}}/exposure": V,
    f"GET {API}/links": V,
    # alerts and detection
    f"GET {API}/alerts": V,
    f"GET {API}/alerts/{{alert_id}}": V,
    f"POST {API}/alerts/{{alert_id}}/acknowledge": OP,
    f"POST {API}/alerts/{{alert_id}}/comments": OP,
    f"POST {API}/alerts/{{alert_id}}/close": A,
    f"POST {API}/alerts/{{alert_id}}/reopen": A,
    f"POST {API}/alerts/{{alert_id}}/assign": A,
    f"POST {API}/alerts/{{alert_id}}/accept": A,
    f"GET {API}/baseline": V,
    f"POST {API}/baseline/learn": A,
    f"POST {API}/baseline/freeze": A,
    # the plant
    f"GET {API}/summary": V,
    f"GET {API}/topology": V,
    f"GET {API}/health": V,
    f"GET {API}/zones": V,
    f"GET {API}/processes": V,
    f"GET {API}/levels": V,
    f"GET {API}/plant": V,
    f"PUT {API}/plant": E,
    f"GET {API}/hints": V,
    f"GET {API}/tags": V,
    f"GET {API}/tags/series": V,
    f"GET {API}/protocols": V,
    f"GET {API}/export/inventory.json": V,
    f"GET {API}/export/links.csv": V,
    f"GET {API}/export/map": V,
    f"GET {API}/events": V,
    # active scans
    f"GET {API}/scans": E,
    f"POST {API}/scans": E,
    f"GET {API}/scans/{{scan_id}}": E,
    # administration (a user's own tokens: anyone signed in, past their password change)
    f"GET {API}/tokens": V,
    f"POST {API}/tokens": V,
    f"DELETE {API}/tokens/{{token_id}}": V,
    f"GET {API}/users": ADMIN,
    f"POST {API}/users": ADMIN,
    f"PATCH {API}/users/{{name}}": ADMIN,
    f"POST {API}/users/{{name}}/password": ADMIN,
    f"DELETE {API}/users/{{name}}": ADMIN,
    f"GET {API}/audit": ADMIN,
    f"GET {API}/audit/verify": ADMIN,
}
"""The least role each route needs, as ``METHOD /path`` with the path's template."""

NOTHING = {
    "ref": "10.255.255.254",
    "alert_id": "no-such-alert",
    "name": "no-such-user",
    "token_id": "000000000000",
    "scan_id": "no-such-scan",
}
"""What each path parameter is set to: something that does not exist."""

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CHANGER = "changer"
"""The admin who must change their one-time password."""


def _app_routes() -> list[str]:
    """Every route of the application, as ``METHOD /path`` (a mount as ``GET /prefix``)."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store(f"sqlite:///{Path(folder) / 'routes.db'}")
        try:
            app = create_app(store)
        finally:
            store.close()
    found: list[str] = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.append(f"GET {route.path}")
            continue
        found += [f"{m} {route.path}" for m in sorted(route.methods or ()) if m != "HEAD"]
    assert len(found) > 40  # the enumeration itself must not go quiet
    return found


ROUTES = _app_routes()


@dataclass
class Principals:
    """The module's application with a token and a browser session of each role."""

    api: Api
    tokens: dict[Role, dict[str, str]]
    browsers: dict[Role, Browser]
    changer: Browser


@pytest.fixture(scope="module")
def principals(tmp_path_factory: pytest.TempPathFactory, template: Path) -> Iterator[Principals]:
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'otm.db'}"
    copy_template(template, url)
    store = Store(url)
    with cheap_hashes():
        one_time = access.add_user(store, CHANGER, Role.ADMIN, 0.0)
        assert one_time is not None
        app = create_app(store)
        with TestClient(app) as client:
            api = Api(app, client, store)
            yield Principals(
                api,
                {role: api.token(role) for role in Role},
                {role: api.browser(role) for role in Role},
                api.sign_in(CHANGER, one_time),
            )


def _url(route: str) -> str:
    path = route.split(" ", 1)[1]
    if path == "/static":
        return "/static/index.html"
    return path.format(**NOTHING)


def _request(client: TestClient, route: str, headers: dict[str, str]) -> int:
    method = route.split(" ", 1)[0]
    url = _url(route)
    if url == f"{API}/events":
        with client.stream(method, url, headers=headers) as response:
            return response.status_code  # the stream is left at once
    body: dict[str, Any] = {"json": []} if method in UNSAFE else {}
    return client.request(method, url, headers=headers, **body).status_code


def _admitted(least: str | Role, role: Role) -> bool:
    return least in (PUBLIC, SIGNED_IN) or (isinstance(least, Role) and role.allows(least))


@pytest.mark.parametrize("route", ROUTES)
def test_each_route_admits_its_least_role_and_above(principals: Principals, route: str) -> None:
    assert route in LEAST, f"{route}: add its least role to LEAST"
    least = LEAST[route]
    method = route.split(" ", 1)[0]
    api = principals.api
    template_path = route.split(" ", 1)[1]
    audited = method in UNSAFE and template_path.startswith(API)

    def check(who: str, user: str, headers: dict[str, str], client: TestClient, ok: bool) -> None:
        seq = max((e.seq for e in api.store.audit_entries(1)), default=0)
        code = _request(client, route, headers)
        if ok:
            assert code not in (401, 403), f"{route} as {who}: {code}"
        elif user == "anonymous":
            assert code == 401, f"{route} as {who}: {code}"
        else:
            assert code == 403, f"{route} as {who}: {code}"
        entries = [e for e in api.store.audit_entries(5) if e.seq > seq]
        if not audited:
            assert entries == [], f"{route} as {who}: a read was audited"
            return
        assert len(entries) == 1, f"{route} as {who}: {len(entries)} audit entries"
        (entry,) = entries
        expected_user = "anonymous" if code == 401 or route == f"POST {API}/session" else user
        assert (entry.action, entry.user, json.loads(entry.detail)["status"]) == (
            f"{method} {template_path}",
            expected_user,
            code,
        ), who

    check("nobody", "anonymous", {}, api.client, least == PUBLIC)
    for role in Role:
        name = USERS[role][0]
        check(f"a {role} token", name, principals.tokens[role], api.client, _admitted(least, role))
        browser = principals.browsers[role]
        if route == f"DELETE {API}/session":  # signing out ends the session: use a new one
            browser = api.browser(role)
        csrf = {CSRF_HEADER: browser.csrf}
        check(f"a {role} session", name, csrf, browser.client, _admitted(least, role))
    changer = principals.changer
    if route == f"DELETE {API}/session":
        return  # it would end the one session the must-change admin has
    check("an admin who must change their password", CHANGER, {CSRF_HEADER: changer.csrf},
          changer.client, least in (PUBLIC, SIGNED_IN))  # fmt: skip


def test_the_table_names_only_routes_that_exist() -> None:
    assert sorted(set(LEAST) - set(ROUTES)) == []
