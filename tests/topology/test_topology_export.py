"""GraphML and Cytoscape JSON exports: read back, every attribute where Gephi/yEd/Cytoscape look."""

from __future__ import annotations

import io
import json

import networkx as nx

from maps_support import EWS, HIST, HMI, IO, LINE3, PLC, line3_plant
from otm.model.plant import PlantMap
from otm.topology.export import strongest_category, to_graphml, to_json


def _ids() -> dict[str, str]:
    inv, _, _ = line3_plant()
    return {ip: inv.find(ip).id for ip in (HIST, HMI, EWS, PLC, IO)}  # type: ignore[union-attr]


def test_graphml_reads_back_with_levels_zones_processes_and_edge_facts() -> None:
    _, graph, plant = line3_plant()
    ids = _ids()
    back = nx.read_graphml(io.StringIO(to_graphml(graph, plant)))
    assert set(back.nodes) == set(graph.nodes) and back.is_directed()
    plc = back.nodes[ids[PLC]]
    assert (plc["name"], plc["level"], plc["zone"], plc["role"]) == (
        "PLC-3", "1", "control-line3", graph.nodes[ids[PLC]]["role"],
    )  # fmt: skip
    assert plc["processes"] == LINE3 and plc["level_rank"] == 1.0
    assert back.nodes[ids[HIST]]["level_source"] == "declared"
    assert back.nodes[ids[IO]]["processes"] == LINE3
    assert back.nodes[ids[EWS]]["processes"] == ""
    edge = back.edges[ids[HMI], ids[PLC]]
    assert edge["protocols"] == "modbus"
    assert edge["categories"] == "read=50, write=2"
    assert edge["strongest"] == "write" and edge["weight"] == 4.0
    assert edge["conduit"] is False and edge["level_skip"] is False
    skip = back.edges[ids[HIST], ids[PLC]]
    assert skip["conduit"] is True and skip["level_skip"] is True
    assert back.edges[ids[EWS], ids[PLC]]["strongest"] == "program"
    assert set(back.edges) == set(graph.edges)


def test_json_is_cytoscape_elements_with_the_same_facts() -> None:
    _, graph, plant = line3_plant()
    ids = _ids()
    doc = json.loads(json.dumps(to_json(graph, plant)))
    assert doc["schema"] == "otm.graph/1"
    nodes = {n["data"]["id"]: n["data"] for n in doc["elements"]["nodes"]}
    edges = [e["data"] for e in doc["elements"]["edges"]]
    assert set(nodes) == set(graph.nodes)
    assert all(e["source"] in nodes and e["target"] in nodes for e in edges)
    assert len({e["id"] for e in edges}) == len(edges) == graph.number_of_edges()
    plc = nodes[ids[PLC]]
    assert plc["processes"] == [{"process": LINE3, "source": "declared", "reason": "name:PLC-3"}]
    assert nodes[ids[HMI]]["processes"][0]["source"] == "inferred"
    assert (plc["level"], plc["zone"], plc["name"]) == ("1", "control-line3", "PLC-3")
    hmi_plc = next(e for e in edges if (e["source"], e["target"]) == (ids[HMI], ids[PLC]))
    assert hmi_plc["protocols"] == ["modbus"]
    assert hmi_plc["categories"] == {"read": 50, "write": 2}
    assert hmi_plc["weight"] == 4.0 and hmi_plc["first_seen"].endswith("Z")
    data = doc["data"]
    assert {z["name"] for z in data["zones"]} == {"enterprise", "operations", "control-line3"}
    control = next(z for z in data["zones"] if z["name"] == "control-line3")
    assert len(control["members"]) == 4
    assert {(c["from"], c["to"]) for c in data["conduits"]} == {
        ("operations", "control-line3"),
        ("enterprise", "operations"),
    }
    assert data["level_skips"][0]["client_level"] == "3"
    assert data["processes"] == [{"path": LINE3, "kind": "line", "criticality": 5}]


def test_an_empty_plant_map_still_exports_every_asset() -> None:
    """Before any configuration or inference: nodes carry empty level and zone."""
    _, graph, _ = line3_plant()
    back = nx.read_graphml(io.StringIO(to_graphml(graph, PlantMap())))
    assert set(back.nodes) == set(graph.nodes)
    assert {d["level"] for _, d in back.nodes(data=True)} == {""}
    doc = to_json(graph, PlantMap())
    assert len(doc["elements"]["nodes"]) == graph.number_of_nodes()


def test_exports_are_deterministic() -> None:
    _, graph, plant = line3_plant()
    assert to_graphml(graph, plant) == to_graphml(graph, plant)
    assert json.dumps(to_json(graph, plant)) == json.dumps(to_json(graph, plant))


def test_strongest_category_weighs_then_counts() -> None:
    assert strongest_category({}) == "traffic"
    assert strongest_category({"read": 0}) == "traffic"
    assert strongest_category({"read": 900, "write": 1}) == "write"
    assert strongest_category({"program": 1, "control": 9}) == "program"
    assert strongest_category({"session": 1, "diagnostic": 5}) == "diagnostic"
