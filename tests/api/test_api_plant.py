"""``/api/v1/summary``, ``/topology``, ``/health`` and ``/zones`` over analysed shared
captures, on SQLite and PostgreSQL: counts, the graph and its filters, health, zones,
each against what the store holds."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from api_support import HEALTH_STATES, PROCESS, Api, cheap_hashing, shared_api, template

__all__ = ["cheap_hashing", "shared_api", "template"]


def _rows(api: Api) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in api.get("/assets", limit=1000)["items"]}


def _edges(api: Api) -> dict[tuple[str, str], set[str]]:
    """Client asset -> server asset with their protocols, from the stored links."""
    inventory = api.store.load_inventory()
    owner = {
        address: asset.id
        for asset in inventory.assets.values()
        for address in (*asset.ips, *asset.macs)
    }
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for link in inventory.links.values():
        client, server = owner.get(link.client), owner.get(link.server)
        if client is not None and server is not None and client != server:
            edges[client, server].add(link.protocol)
    return edges


def test_summary_counts_what_the_store_holds(shared_api: Api) -> None:
    api = shared_api
    inventory = api.store.load_inventory()
    doc = api.get("/summary")
    assert (doc["assets"], doc["links"]) == (len(inventory.assets), len(inventory.links))
    assert doc["counts"]["role"] == dict(Counter(a.role.value for a in inventory.assets.values()))
    rows = _rows(api).values()
    assert doc["counts"]["zone"] == dict(Counter(r["zone"] or "none" for r in rows))
    assert doc["counts"]["health"] == dict(Counter(r["health"] or "not polled" for r in rows))
    open_alerts = api.store.alerts(status=("open", "acknowledged"))
    for severity, count in doc["open_alerts"].items():
        assert count == sum(a.data["severity"] == severity for a in open_alerts)
    latest = sorted(open_alerts, key=lambda a: -a.data["last_seen"])[:10]
    assert [a["id"] for a in doc["latest_alerts"]] == [a.id for a in latest]
    assert [s["ref"] for s in doc["sources"]] == [s.ref for s in api.store.sources()]
    assert sorted(c["state"] for c in doc["health_changes"]) == sorted(HEALTH_STATES)


def test_the_whole_graph_is_the_assets_and_their_links(shared_api: Api) -> None:
    api = shared_api
    rows = _rows(api)
    graph = api.get("/topology")
    assert {n["id"] for n in graph["nodes"]} == set(rows)
    expected = _edges(api)
    edges = {(e["source"], e["target"]): set(e["protocols"]) for e in graph["edges"]}
    assert edges == expected
    for node in graph["nodes"]:
        row = rows[node["id"]]
        assert (node["role"], node["level"], node["zone"], node["ips"]) == (
            row["role"],
            row["level"],
            row["zone"],
            row["ips"],
        )
        assert 0 < node["x"] < 1 and 0 < node["y"] < 1
    # Rows of the map by Purdue level: a lower level is drawn lower (greater y).
    y_of = defaultdict(set)
    for node in graph["nodes"]:
        y_of[node["level"]].add(node["y"])
    placed = sorted((float(level), ys) for level, ys in y_of.items() if level is not None)
    assert all(len(ys) == 1 for _, ys in placed)
    ys = [min(row) for _, row in placed]
    assert len(ys) > 1 and ys == sorted(ys, reverse=True)


def test_topology_filters_keep_their_nodes_and_the_edges_between_them(shared_api: Api) -> None:
    api = shared_api
    rows = _rows(api)
    expected = _edges(api)
    process = "/".join(PROCESS)
    cases: list[tuple[dict[str, str], set[str]]] = [
        ({"zone": "cell"}, {i for i, r in rows.items() if r["zone"] == "cell"}),
        ({"zone": "lab"}, {i for i, r in rows.items() if r["zone"] == "lab"}),
        ({"level": "1"}, {i for i, r in rows.items() if r["level"] == "1"}),
        ({"process": process}, {i for i, r in rows.items() if process in r["processes"]}),
        ({"zone": "cell", "level": "2"}, set()),
        ({"zone": "nowhere"}, set()),
    ]
    for params, nodes in cases:
        graph = api.get("/topology", **params)
        assert {n["id"] for n in graph["nodes"]} == nodes, params
        kept = {(e["source"], e["target"]) for e in graph["edges"]}
        assert kept == {k for k in expected if k[0] in nodes and k[1] in nodes}, params
    assert cases[0][1] and cases[2][1] and cases[3][1]


def test_topology_of_one_asset_is_it_and_its_neighbours(shared_api: Api) -> None:
    api = shared_api
    expected = _edges(api)
    hub = Counter(k[0] for k in expected).most_common(1)[0][0]
    neighbours = {hub} | {b for a, b in expected if a == hub} | {a for a, b in expected if b == hub}
    for ref in (hub, _rows(api)[hub]["ips"][0]):
        graph = api.get("/topology", asset=ref)
        assert {n["id"] for n in graph["nodes"]} == neighbours
    assert len(neighbours) > 10
    alone = next(i for i in _rows(api) if not any(i in k for k in expected))
    assert [n["id"] for n in api.get("/topology", asset=alone)["nodes"]] == [alone]
    assert api.get("/topology", asset="10.99.99.99") == {"nodes": [], "edges": []}


def test_health_lists_the_polled_devices(shared_api: Api) -> None:
    api = shared_api
    doc = api.get("/health")
    stored = api.store.health()
    assert [(d["address"], d["state"]) for d in doc["devices"]] == [
        (h.asset_ip, h.state) for h in stored
    ]
    assert sorted(d["state"] for d in doc["devices"]) == sorted(HEALTH_STATES)
    assert {c["address"] for c in doc["changes"]} == {h.asset_ip for h in stored}


def test_zones_declared_and_inferred_with_their_members(shared_api: Api) -> None:
    api = shared_api
    doc = api.get("/zones")
    members = Counter(r["zone"] for r in _rows(api).values() if r["zone"])
    assert {z["name"]: z["assets"] for z in doc["zones"]} == {
        **dict.fromkeys((z["name"] for z in doc["zones"]), 0),
        **members,
    }
    sources = {z["name"]: z["source"] for z in doc["zones"]}
    assert sources["cell"] == sources["lab"] == "declared"
    assert next(z for z in doc["zones"] if z["name"] == "cell")["level"] == "1"
    for conduit in doc["conduits"]:
        assert {conduit["from"], conduit["to"]} <= set(sources)
