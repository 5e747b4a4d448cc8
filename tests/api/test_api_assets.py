"""``/api/v1/assets`` and ``/api/v1/links`` over analysed shared captures, on SQLite and
PostgreSQL: the rows are the stored inventory; filters, sorts, pages and search agree
with an independent computation over those rows; one asset's detail; links."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from api_support import (
    CELL,
    LAB,
    PCAPS,
    PROCESS,
    T0,
    Api,
    api,
    cheap_hashing,
    shared_api,
    template,
)

from otm.model.assets import Asset
from otm.model.plant import PlantConfig, ZoneSpec
from otm.observations.records import DeviceHealth, Evidence
from otm.services import vulns as vuln_service
from otm.services.export import vendor_of
from otm.store.combined import Store
from otm.topology.plan import build_plant_map

__all__ = ["api", "cheap_hashing", "shared_api", "template"]

SEVERITY = ("low", "medium", "high", "critical")
ALL = {"limit": 1000}


def _ip(text: str) -> tuple[int, int]:
    address = ipaddress.ip_address(text)
    return (address.version, int(address))


def _endpoint(text: str) -> tuple[int, tuple[int, int], str]:
    """Link ends: IP addresses numerically, then MAC addresses as text."""
    try:
        return (0, _ip(text), "")
    except ValueError:
        return (1, (0, 0), text)


def _address_order(asset: Asset) -> tuple[Any, ...]:
    """Lowest IP first (numerically), then MAC-only assets by MAC, then id."""
    if asset.ips:
        return (0, min(_ip(i) for i in asset.ips), "", asset.id)
    return (1, (0, 0), min(asset.macs, default=""), asset.id)


def _in(ips: list[str], cidr: str) -> bool:
    return any(ipaddress.ip_address(i) in ipaddress.ip_network(cidr) for i in ips)


def _open_alerts(store: Store, addresses: set[str]) -> list[str]:
    """Severities of the open or acknowledged alerts naming one of ``addresses``."""
    return [
        a.data["severity"]
        for a in store.alerts(status=("open", "acknowledged"))
        if addresses & set(a.data["subjects"])
    ]


def _rows(api: Api, **params: Any) -> list[dict[str, Any]]:
    page = api.get("/assets", **{**ALL, **params})
    assert page["total"] == len(page["items"])
    items: list[dict[str, Any]] = page["items"]
    return items


def _ids(api: Api, **params: Any) -> list[str]:
    return [r["id"] for r in _rows(api, **params)]


def test_the_asset_list_is_the_stored_inventory(shared_api: Api) -> None:
    inventory = shared_api.store.load_inventory()
    plant = build_plant_map(inventory, shared_api.store.load_plant_config())
    health = {h.asset_ip: h.state for h in shared_api.store.health()}
    rows = _rows(shared_api)
    ordered = sorted(inventory.assets.values(), key=_address_order)
    assert [r["id"] for r in rows] == [a.id for a in ordered]
    assert len(rows) > 40
    for row in rows:
        asset = inventory.assets[row["id"]]
        assert row["ips"] == sorted(asset.ips, key=_ip)
        assert row["macs"] == sorted(asset.macs)
        assert row["role"] == asset.role.value
        assert row["protocols"] == sorted({s.name for s in asset.services})
        assert row["vendor"] == vendor_of(asset)[0]
        for name in ("model", "firmware", "serial"):
            value = asset.value(name)
            assert row[name] == (None if value is None else str(value))
        assert (row["first_seen"], row["last_seen"]) == (asset.first_seen, asset.last_seen)
        if _in(row["ips"], CELL):
            assert (row["zone"], row["level"]) == ("cell", "1")  # the declared zone's level
        elif _in(row["ips"], LAB):
            assert row["zone"] == "lab"
        else:
            member = plant.membership.get(asset.id)
            assert row["zone"] == (member.zone if member else None)
        severities = _open_alerts(shared_api.store, set(asset.ips) | set(asset.macs))
        assert row["open_alerts"] == len(severities)
        assert row["worst_alert"] == max(severities, key=SEVERITY.index, default=None)
        assert row["health"] == next((health[i] for i in row["ips"] if i in health), None)
        if _in(row["ips"], "141.81.0.0/28"):
            assert "/".join(PROCESS) in row["processes"]
    assert {r["health"] for r in rows} >= {"up", "down"}
    assert any(r["open_alerts"] for r in rows)


FIELDS: dict[str, Callable[[dict[str, Any]], list[str | None]]] = {
    "role": lambda r: [r["role"]],
    "vendor": lambda r: [r["vendor"]],
    "model": lambda r: [r["model"]],
    "level": lambda r: [r["level"]],
    "zone": lambda r: [r["zone"]],
    "process": lambda r: r["processes"],
    "protocol": lambda r: r["protocols"],
    "health": lambda r: [r["health"]],
}
"""Each exact-match filter and the row values it looks at."""


def test_each_filter_agrees_with_an_independent_filter(shared_api: Api) -> None:
    rows = _rows(shared_api)
    facets = shared_api.get("/assets/facets")
    for name, values_of in FIELDS.items():
        values = sorted({v for r in rows for v in values_of(r) if v})
        assert values, name
        if name in facets:
            assert facets[name] == values
        for value in values:
            expected = [r["id"] for r in rows if value in values_of(r)]
            assert _ids(shared_api, **{name: value}) == expected, (name, value)
            assert _ids(shared_api, **{name: value.upper()}) == expected, (name, value)  # any case
        assert _ids(shared_api, **{name: "no-such-value"}) == []
    for alerted in (True, False):
        expected = [r["id"] for r in rows if (r["open_alerts"] > 0) is alerted]
        assert _ids(shared_api, alerted=str(alerted).lower()) == expected
    combined = {"zone": "cell", "protocol": "modbus", "role": "plc"}
    expected = [r["id"] for r in rows if all(v in FIELDS[k](r) for k, v in combined.items())]
    assert expected and _ids(shared_api, **combined) == expected


SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "address": lambda r: 0,  # the list's own order; stable sorts keep it
    "name": lambda r: r["name"].lower(),
    "role": lambda r: r["role"].lower(),
    "vendor": lambda r: (r["vendor"] or "").lower(),
    "model": lambda r: (r["model"] or "").lower(),
    "firmware": lambda r: (r["firmware"] or "").lower(),
    "level": lambda r: r["level"] or "",
    "zone": lambda r: (r["zone"] or "").lower(),
    "last_seen": lambda r: r["last_seen"],
    "first_seen": lambda r: r["first_seen"],
    "alerts": lambda r: (
        SEVERITY.index(r["worst_alert"]) if r["worst_alert"] else -1,
        r["open_alerts"],
    ),
}
"""Each sort and its key: ties keep address order; descending is the reverse of ascending."""


def test_sorting_by_each_column_both_ways(shared_api: Api) -> None:
    document = shared_api.client.get("/api/v1/openapi.json").json()
    (parameter,) = (
        p for p in document["paths"]["/api/v1/assets"]["get"]["parameters"] if p["name"] == "sort"
    )
    assert set(parameter["schema"]["enum"]) == set(SORT_KEYS)  # a new sort needs a key here
    rows = _rows(shared_api)
    for sort, key in SORT_KEYS.items():
        ascending = [r["id"] for r in sorted(rows, key=key)]
        assert _ids(shared_api, sort=sort) == ascending, sort
        assert _ids(shared_api, sort=sort, order="desc") == ascending[::-1], sort
    in_cell = [r for r in rows if r["zone"] == "cell"]
    expected = [r["id"] for r in sorted(in_cell, key=SORT_KEYS["vendor"])][::-1]
    assert _ids(shared_api, zone="cell", sort="vendor", order="desc") == expected


def test_pages_cover_the_list_once_in_order(shared_api: Api) -> None:
    everything = _ids(shared_api, sort="name")
    seen: list[str] = []
    for offset in range(0, len(everything) + 7, 7):
        page = shared_api.get("/assets", sort="name", offset=offset, limit=7)
        assert (page["total"], page["offset"], page["limit"]) == (len(everything), offset, 7)
        assert len(page["items"]) == min(7, max(0, len(everything) - offset))
        seen += [r["id"] for r in page["items"]]
    assert seen == everything
    default = shared_api.get("/assets")
    assert default["limit"] == 100 and default["offset"] == 0


def _matches(row: dict[str, Any], words: list[str]) -> bool:
    """Every word is part of some field of the row (case-insensitive)."""
    fields = [row["id"], row["name"], row["role"], row["vendor"], row["model"], row["firmware"],
              row["serial"], row["zone"], *row["ips"], *row["macs"], *row["protocols"],
              *row["processes"]]  # fmt: skip
    texts = [f.lower() for f in fields if f]
    return all(any(w.lower() in t for t in texts) for w in words)


def test_search_finds_every_word_somewhere(shared_api: Api) -> None:
    rows = _rows(shared_api)
    s7 = next(r for r in rows if r["firmware"] and r["serial"])
    vendor = next(r["vendor"] for r in rows if r["vendor"])
    mac = rows[0]["macs"][0]
    queries = [
        vendor.split()[0][:5],
        "141.81.0.1",
        mac.upper()[:8],
        "PLC modbus",
        f"{s7['serial']}",
        f"{s7['firmware']} lab",
        "cell " + "/".join(PROCESS),
        "scada",
        "no-such-word",
    ]
    for q in queries:
        expected = [r["id"] for r in rows if _matches(r, q.split())]
        assert _ids(shared_api, q=q) == expected, q
    assert _ids(shared_api, q="modbus") and _ids(shared_api, q="no-such-word") == []
    assert _ids(shared_api, q="modbus", zone="lab") == [
        r["id"] for r in rows if _matches(r, ["modbus"]) and r["zone"] == "lab"
    ]


def test_bad_list_parameters_are_refused(shared_api: Api) -> None:
    for params in (
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
        {"sort": "colour"},
        {"order": "up"},
        {"alerted": "perhaps"},
        {"q": "x" * 201},
    ):
        response = shared_api.call("GET", "/assets", params=params)
        assert response.status_code == 422, params


def test_one_asset_by_id_address_or_mac(shared_api: Api) -> None:
    inventory = shared_api.store.load_inventory()
    rows = {r["id"]: r for r in _rows(shared_api)}
    plc = next(a for a in inventory.assets.values() if _in(list(a.ips), LAB) and a.role == "plc")
    (ip,) = plc.ips
    (mac,) = plc.macs
    doc = shared_api.get(f"/assets/{plc.id}")
    assert shared_api.get(f"/assets/{ip}") == doc
    assert shared_api.get(f"/assets/{mac.upper()}")["id"] == plc.id
    assert doc["summary"] == rows[plc.id]
    assert doc["ips"] == [ip] and doc["role"] == "plc"
    assert (
        doc["placement"]["zone"] == "lab" and "134.217.61.0/24" in doc["placement"]["zone_reason"]
    )
    assert doc["placement"]["level"] == rows[plc.id]["level"]
    expected_links = {
        (lk.client, lk.server, lk.protocol, lk.port)
        for lk in inventory.links.values()
        if {lk.client, lk.server} & {ip, mac}
    }
    assert {(lk["client"], lk["server"], lk["protocol"], lk["port"]) for lk in doc["links"]} == (
        expected_links
    )
    expected_alerts = [
        a.id for a in shared_api.store.alerts() if {ip, mac} & set(a.data["subjects"])
    ]
    assert [a["id"] for a in doc["alerts"]] == expected_alerts and expected_alerts
    assert doc["vulnerabilities"] == []  # no advisories imported
    serial = plc.value("serial")
    assert serial is not None and doc["serial"] == serial
    assert doc["fields"]["serial"][0]["evidence"]["packet"] >= 1
    missing = shared_api.call("GET", "/assets/10.99.99.99")
    assert missing.status_code == 404


def test_a_polled_asset_shows_its_health_and_changes(shared_api: Api) -> None:
    (down,) = [h for h in shared_api.store.health() if h.state == "down"]
    doc = shared_api.get(f"/assets/{down.asset_ip}")
    assert doc["health"]["state"] == "down"
    assert [(c["address"], c["state"]) for c in doc["health_changes"]] == [(down.asset_ip, "down")]
    assert doc["summary"]["health"] == "down"


def test_links_all_of_one_asset_and_of_one_protocol(shared_api: Api) -> None:
    inventory = shared_api.store.load_inventory()
    everything = shared_api.get("/links", limit=1000)
    assert everything["total"] == len(inventory.links) == len(everything["items"])
    keys = [(lk["client"], lk["server"], lk["protocol"], lk["port"]) for lk in everything["items"]]
    assert set(keys) == {
        (lk.client, lk.server, lk.protocol, lk.port) for lk in inventory.links.values()
    }
    assert keys == sorted(keys, key=lambda k: (_endpoint(k[0]), _endpoint(k[1]), k[2], k[3]))
    for protocol in {lk.protocol for lk in inventory.links.values()}:
        found = shared_api.get("/links", protocol=protocol, limit=1000)
        assert found["total"] == sum(lk.protocol == protocol for lk in inventory.links.values())
    scada = max(inventory.assets.values(), key=lambda a: len(a.services))
    addresses = set(scada.ips) | set(scada.macs)
    mine = shared_api.get("/links", asset=scada.id, limit=1000)
    assert mine["total"] == sum(
        bool({lk.client, lk.server} & addresses) for lk in inventory.links.values()
    )
    page = shared_api.get("/links", offset=3, limit=5)
    assert page["items"] == everything["items"][3:8]
    assert shared_api.call("GET", "/links", params={"asset": "nowhere"}).status_code == 404


def test_the_list_follows_changes_in_the_store(api: Api) -> None:
    """Alerts and health are laid over the catalog it has; the plant file rebuilds it."""
    cache = api.app.state.console.catalog
    rows = {r["id"]: r for r in _rows(api)}
    built = cache.get()
    alerted = next(r for r in rows.values() if r["open_alerts"])
    for alert in api.store.alerts(status=("open", "acknowledged")):
        if set(alert.data["subjects"]) & set(alerted["ips"]):
            api.store.set_alert_status(alert.id, "closed", "someone", 2.0)
    after = {r["id"]: r for r in _rows(api)}
    assert (after[alerted["id"]]["open_alerts"], after[alerted["id"]]["worst_alert"]) == (0, None)
    assert alerted["id"] not in _ids(api, alerted="true")
    polled = next(r for r in rows.values() if r["health"] == "up")
    api.store.record_health(
        [DeviceHealth(T0 + 20, polled["ips"][0], "degraded", 10, 3, 0, 9.0, T0 + 20,
                      Evidence("poll", "api-tests"), "modbus")]
    )  # fmt: skip
    assert _ids(api, health="degraded") == [polled["id"]]
    assert cache.get() is not built and cache.get().inventory is built.inventory  # not rebuilt
    api.store.save_plant_config(PlantConfig(zones=[ZoneSpec("everything", subnets=["0.0.0.0/0"])]))
    zones = {r["zone"] for r in _rows(api) if r["ips"]}
    assert zones == {"everything"}
    assert api.get("/assets/facets")["process"] == []
    assert _ids(api, health="degraded") == [polled["id"]]
    assert cache.get().inventory is not built.inventory


ADVISORIES = PCAPS.parent / "advisories" / "csaf"
"""The shared CISA advisories (CSAF)."""


def test_an_asset_shows_the_advisories_that_match_it(api: Api) -> None:
    """What ``otm vulns`` finds for the asset (the service, asking the database), the
    detail shows from the console's parsed advisories; importing more is seen at once."""
    inventory = api.store.load_inventory()
    plc = next(a for a in inventory.assets.values() if _in(list(a.ips), LAB) and a.role == "plc")
    assert api.get(f"/assets/{plc.id}")["vulnerabilities"] == []
    paths = sorted(ADVISORIES.glob("*.json"))
    vuln_service.import_paths(api.store, paths, T0)
    expected = [
        vuln_service.match_doc(m) for m in vuln_service.find_matches(api.store, plc.id).matches
    ]
    doc = api.get(f"/assets/{plc.id}")
    assert doc["vulnerabilities"] == expected and expected
    assert "vulnerabilities_error" not in doc
