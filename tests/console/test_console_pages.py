"""The console's processes, trends, scans, hints and settings pages in a real browser
against a real ``otm serve`` (see console_fixtures.py), over the database analysed from the
shared captures; a plant file, historian samples and a real pymodbus device are added
as the tests need them.  Expectations come from the API, never from constants.
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from console_fixtures import analysed_db, browser, console, page, shots
from console_support import CHROMIUM, Console, go, sign_in, write_samples

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)",
)
expect: Any = pytest.importorskip("playwright.sync_api").expect

POLLING = Path(__file__).resolve().parents[1] / "polling"
if str(POLLING) not in sys.path:  # the test folders are not packages
    sys.path.insert(0, str(POLLING))

from poll_support import HOST, REAL_DEVICES, DeviceProcess, free_port, python  # noqa: E402

__all__ = ["analysed_db", "browser", "console", "page", "shots"]  # fixtures, imported


def _s7_cpu(console: Console) -> dict[str, Any]:
    """The S7 CPU of the snap7 capture (identified from its SZL answers)."""
    api = console.api()
    return next(a for a in api.get("/assets", protocol="s7comm")["items"] if a["model"])


def _modbus_plc(console: Console) -> dict[str, Any]:
    items = console.api().get("/assets", protocol="modbus", role="plc", limit=1)["items"]
    return dict(items[0])


def _nodes(tree: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in tree:
        yield node
        yield from _nodes(node["children"])


def _shown(value: float) -> str:
    """A value as the trend legend writes it (at most 4 decimals, no thousands here)."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _plant(cpu: dict[str, Any], plc: dict[str, Any]) -> dict[str, Any]:
    """A plant file: the S7 CPU in two processes of different criticality, the Modbus
    PLC in a third, a zone for the CPU and a display name."""
    cpu_ip, plc_ip = f"ip:{cpu['ips'][0]}", f"ip:{plc['ips'][0]}"
    return {
        "schema": "otm.plant/1",
        "zones": [{"name": "cell-s7", "level": 1, "assets": [cpu_ip]}],
        "processes": [
            {"path": "Acme/Plant1/Packaging/Line3", "criticality": 5, "assets": [cpu_ip]},
            {"path": "Acme/Plant1/Utilities/Water", "criticality": 2, "assets": [cpu_ip]},
            {"path": "Acme/Plant1/Utilities/Pumps", "criticality": 3, "assets": [plc_ip]},
        ],
        "names": {cpu_ip: "PLC-3"},
    }


def test_processes_tree_impact_and_exposure(console: Console, page: Any, shots: Any) -> None:
    cpu, plc = _s7_cpu(console), _modbus_plc(console)
    engineer = console.api("engineer")
    answer = engineer.put("/plant", _plant(cpu, plc))
    assert answer.status_code == 200, answer.text
    tree = engineer.get("/processes")
    nodes = list(_nodes(tree))

    sign_in(page, console, "engineer")
    go(page, console, "processes")
    expect(page.locator("#process-tree li.tree-node")).to_have_count(len(nodes))
    for node in nodes:
        item = page.locator(f'#process-tree li.tree-node[data-path="{node["path"]}"]')
        expect(item.locator(":scope > details > summary .kind")).to_have_text(node["kind"])
        attached = item.locator(":scope > details > ul.tree-assets > li")
        expect(attached).to_have_count(len(node["assets"]))
        for a in node["assets"]:
            row = item.locator(f':scope > details > ul.tree-assets > li[data-asset="{a["asset"]}"]')
            expect(row.locator(".tag")).to_have_text(a["source"])
            expect(row).to_contain_text(a["reason"])
            link = row.locator(".asset-name a")
            expect(link).to_have_text(a["name"])
            expect(link).to_have_attribute("href", f"#/assets/{a['asset']}")
    assert {a["source"] for n in nodes for a in n["assets"]} == {"declared", "inferred"}
    shots(page, "tree", full_page=True)

    # The CPU's failure: both its processes, the most critical first; what depends on it.
    impact = engineer.get(f"/assets/{cpu['id']}/impact", mode="fail")
    exposure = engineer.get(f"/assets/{cpu['id']}/exposure")
    page.locator(f'button[data-impact="{cpu["id"]}"]').first.click()
    expect(page.locator("#process-asset-title")).to_have_text(impact["name"])
    hit = page.locator("#impact-processes tbody tr")
    expect(hit).to_have_count(len(impact["processes"]))
    ranked = sorted(impact["processes"], key=lambda p: -p["criticality"])
    for i, process in enumerate(ranked):
        expect(hit.nth(i)).to_have_attribute("data-process", process["process"])
        expect(hit.nth(i).locator(".crit")).to_contain_text(str(process["criticality"]))
    assert len(ranked) == 2 and ranked[0]["criticality"] > ranked[1]["criticality"]
    expect(page.locator("#impact-assets tbody tr")).to_have_count(len(impact["assets"]))
    for a in impact["assets"]:
        path = page.locator(f'#impact-assets tr[data-asset="{a["asset"]}"] .path a')
        expect(path).to_have_text(a["names"])
    expect(page.locator("#exposure-paths tbody tr")).to_have_count(len(exposure["paths"]))
    expect(page.locator("#exposure-facts")).to_contain_text(exposure["zone"])
    shots(page, "impact-fail", full_page=True)

    isolated = engineer.get(f"/assets/{cpu['id']}/impact", mode="isolate")
    page.check("#impact-mode-isolate")
    expect(page.locator("#impact-assets-title")).to_contain_text(f"({len(isolated['assets'])})")
    expect(page.locator("#impact-assets tbody tr")).to_have_count(len(isolated["assets"]))
    assert "mode=isolate" in page.url and f"asset={cpu['id']}" in page.url

    # The asset page leads here, with the same asset chosen.
    go(page, console, f"assets/{cpu['id']}")
    page.click("#show-impact")
    expect(page.locator("#process-asset-title")).to_have_text(impact["name"])


def test_trends_plot_what_the_historian_holds(console: Console, page: Any, shots: Any) -> None:
    cpu, plc = _s7_cpu(console), _modbus_plc(console)
    now = time.time()
    a, b = cpu["ips"][0], plc["ips"][0]
    samples = [
        (now - 2400 + 20 * i, a, "line3.flow", round(50 + 30 * math.sin(i / 9), 2), "good")
        for i in range(118)
    ]
    samples += [
        (now - 1800 + 30 * i, b, "pump.pressure", round(2 + 0.05 * i, 2), "good") for i in range(55)
    ]
    samples.append((now - 30, b, "pump.pressure", 9.5, "uncertain"))
    assert write_samples(console.db, samples) == len(samples)
    viewer = console.api("viewer")
    tags = viewer.get("/tags")
    flow, pressure = f"{a}|line3.flow", f"{b}|pump.pressure"

    sign_in(page, console, "viewer")
    go(page, console, "trends")
    expect(page.locator("#trend-tags input[type=checkbox]")).to_have_count(len(tags))
    page.check(f'#trend-tags input[value="{flow}"]')
    page.check(f'#trend-tags input[value="{pressure}"]')
    expect(page.locator("figure.trend")).to_have_count(1)  # both on one chart
    for key, tag, ip in ((flow, "line3.flow", a), (pressure, "pump.pressure", b)):
        series = viewer.get("/tags/series", tag=tag, asset=ip, aggregate="auto")
        assert series["level"] == "raw"
        values = [v for _, v, _ in series["samples"]]
        entry = page.locator(f'#trend-legend li[data-series="{key}"]')
        expect(entry.locator(".points")).to_have_text(str(len(values)))
        expect(entry.locator(".min")).to_have_text(_shown(min(values)))
        expect(entry.locator(".max")).to_have_text(_shown(max(values)))
        drawn = page.locator(f'svg.chart g.series[data-series="{key}"]')
        expect(drawn).to_have_attribute("data-points", str(len(values)))
        expect(drawn.locator("circle")).to_have_count(len(values))
    bad = page.locator('svg.chart g.series[data-series="' + pressure + '"] circle.bad')
    expect(bad).to_have_count(1)
    ticks = page.locator("svg.chart text.x-tick")
    assert ticks.count() >= 3
    assert all(":" in t for t in ticks.all_text_contents())  # HH:MM on a one-hour window
    expect(page.locator("svg.chart text.axis-unit")).to_have_text("UTC")
    shots(page, "raw")

    # One-minute rollups: a min/max band around the average, one point a bucket.
    page.select_option("#trend-aggregate", "1m")
    rollup = viewer.get("/tags/series", tag="line3.flow", asset=a, aggregate="1m")
    expect(page.locator(f'#trend-legend li[data-series="{flow}"] .points')).to_have_text(
        str(len(rollup["buckets"]))
    )
    expect(page.locator(f'svg.chart g.series[data-series="{flow}"] path.band')).to_have_count(1)
    low = min(bucket[1] for bucket in rollup["buckets"])
    expect(page.locator(f'#trend-legend li[data-series="{flow}"] .min')).to_have_text(_shown(low))

    # Drag across the middle of the chart: that time range, as the API answers it.
    box = page.locator("svg.chart rect.overlay").first.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.45, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, y, steps=4)
    page.mouse.up()
    expect(page.locator("#trend-1h")).to_have_attribute("aria-pressed", "false")
    expect(page).to_have_url(re.compile(r"start=\d+"))
    shown = parse_qs(urlsplit(page.url).fragment.partition("?")[2])
    start, end = float(shown["start"][0]), float(shown["end"][0])
    assert now - 3600 < start < end < now + 60
    zoomed = viewer.get(
        "/tags/series", tag="line3.flow", asset=a, start=start, end=end, aggregate="1m"
    )
    expect(page.locator(f'#trend-legend li[data-series="{flow}"] .points')).to_have_text(
        str(len(zoomed["buckets"]))
    )
    assert 0 < len(zoomed["buckets"]) < len(rollup["buckets"])
    shots(page, "zoomed")

    page.click("#trend-24h")
    expect(page.locator("#trend-24h")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#trend-range")).to_contain_text("24 h")
    page.click("#trend-zoom-in")
    expect(page.locator("#trend-24h")).to_have_attribute("aria-pressed", "false")
    page.click("#trend-reset")
    expect(page.locator("#trend-24h")).to_have_attribute("aria-pressed", "true")
    page.click("#trend-1h")
    page.select_option("#trend-aggregate", "raw")
    page.select_option("#trend-layout", "stacked")
    expect(page.locator("figure.trend")).to_have_count(2)
    shots(page, "stacked", full_page=True)
    # A control-room screen: the charts are drawn again for the wider box.
    before = page.evaluate("() => document.querySelector('svg.chart').viewBox.baseVal.width")
    page.set_viewport_size({"width": 2560, "height": 1440})
    page.wait_for_function(
        "(w) => document.querySelector('svg.chart').viewBox.baseVal.width > w", arg=before
    )
    shots(page, "stacked-2560")


@pytest.fixture
def modbus_device() -> Iterator[int]:
    """A real pymodbus device (tests/realdevices) on a free loopback port."""
    port = free_port()
    device = DeviceProcess(
        python(REAL_DEVICES / "modbus_device.py", HOST, str(port), "Acme", "AC-1", "2.3", "PLC")
    ).start()
    try:
        yield port
    finally:
        device.stop()


def test_engineer_previews_then_scans_a_real_device(
    console: Console, page: Any, shots: Any, modbus_device: int
) -> None:
    engineer = console.api("engineer")
    offered = engineer.get("/scans")
    form = {
        "allow": offered["allowed"],
        "targets": [],
        "protocols": ["modbus"],
        "ports": {"modbus": modbus_device},
        "rate": 50,
        "device_rate": 20,
        "timeout": 2,
    }
    planned = engineer.post("/scans", {**form, "dry_run": True})
    assert planned.status_code == 200, planned.text

    sign_in(page, console, "engineer")
    expect(page.locator("#nav-scans")).to_be_visible()
    go(page, console, "scans")
    for network in offered["allowed"]:
        expect(page.locator("#scan-allowed")).to_contain_text(network)
    for protocol in offered["protocols"]:
        if protocol != "modbus":
            page.uncheck(f"#scan-protocol-{protocol}")
    page.fill("#scan-ports", f"modbus={modbus_device}")
    page.fill("#scan-rate", "50")
    page.fill("#scan-device-rate", "20")
    expect(page.locator("#scan-start")).to_be_disabled()
    page.click("#scan-preview")
    expect(page.locator("#scan-plan li")).to_have_count(len(planned.json()["requests"]))
    expect(page.locator("#scan-plan li").first).to_have_text(planned.json()["requests"][0])
    expect(page.locator("#scan-start")).to_be_enabled()
    shots(page, "preview")

    page.click("#scan-start")
    expect(page.locator("#scan-state .state")).to_have_text("done", timeout=30000)
    found = page.locator(f'#scan-found tr[data-ip="{HOST}"]')
    expect(found).to_contain_text("Acme")
    (job,) = engineer.get("/scans")["items"]
    assert job["state"] == "done" and [d["ip"] for d in job["found"]] == [HOST]
    expect(page.locator("#scan-devices")).to_have_text(str(job["devices"]))
    expect(page.locator(f'#scans-table tr[data-scan="{job["id"]}"]')).to_contain_text("done")
    shots(page, "done")

    # Outside the console's allowlist: the server refuses, the page says why.
    page.fill("#scan-allow", "127.0.0.0/24")
    expect(page.locator("#scan-start")).to_be_disabled()
    page.click("#scan-preview")
    expect(page.locator("#scan-plan-error")).to_contain_text("outside")

    found.locator("a").click()
    expect(page.locator("dl.facts").first).to_contain_text("Acme")


def test_analyst_learns_freezes_and_accepts_an_alert(
    console: Console, page: Any, shots: Any
) -> None:
    analyst = console.api("analyst")
    before = analyst.get("/baseline")
    sign_in(page, console, "analyst")
    expect(page.locator("#nav-scans")).to_have_count(0)  # an engineer's page
    go(page, console, "scans")
    expect(page.locator("main")).to_contain_text("needs the engineer role")
    go(page, console, "settings")
    expect(page.locator("#baseline-phase")).to_have_attribute(
        "data-phase", "learning" if before["exists"] and not before["frozen"] else "none"
    )
    page.fill("#baseline-duration", "7d")
    page.click("#baseline-learn")
    expect(page.locator("#baseline-phase")).to_have_attribute("data-phase", "learning")
    learning = analyst.get("/baseline")
    expect(page.locator('#baseline-learning tr[data-scope="site"]')).to_contain_text("7d")
    expect(page.locator('#baseline-counts dd[data-count="observations"]')).to_have_text(
        f"{learning['counts']['observations']:,}"
    )
    expect(page.locator("#baseline-sources")).to_contain_text(str(len(learning["sources"])))
    page.click("#baseline-freeze")
    expect(page.locator("#baseline-phase")).to_have_attribute("data-phase", "frozen")
    assert analyst.get("/baseline")["frozen"] is True
    expect(page.locator("#baseline-scope-site")).to_be_disabled()  # zones learn from now on
    shots(page, "baseline")

    # An alert that is normal after all: accepted into the baseline from its detail.
    candidates = analyst.get("/alerts", status="open")["items"]
    alert = next(a for a in candidates if analyst.get(f"/alerts/{a['id']}")["observations"])
    go(page, console, f"alerts/{alert['id']}")
    page.fill("#alert-note", "the engineering workstation does this every shift")
    page.click("#alert-accept")
    expect(page.locator("#alert-info .state")).to_have_text("accepted")
    expect(page.locator("#alert-accept")).to_be_hidden()
    after = analyst.get(f"/alerts/{alert['id']}")
    assert after["status"] == "accepted"
    assert any("every shift" in n["text"] for n in after["notes"])
    page.locator("#alert-detail").scroll_into_view_if_needed()
    shots(page, "accepted")


def test_settings_exports_protocols_and_hints(console: Console, page: Any, shots: Any) -> None:
    viewer = console.api("viewer")
    sign_in(page, console, "viewer")
    go(page, console, "settings")
    expect(page.locator("#plant-text")).to_have_text(viewer.text("/plant"))
    expect(page.locator("#plant-read-only")).to_be_visible()  # loading needs an engineer
    expect(page.locator("#plant-upload")).to_have_count(0)
    expect(page.locator("#baseline-read-only")).to_be_visible()
    protocols = viewer.get("/protocols")
    expect(page.locator("#protocols-table tbody tr")).to_have_count(len(protocols))
    expect(
        page.locator(f'#protocols-table tr[data-protocol="{protocols[0]["name"]}"]')
    ).to_contain_text(protocols[0]["title"])
    for link, path in (
        ("#export-inventory", "/api/v1/export/inventory.json"),
        ("#export-links", "/api/v1/export/links.csv"),
        ("#export-graphml", "/api/v1/export/map?format=graphml"),
        ("#export-map-json", "/api/v1/export/map?format=json"),
        ("#export-plant", "/api/v1/plant"),
    ):
        expect(page.locator(link)).to_have_attribute("href", path)
    with page.expect_download() as download:
        page.click("#export-links")
    assert download.value.path().read_text() == viewer.text("/export/links.csv")
    with page.expect_download() as download:
        page.click("#export-map-json")
    assert json.loads(download.value.path().read_text()) == viewer.get("/export/map", format="json")
    shots(page, "settings", full_page=True)

    hints = viewer.get("/hints")
    go(page, console, "hints")
    expect(page.locator("#hints-table tbody tr")).to_have_count(len(hints["hints"]))
    high = viewer.get("/hints", min_severity="high")["hints"]
    page.select_option("#hints-severity", "high")
    expect(page.locator("#hints-table tbody tr")).to_have_count(len(high))
    expect(page.locator("#hints-count")).to_contain_text(f"{len(high)} hint(s)")
    shots(page, "hints")

    cpu = _s7_cpu(console)
    detail = viewer.get(f"/assets/{cpu['id']}")
    assert detail["hints"]
    go(page, console, f"assets/{cpu['id']}")
    rows = page.locator("#asset-hints tbody tr")
    expect(rows).to_have_count(len(detail["hints"]))
    expect(rows.first).to_contain_text(detail["hints"][0]["reason"])


YAML_CASES = [
    "schema: otm.plant/1\nzones:\n- name: a\n  level: 3.5\n  subnets: [10.0.0.0/24]\n",
    "names: {'ip:10.0.0.1': PLC-3, ip:10.0.0.2: \"x # y\"}\nlevels:\n  ip:10.0.0.3: dmz\n",
    "a: yes\nb: off\nc: 0755\nd: 0x1f\ne: 1_000\nf: 1:30\ng: 1e3\nh: .5\ni: ~\nj:\nk: 2024-01-01\n",
    "text: 'it''s\n  folded\n\n  twice'\n"
    'q: "tab\\tescape \\u00e9\\\n  joined"\n'
    "plain: one\n  two # comment\n",
    "- - a\n  - b\n- c: 1\n  d:\n  - e\n-\n  f: [1, [2, 3], {g: h}]\n",
    'x: [\n  one,  # first\n  "two, three",\n]\ny: {}\nz: []\n',
]


def test_engineer_loads_a_yaml_plant_file(console: Console, page: Any, shots: Any) -> None:
    engineer = console.api("engineer")
    sign_in(page, console, "engineer")
    go(page, console, "settings")

    # The console's YAML reader means what PyYAML's safe loader (otm plant load) means.
    read = page.evaluate(
        """async (texts) => {
            const { parseYaml } = await import('/static/js/yaml.js');
            return texts.map((t) => parseYaml(t));
        }""",
        YAML_CASES,
    )
    assert read == [json.loads(json.dumps(yaml.safe_load(t), default=str)) for t in YAML_CASES]

    # The exported file, with one more process and a long folded description, back in.
    current = yaml.safe_load(engineer.text("/plant"))
    current["processes"].append(
        {
            "path": "Acme/Plant1/Utilities/Compressed air",
            "criticality": 4,
            "description": "The compressors' loop: " + "long words " * 20 + "# not a comment",
            "assets": [current["processes"][0]["assets"][0]],
        }
    )
    text = yaml.safe_dump(current, sort_keys=False, width=60)
    page.set_input_files(
        "#plant-file",
        {"name": "site.yaml", "mimeType": "application/yaml", "buffer": text.encode()},
    )
    page.click("#plant-load")
    expect(page.locator("#plant-loaded")).to_contain_text(f"{len(current['processes'])} processes")
    stored = yaml.safe_load(engineer.text("/plant"))
    assert stored["processes"][-1]["description"] == current["processes"][-1]["description"]
    assert stored == yaml.safe_load(text)
    expect(page.locator("#plant-text")).to_have_text(engineer.text("/plant"))
    shots(page, "loaded")

    # Broken files change nothing: one the reader refuses, one the server refuses.
    page.set_input_files(
        "#plant-file",
        {"name": "dup.yaml", "mimeType": "application/yaml", "buffer": b"schema: a\nschema: b\n"},
    )
    page.click("#plant-load")
    expect(page.locator("#plant-error")).to_contain_text("line 2: duplicate key")
    wrong = {"schema": "otm.plant/1", "zones": [{"name": "z", "levle": 1}]}
    page.set_input_files(
        "#plant-file",
        {
            "name": "wrong.json",
            "mimeType": "application/json",
            "buffer": json.dumps(wrong).encode(),
        },
    )
    page.click("#plant-load")
    expect(page.locator("#plant-problems li").first).to_contain_text("levle")
    assert yaml.safe_load(engineer.text("/plant")) == stored
    shots(page, "refused")
