"""The web console in a real browser against a real ``otm serve`` (see console_fixtures.py).

Expectations come from the API over the same database (itself analysed from the
shared captures), never from constants: the pages must show what the server says.
"""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any

import httpx
import pytest
from console_fixtures import analysed_db, browser, console, page, shots
from console_support import CHROMIUM, PASSWORD, Console, go, record_health, sign_in

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)",
)

__all__ = ["analysed_db", "browser", "console", "page", "shots"]  # fixtures, imported
expect: Any = pytest.importorskip("playwright.sync_api").expect

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def test_first_start_forces_a_password_change(console: Console, page: Any, shots: Any) -> None:
    page.goto(console.url)
    expect(page.locator("h1")).to_have_text("otm console")
    expect(page.locator("#top")).to_be_hidden()
    shots(page, "sign-in")

    page.fill("#signin-name", "admin")
    page.fill("#signin-password", "not the password")
    page.click("#signin-submit")
    expect(page.locator("#signin-error")).not_to_be_empty()

    page.fill("#signin-name", "admin")
    page.fill("#signin-password", console.one_time_password)
    page.click("#signin-submit")
    expect(page.locator("h1")).to_have_text("Choose your password")
    expect(page.locator("#top")).to_be_hidden()
    page.goto(console.url + "#/inventory")  # nothing else until the password is changed
    expect(page.locator("h1")).to_have_text("Choose your password")
    shots(page, "forced-change")

    page.fill("#password-current", console.one_time_password)
    page.fill("#password-new", PASSWORD)
    page.fill("#password-again", PASSWORD + "x")
    page.click("#password-submit")
    expect(page.locator("#password-error")).to_contain_text("differ")
    page.fill("#password-again", PASSWORD)
    page.click("#password-submit")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("#nav-users")).to_be_visible()
    expect(page.locator("#stat-assets .n")).to_have_text(
        str(console.api().get("/summary")["assets"])
    )
    shots(page, "dashboard")

    refused = httpx.post(
        console.url + "api/v1/session",
        json={"name": "admin", "password": console.one_time_password},
    )
    assert refused.status_code == 401
    me = console.api("admin").get("/session")
    assert me["name"] == "admin" and me["must_change_password"] is False


def test_pages_fit_a_laptop_and_a_control_room_screen(
    console: Console, browser: Any, page: Any, shots: Any
) -> None:
    summary = console.api().get("/summary")
    sign_in(page, console, "chief")
    expect(page.locator("#stat-assets .n")).to_have_text(str(summary["assets"]))
    expect(page.locator("#stat-links .n")).to_have_text(str(summary["links"]))
    for severity, count in summary["open_alerts"].items():
        expect(page.locator(f"#stat-{severity} .n")).to_have_text(str(count))
    expect(page.locator("#latest-alerts tbody tr")).to_have_count(len(summary["latest_alerts"]))
    shots(page, "dashboard-1440", full_page=True)

    wall = browser.new_context(viewport={"width": 2560, "height": 1440})
    try:
        big = wall.new_page()
        sign_in(big, console, "viewer")
        shots(big, "dashboard-2560")
        size = big.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert size >= 20, "a control-room screen gets larger type"
        go(big, console, "map")
        expect(big.locator("#map-svg g.node")).to_have_count(
            len(console.api().get("/topology")["nodes"])
        )
        shots(big, "map-2560")
    finally:
        wall.close()
    page.set_viewport_size({"width": 1024, "height": 768})
    go(page, console, "alerts")
    expect(page.locator("#alerts-table")).to_be_visible()
    shots(page, "alerts-1024")


def test_inventory_search_filter_sort_export_and_asset(
    console: Console, page: Any, shots: Any
) -> None:
    api = console.api()
    # The S7 CPU of the snap7 capture: identified from its SZL answers.
    plc = next(a for a in api.get("/assets", protocol="s7comm")["items"] if a["model"])
    vendor = plc["vendor"]
    searched = api.get("/assets", q=vendor, limit=1000)
    sign_in(page, console, "chief")
    go(page, console, "inventory")
    total = api.get("/assets", limit=1)["total"]
    expect(page.locator("#inventory-count")).to_have_text(_matches(total))

    page.fill("#inventory-search", vendor)
    expect(page.locator("#inventory-count")).to_have_text(_matches(searched["total"]))
    rows = page.locator("#assets tbody tr")
    expect(rows).to_have_count(min(searched["total"], 50))
    expect(page.locator(f'#assets tr[data-asset="{plc["id"]}"]')).to_be_visible()
    assert f"q={vendor}" in page.url.replace("+", " ").replace("%20", " ")
    shots(page, "search")

    # The exact vendor filter (a select fed by /assets/facets), sorted by model, descending.
    page.fill("#inventory-search", "")
    page.select_option("#f-vendor", vendor)
    exact = api.get("/assets", vendor=vendor, sort="model", order="desc")
    page.click('button[data-sort="model"]')
    page.click('button[data-sort="model"]')
    expect(page.locator("#assets th[aria-sort=descending]")).to_contain_text("Model")
    expect(rows).to_have_count(exact["total"])
    expect(rows.first).to_have_attribute("data-asset", exact["items"][0]["id"])

    with page.expect_download() as download:
        page.click("#export-csv")
    text = download.value.path().read_text()
    exported = list(csv.DictReader(io.StringIO(text)))
    assert len(exported) == exact["total"]
    assert {r["vendor"] for r in exported} == {vendor}

    page.click(f'#assets tr[data-asset="{plc["id"]}"] th a')
    detail = api.get(f"/assets/{plc['id']}")
    expect(page.locator("h1")).to_have_text(detail["name"])
    identity = page.locator("dl.facts").first
    for value in (detail["model"], detail["firmware"], detail["serial"], detail["ips"][0]):
        expect(identity).to_contain_text(value)
    evidence = detail["fields"]["firmware"][0]["evidence"]
    expect(page.locator('#asset-evidence tr[data-field="firmware"]')).to_contain_text(
        f"packet {evidence['packet']}"
    )
    expect(page.locator("#asset-links tbody tr")).to_have_count(len(detail["links"]))
    expect(page.locator("#asset-alerts tbody tr")).to_have_count(len(detail["alerts"]))
    expect(page.locator("#a-placement + *")).to_contain_text(detail["placement"]["level_reason"])
    shots(page, "asset", full_page=True)


def _matches(total: int) -> str:
    return "1 asset matches." if total == 1 else f"{total} assets match."


def test_map_zooms_pans_highlights_and_opens_an_asset(
    console: Console, page: Any, shots: Any
) -> None:
    topology = console.api().get("/topology")
    degree: dict[str, set[str]] = {}
    for e in topology["edges"]:
        degree.setdefault(e["source"], set()).add(e["target"])
        degree.setdefault(e["target"], set()).add(e["source"])
    # The asset with the fewest neighbours among those that have some (its neighbourhood
    # is small enough to check one by one), and with a name.
    chosen = min(degree, key=lambda n: (len(degree[n]), n))
    node = next(n for n in topology["nodes"] if n["id"] == chosen)
    touching = [e for e in topology["edges"] if chosen in (e["source"], e["target"])]

    sign_in(page, console, "viewer")
    go(page, console, "map")
    nodes = page.locator("#map-svg g.node")
    expect(nodes).to_have_count(len(topology["nodes"]))
    expect(page.locator("#map-svg path.edge")).to_have_count(len(topology["edges"]))
    scene = page.locator("#map-scene")

    page.click("#zoom-in")
    assert _scale(scene.get_attribute("transform")) > 1.0
    page.click("#zoom-fit")
    box = page.locator("#map-svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    expect(scene).not_to_have_attribute("transform", re.compile(r"scale\(1\.0000\)"))
    before = scene.get_attribute("transform")
    page.mouse.move(box["x"] + 8, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + 60, steps=5)
    page.mouse.up()
    assert scene.get_attribute("transform") != before
    page.click("#zoom-fit")

    page.locator(f'#map-svg g.node[data-id="{chosen}"]').click()
    expect(page.locator("#map-panel-title")).to_have_text(node["name"])
    highlighted = page.locator("#map-svg g.node.hl")
    expect(highlighted).to_have_count(len(degree[chosen]))
    assert {
        highlighted.nth(i).get_attribute("data-id") for i in range(highlighted.count())
    } == degree[chosen]
    expect(page.locator("#map-svg path.edge.hl")).to_have_count(len(touching))
    expect(page.locator("#map-neighbours li")).to_have_count(len(degree[chosen]))
    shots(page, "selected")

    # The keyboard does the same: Enter selects a focused node, Escape lets go.
    other = next(iter(degree[chosen]))
    page.focus(f'#map-svg g.node[data-id="{other}"]')
    page.keyboard.press("Enter")
    expect(page.locator("#map-svg g.node.sel")).to_have_attribute("data-id", other)
    page.keyboard.press("Escape")
    expect(page.locator("#map-svg g.node.sel")).to_have_count(0)

    # The impact path: what fails with a client that others depend on, as the API says.
    clients = sorted({e["source"] for e in topology["edges"]})
    impact = next(
        r for r in (console.api().get(f"/assets/{c}/impact") for c in clients) if r["assets"]
    )
    page.select_option("#map-asset", impact["asset"])
    page.click("#map-impact")
    expect(page.locator("#map-impact-list li")).to_have_count(len(impact["assets"]))
    expect(page.locator("#map-svg g.node.hl")).to_have_count(len(impact["assets"]))
    shots(page, "impact")

    page.select_option("#map-asset", chosen)
    expect(page.locator("#map-panel-title")).to_have_text(node["name"])

    zones = [z for z in console.api().get("/zones")["zones"] if z["assets"]]
    page.select_option("#map-group", "zone")
    for zone in zones:
        expect(page.locator("#map-svg text.group-label", has_text=zone["name"])).to_have_count(1)
    expect(page.locator("#map-svg g.node.sel")).to_have_count(1)
    shots(page, "by-zone")

    level = node["level"]
    page.select_option("#map-level", level)
    expect(nodes).to_have_count(sum(1 for n in topology["nodes"] if n["level"] == level))
    page.select_option("#map-level", "")
    page.select_option("#map-group", "level")

    page.click("#map-open-asset")
    expect(page.locator("h1")).to_have_text(node["name"])
    assert f"#/assets/{chosen}" in page.url


def _scale(transform: str | None) -> float:
    found = re.search(r"scale\(([\d.]+)\)", transform or "")
    assert found, transform
    return float(found.group(1))


def _worst_open_alert(console: Console) -> dict[str, Any]:
    items = console.api().get("/alerts", status="open")["items"]
    return max(items, key=lambda a: (SEVERITY_RANK[a["severity"]], a["last_seen"]))


def test_operator_acknowledges_an_alert_and_the_audit_records_it(
    console: Console, page: Any, shots: Any
) -> None:
    alert = _worst_open_alert(console)
    detail = console.api().get(f"/alerts/{alert['id']}")
    sign_in(page, console, "operator")
    go(page, console, "alerts")
    row = page.locator(f'#alerts-table tr[data-alert="{alert["id"]}"]')
    row.locator("a").click()
    expect(page.locator("#alert-title")).to_have_text(alert["name"])
    expect(page.locator("#alert-evidence")).to_contain_text(
        f"packet {detail['evidence'][0]['packet']}"
    )
    # An operator acknowledges and comments; closing and assigning are an analyst's.
    expect(page.locator("#alert-close")).to_have_count(0)
    expect(page.locator("#alert-assign")).to_have_count(0)
    page.fill("#alert-note", "seen on the HMI, <b>checking</b> with the line")
    shots(page, "before")
    page.click("#alert-acknowledge")
    expect(page.locator("#status")).to_contain_text("Alert acknowledged.")
    expect(page.locator("#alert-info .state")).to_have_text("acknowledged")
    expect(row.locator(".state")).to_have_text("acknowledged")
    notes = page.locator("#alert-notes-list")
    expect(notes).to_contain_text("<b>checking</b> with the line")  # shown as text
    expect(notes.locator("b")).to_have_count(0)
    expect(page.locator("#alert-acknowledge")).to_be_hidden()
    shots(page, "after")

    admin = console.api()
    after = admin.get(f"/alerts/{alert['id']}")
    assert after["status"] == "acknowledged"
    assert any(
        n["user"] == "operator" and "<b>checking</b> with the line" in n["text"]
        for n in after["notes"]
    )
    trail = admin.get("/audit", user="operator")["items"]
    acknowledged = [e for e in trail if e["action"] == "POST /api/v1/alerts/{alert_id}/acknowledge"]
    assert acknowledged, trail
    assert acknowledged[0]["target"] == alert["id"]
    assert acknowledged[0]["outcome"] == "done"


def test_a_viewer_cannot_acknowledge(console: Console, page: Any, shots: Any) -> None:
    alert = _worst_open_alert(console)
    sign_in(page, console, "viewer")
    expect(page.locator("#nav-users")).to_have_count(0)
    go(page, console, f"alerts/{alert['id']}")
    expect(page.locator("#alert-title")).to_have_text(alert["name"])
    expect(page.locator("#alert-acknowledge")).to_have_count(0)
    expect(page.locator("#alert-note")).to_have_count(0)
    expect(page.locator("#alert-read-only")).to_contain_text("viewer")
    shots(page, "alert")

    # The server refuses even with the session's valid CSRF token.
    status = page.evaluate(
        """async (id) => {
            const me = await (await fetch('/api/v1/session')).json();
            const answer = await fetch(`/api/v1/alerts/${encodeURIComponent(id)}/acknowledge`, {
                method: 'POST',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf},
                body: '{}',
            });
            return answer.status;
        }""",
        alert["id"],
    )
    assert status == 403
    admin = console.api()
    assert admin.get(f"/alerts/{alert['id']}")["status"] == "open"
    refused = [
        e
        for e in admin.get("/audit", user="viewer")["items"]
        if e["action"] == "POST /api/v1/alerts/{alert_id}/acknowledge"
    ]
    assert refused and refused[0]["outcome"] == "refused"

    go(page, console, "users")
    expect(page.locator("main")).to_contain_text("needs the admin role")


def test_live_updates_refresh_the_alerts_page(console: Console, page: Any) -> None:
    sign_in(page, console, "chief")
    go(page, console, "alerts")
    expect(page.locator("#live")).to_have_text("live")
    quietest = min(
        console.api().get("/alerts")["items"],
        key=lambda a: (SEVERITY_RANK[a["severity"]], a["last_seen"]),
    )
    row = page.locator(f'#alerts-table tr[data-alert="{quietest["id"]}"]')
    expect(row).to_be_visible()
    # Another user assigns it elsewhere: the open page follows without a reload.
    assigned = console.api().post(f"/alerts/{quietest['id']}/assign", {"user": "operator"})
    assert assigned.status_code == 204
    expect(row.locator("td").nth(2)).to_have_text("operator", timeout=6000)


def test_health_page_follows_what_the_poller_records(
    console: Console, page: Any, shots: Any
) -> None:
    api = console.api()
    plc = next(a for a in api.get("/assets", protocol="s7comm")["items"] if a["model"])
    other = api.get("/assets", protocol="modbus", role="plc", limit=1)["items"][0]
    address, other_address = plc["ips"][0], other["ips"][0]
    sign_in(page, console, "viewer")
    go(page, console, "health")
    # While the page is open, the poller reports: the S7 CPU goes up, degraded, down.
    now = time.time()
    record_health(
        console.db,
        [
            (now - 300, address, "up", "s7comm"),
            (now - 200, other_address, "up", "modbus"),
            (now - 120, address, "degraded", "s7comm"),
            (now - 60, address, "down", "s7comm"),
        ],
    )
    devices = page.locator("#health-devices tbody tr")
    expect(devices).to_have_count(2, timeout=6000)
    expect(devices.first).to_contain_text(address)  # the worst state first
    expect(devices.first.locator(".state")).to_have_text("down")
    expect(page.locator("#health-down .n")).to_have_text("1")
    expect(page.locator("#health-changes li")).to_have_count(len(api.get("/health")["changes"]))
    shots(page, "health")

    go(page, console, f"assets/{plc['id']}")
    expect(page.locator("#a-health + *")).to_contain_text("down")
    expect(page.locator("#asset-health-timeline li")).to_have_count(3)
    shots(page, "asset-health")


def test_admin_manages_users_and_tokens(console: Console, page: Any, shots: Any) -> None:
    sign_in(page, console, "chief")
    go(page, console, "users")
    expect(page.locator("#users-table tr[data-user=viewer]")).to_be_visible()
    page.fill("#new-user-name", "shift-lead")
    page.select_option("#new-user-role", "analyst")
    page.click("#new-user-submit")
    expect(page.locator("#user-secret-value")).not_to_be_empty()
    one_time = page.locator("#user-secret-value").inner_text()
    row = page.locator("#users-table tr[data-user=shift-lead]")
    expect(row).to_contain_text("must change password")

    page.select_option("#role-shift-lead", "engineer")
    expect(page.locator("#status")).to_contain_text("shift-lead is now engineer")
    row.locator("button[data-action=disable]").click()
    expect(row.locator("button[data-action=enable]")).to_be_visible()

    page.fill("#token-name", "siem")
    page.select_option("#token-role", "viewer")
    page.click("#token-submit")
    expect(page.locator("#token-secret-value")).to_contain_text("otm_")
    expect(page.locator("#tokens-table")).to_contain_text("siem")
    shots(page, "users", full_page=True)

    api = console.api()
    users = {u["name"]: u for u in api.get("/users")}
    assert users["shift-lead"]["role"] == "engineer"
    assert users["shift-lead"]["disabled"] is True
    assert users["shift-lead"]["must_change_password"] is True
    assert any(t["name"] == "siem" and t["role"] == "viewer" for t in api.get("/tokens"))
    assert (
        httpx.post(
            console.url + "api/v1/session", json={"name": "shift-lead", "password": one_time}
        ).status_code
        == 401
    ), "a disabled user cannot sign in"
