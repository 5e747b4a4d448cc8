"""``/api/v1/alerts``: the alerts detection raised on the shared captures, listed and
filtered as the store has them, and the triage workflow (acknowledge, assign, comment,
close, reopen) seen through the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from typing import Any

from api_support import USERS, Api, api, cheap_hashing, shared_api, template

from otm.model.access import Role

__all__ = ["api", "cheap_hashing", "shared_api", "template"]

SEVERITY = ("low", "medium", "high", "critical")


def _ids(api: Api, **params: Any) -> list[str]:
    page = api.get("/alerts", **params)
    return [a["id"] for a in page["items"]]


def test_the_list_is_the_stored_alerts_most_severe_then_latest(shared_api: Api) -> None:
    stored = shared_api.store.alerts(status=("open", "acknowledged"))
    assert len(stored) >= 3
    page = shared_api.get("/alerts")
    assert [a["id"] for a in page["items"]] == [a.id for a in stored]
    ranks = [(SEVERITY.index(a["severity"]), a["last_seen"]) for a in page["items"]]
    assert ranks == sorted(ranks, key=lambda r: (-r[0], -r[1]))
    assert page["total"] == len(stored)
    assert page["by_severity"] == {
        s: sum(a.data["severity"] == s for a in stored) for s in SEVERITY
    }
    first = page["items"][0]
    assert set(first) >= {"rule_id", "name", "message", "subjects", "status", "assignee", "count"}
    assert first["status"] == "open" and first["assignee"] is None


def test_filters_agree_with_the_stored_alerts(shared_api: Api) -> None:
    stored = shared_api.store.alerts(status=("open", "acknowledged"))
    for rule in {a.data["rule_id"] for a in stored}:
        assert _ids(shared_api, rule=rule) == [a.id for a in stored if a.data["rule_id"] == rule]
    for least in SEVERITY:
        wanted = SEVERITY[SEVERITY.index(least) :]
        expected = [a.id for a in stored if a.data["severity"] in wanted]
        assert _ids(shared_api, min_severity=least) == expected
    subjects = Counter(s for a in stored for s in a.data["subjects"])
    for subject in subjects:
        assert _ids(shared_api, subject=subject) == [
            a.id for a in stored if subject in a.data["subjects"]
        ]
    word = stored[0].data["message"].split()[-2].upper()
    assert _ids(shared_api, q=word) == [
        a.id for a in stored if word.lower() in a.data["message"].lower()
    ]
    assert _ids(shared_api, q="nothing-like-this") == []
    page = shared_api.get("/alerts", offset=1, limit=2)
    assert [a["id"] for a in page["items"]] == [a.id for a in stored][1:3]
    assert page["total"] == len(stored)
    for bad in ({"status": "gone"}, {"min_severity": "dire"}, {"limit": 0}, {"offset": -1}):
        assert shared_api.call("GET", "/alerts", params=bad).status_code == 422, bad


def test_triage_from_acknowledge_to_reopen_is_kept_in_the_store(api: Api) -> None:
    alert = api.store.alerts()[0]
    path = f"/alerts/{alert.id}"
    operator, analyst = USERS[Role.OPERATOR][0], USERS[Role.ANALYST][0]

    done = api.call("POST", f"{path}/acknowledge", Role.OPERATOR, json={"text": "looking"})
    assert done.status_code == 204
    stored = api.store.alert(alert.id)
    assert stored is not None and stored.status == "acknowledged"
    assert alert.id in _ids(api)  # still in the default list

    assign = api.call("POST", f"{path}/assign", Role.ANALYST, json={"user": operator})
    assert assign.status_code == 204
    assert _ids(api, assignee=operator) == [alert.id]
    unknown = api.call("POST", f"{path}/assign", Role.ANALYST, json={"user": "nobody"})
    assert unknown.status_code == 400

    comment = api.call("POST", f"{path}/comments", Role.OPERATOR, json={"text": "PLC in STOP"})
    assert comment.status_code == 204
    empty = api.call("POST", f"{path}/comments", Role.OPERATOR, json={"text": "  "})
    assert empty.status_code == 400

    close = api.call("POST", f"{path}/close", Role.ANALYST, json={"text": "maintenance"})
    assert close.status_code == 204
    assert alert.id not in _ids(api)
    assert alert.id in _ids(api, status="closed")
    assert alert.id in _ids(api, status=["closed", "open"])

    reopen = api.call("POST", f"{path}/reopen", Role.ANALYST, json={})
    assert reopen.status_code == 204
    unassign = api.call("POST", f"{path}/assign", Role.ANALYST, json={"user": None})
    assert unassign.status_code == 204

    stored = api.store.alert(alert.id)
    assert stored is not None and (stored.status, stored.assignee) == ("open", None)
    notes = [(n.user, n.action, n.text) for n in api.store.alert_notes(alert.id)]
    assert notes == [
        (operator, "acknowledged", "looking"),
        (analyst, "assign", f"assigned to {operator}"),
        (operator, "comment", "PLC in STOP"),
        (analyst, "closed", "maintenance"),
        (analyst, "open", ""),
        (analyst, "assign", "unassigned"),
    ]
    doc = api.get(path)
    assert [(n["user"], n["action"], n["text"]) for n in doc["notes"]] == notes
    assert doc["status"] == "open" and doc["evidence"] == alert.data["evidence"]


def test_an_alert_is_found_by_the_hash_part_of_its_id(api: Api) -> None:
    alert = api.store.alerts()[0]
    short = alert.id.split(":")[1][:8]
    assert api.get(f"/alerts/{short}")["id"] == alert.id
    assert api.call("POST", f"/alerts/{short}/acknowledge", json={}).status_code == 204
    stored = api.store.alert(alert.id)
    assert stored is not None and stored.status == "acknowledged"


def test_unknown_alerts_are_404_everywhere(shared_api: Api) -> None:
    assert shared_api.call("GET", "/alerts/no-such-alert").status_code == 404
    for action in ("acknowledge", "close", "reopen", "assign", "comments"):
        body = {"text": "x"} if action != "assign" else {"user": None}
        response = shared_api.call("POST", f"/alerts/no-such-alert/{action}", json=body)
        assert response.status_code == 404, action


def test_acknowledging_and_closing_move_the_asset_counts(api: Api) -> None:
    alert = next(a for a in api.store.alerts() if a.data["severity"] == "critical")
    subject = alert.data["subjects"][0]
    before = api.get(f"/assets/{subject}")["summary"]
    api.call("POST", f"/alerts/{alert.id}/acknowledge", json={})
    assert api.get(f"/assets/{subject}")["summary"]["open_alerts"] == before["open_alerts"]
    api.call("POST", f"/alerts/{alert.id}/close", json={})
    after = api.get(f"/assets/{subject}")["summary"]
    assert after["open_alerts"] == before["open_alerts"] - 1
    assert after["worst_alert"] != "critical"
    assert api.get("/summary")["open_alerts"]["critical"] == 0
