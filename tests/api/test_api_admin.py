"""``/api/v1/users``, ``/tokens`` and ``/audit``: what an admin does to users, the tokens
users make for themselves (and admins for others), and the audit trail, each seen
through the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from api_support import USERS, Api, api, cheap_hashing, template

from otm.model.access import Role
from otm.store import schema as t

__all__ = ["api", "cheap_hashing", "template"]

ADMIN = USERS[Role.ADMIN][0]
VIEWER, VIEWER_PASSWORD = USERS[Role.VIEWER]


def test_an_admin_lists_and_creates_users(api: Api) -> None:
    listed = api.get("/users")
    assert [u["name"] for u in listed] == [u.name for u in api.store.users()]
    assert {u["name"]: u["role"] for u in listed} == {n: r.value for r, (n, _) in USERS.items()}
    assert all(
        set(u) >= {"disabled", "locked", "must_change_password", "last_login"} for u in listed
    )
    created = api.call("POST", "/users", json={"name": "olga", "role": "operator",
                                                "password": "olga's pass phrase"})  # fmt: skip
    assert created.status_code == 201
    assert created.json()["one_time_password"] is None
    assert not created.json()["must_change_password"]
    user = api.store.user("olga")
    assert user is not None and user.role is Role.OPERATOR
    assert api.sign_in("olga", "olga's pass phrase").call("GET", "/session").json()["role"] == (
        "operator"
    )
    for body, code in (
        ({"name": "olga"}, 400),  # taken
        ({"name": "bad name"}, 400),
        ({"name": "pat", "password": "short"}, 400),
        ({"name": "pat", "password": "pat"}, 400),
        ({"name": "pat", "role": "superuser"}, 422),
        ({"name": ""}, 422),
    ):
        assert api.call("POST", "/users", json=body).status_code == code, body
    assert api.store.user("pat") is None


def test_an_admin_changes_a_role_disables_and_enables(api: Api) -> None:
    name = USERS[Role.OPERATOR][0]
    token = api.token(Role.OPERATOR)
    browser = api.browser(Role.OPERATOR)
    changed = api.call("PATCH", f"/users/{name}", json={"role": "engineer"})
    assert changed.status_code == 200 and changed.json()["role"] == "engineer"
    user = api.store.user(name)
    assert user is not None and user.role is Role.ENGINEER
    disabled = api.call("PATCH", f"/users/{name}", json={"disabled": True})
    assert disabled.status_code == 200 and disabled.json()["disabled"]
    assert api.client.get("/api/v1/assets", headers=token).status_code == 401
    assert browser.call("GET", "/assets").status_code == 401  # the session ended
    enabled = api.call("PATCH", f"/users/{name}", json={"disabled": False})
    assert enabled.status_code == 200 and not enabled.json()["disabled"]
    assert api.client.get("/api/v1/assets", headers=token).status_code == 200
    assert api.call("PATCH", "/users/nobody", json={"role": "viewer"}).status_code == 404
    assert api.call("PATCH", "/users/nobody", json={}).status_code == 404
    assert api.call("PATCH", f"/users/{name}", json={"role": "root"}).status_code == 422


def test_the_last_admin_keeps_their_power(api: Api) -> None:
    for method, path, body in (
        ("PATCH", f"/users/{ADMIN}", {"role": "engineer"}),
        ("PATCH", f"/users/{ADMIN}", {"disabled": True}),
        ("DELETE", f"/users/{ADMIN}", None),
    ):
        response = api.call(method, path, json=body)
        assert response.status_code == 400 and "only enabled admin" in response.json()["detail"]
    user = api.store.user(ADMIN)
    assert user is not None and user.role is Role.ADMIN and not user.disabled
    promoted = api.call("PATCH", f"/users/{VIEWER}", json={"role": "admin"})
    assert promoted.status_code == 200
    assert api.call("PATCH", f"/users/{ADMIN}", json={"role": "engineer"}).status_code == 200


def test_a_password_reset_gives_a_one_time_password_and_ends_sessions(api: Api) -> None:
    browser = api.browser(Role.VIEWER)
    reset = api.call("POST", f"/users/{VIEWER}/password")
    assert reset.status_code == 200
    one_time = reset.json()["one_time_password"]
    assert one_time and reset.json()["name"] == VIEWER
    assert browser.call("GET", "/session").status_code == 401
    assert api.client.post("/api/v1/session", json={"name": VIEWER, "password": VIEWER_PASSWORD}
                           ).status_code == 401  # fmt: skip
    fresh = api.sign_in(VIEWER, one_time)
    assert fresh.call("GET", "/session").json()["must_change_password"]
    assert api.call("POST", "/users/nobody/password").status_code == 404


def test_deleting_a_user_takes_their_tokens_and_keeps_their_acts(api: Api) -> None:
    name = USERS[Role.ANALYST][0]
    token = api.token(Role.ANALYST)
    alert = api.store.alerts()[0]
    assert api.call("POST", f"/alerts/{alert.id}/close", Role.ANALYST, json={}).status_code == 204
    assert api.call("DELETE", f"/users/{name}").status_code == 204
    assert api.store.user(name) is None
    assert api.store.tokens(name) == []
    assert api.client.get("/api/v1/assets", headers=token).status_code == 401
    assert api.get("/audit", user=name)["items"]  # the audit trail keeps what they did
    assert api.call("DELETE", f"/users/{name}").status_code == 404


def test_users_make_their_own_tokens_and_admins_any(api: Api) -> None:
    viewer = api.browser(Role.VIEWER)
    made = viewer.call("POST", "/tokens", json={"name": "grafana"})
    assert made.status_code == 201
    doc = made.json()
    assert doc["token"].startswith("otm_") and doc["owner"] == VIEWER and doc["role"] == "viewer"
    assert doc["usable"] and doc["revoked_at"] is None
    own = {"Authorization": f"Bearer {doc['token']}"}
    assert api.client.get("/api/v1/assets", headers=own).status_code == 200
    assert api.client.get("/api/v1/session", headers=own).json()["via"] == "token"
    listed = viewer.call("GET", "/tokens").json()
    assert [t["id"] for t in listed] == [doc["id"]] and "token" not in listed[0]
    # A token never makes tokens, a viewer makes none for others nor above their role.
    by_token = api.client.post("/api/v1/tokens", headers=own, json={"name": "again"})
    assert by_token.status_code == 403
    for_other = viewer.call("POST", "/tokens", json={"name": "x", "owner": ADMIN})
    assert for_other.status_code == 403
    above = viewer.call("POST", "/tokens", json={"name": "x", "role": "admin"})
    assert above.status_code == 400
    # An admin makes a token for someone else, lower than their role if asked.
    admin = api.browser(Role.ADMIN)
    given = admin.call("POST", "/tokens", json={"name": "siem", "owner": USERS[Role.ANALYST][0],
                                                 "role": "viewer", "expires_days": 30})  # fmt: skip
    assert given.status_code == 201
    assert (given.json()["owner"], given.json()["role"]) == (USERS[Role.ANALYST][0], "viewer")
    assert given.json()["expires_at"] > time.time() + 29 * 86400
    assert admin.call("POST", "/tokens", json={"name": "x", "owner": "nobody"}).status_code == 404
    all_ids = {t["id"] for t in admin.call("GET", "/tokens").json()}
    assert all_ids == {t.id for t in api.store.tokens()} and len(all_ids) >= 2
    # Revoking: one's own, anyone's for an admin; someone else's is not found.
    assert viewer.call("DELETE", f"/tokens/{given.json()['id']}").status_code == 404
    assert viewer.call("DELETE", f"/tokens/{doc['id']}").status_code == 204
    assert api.client.get("/api/v1/assets", headers=own).status_code == 401
    assert viewer.call("DELETE", f"/tokens/{doc['id']}").status_code == 404  # already
    assert admin.call("DELETE", f"/tokens/{given.json()['id']}").status_code == 204
    assert not any(t.usable(time.time()) for t in api.store.tokens())
    assert admin.call("DELETE", "/tokens/nothing").status_code == 404


def test_an_expired_token_is_refused(api: Api) -> None:
    brief = {"name": "brief", "expires_days": 1e-6}
    made = api.browser(Role.VIEWER).call("POST", "/tokens", json=brief)
    assert made.status_code == 201
    time.sleep(0.1)  # 1e-6 days is 86 ms
    headers = {"Authorization": f"Bearer {made.json()['token']}"}
    assert api.client.get("/api/v1/assets", headers=headers).status_code == 401
    for days in (0, -1, 3651):
        body = {"name": "x", "expires_days": days}
        assert api.browser(Role.VIEWER).call("POST", "/tokens", json=body).status_code == 422


def test_the_audit_trail_filters_pages_and_verifies(api: Api) -> None:
    alert = api.store.alerts()[0]
    for role in (Role.OPERATOR, Role.ANALYST, Role.OPERATOR):
        api.call("POST", f"/alerts/{alert.id}/comments", role, json={"text": f"by {role}"})
    everything = api.get("/audit", limit=1000)["items"]
    assert [e["seq"] for e in everything] == sorted((e["seq"] for e in everything), reverse=True)
    assert len(everything) == len(api.store.audit_entries(1000)) >= 3
    operator = USERS[Role.OPERATOR][0]
    mine = api.get("/audit", user=operator)["items"]
    assert len(mine) == 2 and all(e["user"] == operator for e in mine)
    comments = api.get("/audit", action="POST /api/v1/alerts/")["items"]
    assert len(comments) == 3
    newest = everything[0]["seq"]
    older = api.get("/audit", before=newest, limit=2)["items"]
    assert [e["seq"] for e in older] == [e["seq"] for e in everything[1:3]]
    verdict = api.get("/audit/verify")
    assert verdict == {"intact": True, "entries": len(everything), "broken_at": None,
                       "reason": ""}  # fmt: skip
    with api.store.engine.begin() as conn:  # someone edits the database behind otm's back
        conn.execute(
            t.audit_log.update().where(t.audit_log.c.seq == older[0]["seq"]).values(user="eve")
        )
    broken = api.get("/audit/verify")
    assert not broken["intact"] and broken["broken_at"] == older[0]["seq"]
