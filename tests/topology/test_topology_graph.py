"""The communication graph: one edge per (client, server) pair, weighted by what it carries."""

from __future__ import annotations

from pathlib import Path

from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.model.plant import Level, Selector
from otm.observations.records import AssetSeen, Communication, Evidence, Operation, Transport
from otm.sensing.engine import PassiveEngine
from otm.topology.graph import CATEGORY_WEIGHTS, build_graph, display_name, edge_weight, subnets

EV = Evidence("capture", "t.pcap", 1, "test")
HMI, PLC, IO = "10.1.3.20", "10.1.3.5", "10.1.3.40"
MACS = {HMI: "02:00:00:00:00:20", PLC: "00:1b:1b:00:00:05", IO: "00:1b:1b:00:00:40"}


def _link(client: str, server: str, protocol: str, port: int, ops: dict[str, tuple[str, int]]
          ) -> list[object]:  # fmt: skip
    out: list[object] = [
        Communication(
            1.0,
            9.0,
            client,
            server,
            MACS[client],
            MACS[server],
            protocol,
            Transport.TCP,
            port,
            100,
            6400,
            EV,
        )
    ]
    for name, (category, count) in ops.items():
        out.append(Operation(1.0, 9.0, client, server, protocol, name, category, count, EV,
                             Transport.TCP, port))  # fmt: skip
    return out


def plant() -> Inventory:
    obs: list[object] = [AssetSeen(1.0, MACS[ip], ip, EV) for ip in (HMI, PLC, IO)]
    obs += _link(HMI, PLC, "s7comm", 102, {"read_var": ("read", 90), "write_var": ("write", 2)})
    obs += _link(HMI, PLC, "modbus", 502, {"read_holding_registers": ("read", 10)})
    obs += _link(PLC, IO, "enip", 44818, {"set_attribute_single": ("write", 5)})
    return build_inventory(obs)  # type: ignore[arg-type]


def test_links_between_two_assets_are_one_edge_with_everything_they_carry() -> None:
    inv = plant()
    graph = build_graph(inv)
    hmi, plc, io = (inv.find(ip).id for ip in (HMI, PLC, IO))  # type: ignore[union-attr]
    assert set(graph.edges) == {(hmi, plc), (plc, io)}
    edge = graph.edges[hmi, plc]
    assert edge["protocols"] == {"s7comm", "modbus"}
    assert edge["ports"] == {"tcp/102", "tcp/502"}
    assert edge["categories"] == {"read": 100, "write": 2}
    assert edge["packets"] == 200 and len(edge["links"]) == 2
    assert edge["weight"] == CATEGORY_WEIGHTS["write"]
    assert graph.nodes[plc]["ips"] == [PLC] and graph.nodes[plc]["name"] == PLC


def test_weights_order_program_control_write_read() -> None:
    assert edge_weight({"program": 1, "read": 99}) > edge_weight({"control": 1})
    assert edge_weight({"control": 1}) > edge_weight({"write": 1}) > edge_weight({"read": 5})
    assert edge_weight({}) == edge_weight({"other": 3})


def test_names_and_subnets() -> None:
    inv = plant()
    nets = subnets(inv)
    assert set(nets) == {"10.1.3.0/24"} and len(nets["10.1.3.0/24"].assets) == 3
    graph = build_graph(inv, names={inv.find(PLC).id: "PLC-3"})  # type: ignore[union-attr]
    assert graph.nodes[inv.find(PLC).id]["name"] == "PLC-3"  # type: ignore[union-attr]
    assert display_name(inv.find(HMI)) == HMI  # type: ignore[arg-type]


def test_selectors_name_assets_by_their_shape() -> None:
    inv = plant()
    plc = inv.find(PLC)
    assert plc is not None
    assert Selector.parse(PLC) == Selector("ip", PLC)
    assert Selector.parse("10.1.3.0/24").matches(plc, None)
    assert Selector.parse(MACS[PLC].upper()).matches(plc, None)
    assert Selector.parse("PLC-*").matches(plc, "plc-3")
    assert not Selector.parse("name:PLC-4").matches(plc, "PLC-3")
    assert Selector.parse("role:io-module").kind == "role"
    assert Level("3.5").rank == 3.5 and Level.PROCESS.rank < Level.BASIC_CONTROL.rank


def test_graph_of_a_shared_capture_has_an_edge_per_industrial_pair(pcaps: Path) -> None:
    with open_capture(pcaps / "mb2.pcap") as reader:
        inv = build_inventory(PassiveEngine(ref="mb2").run(reader).observations)
    graph = build_graph(inv)
    pairs = {(link.client, link.server) for link in inv.links.values() if link.protocol == "s7comm"}
    ips = {n: set(d["ips"]) for n, d in graph.nodes(data=True)}
    for client, server in pairs:
        assert any(
            client in ips[a] and server in ips[b] and "s7comm" in graph.edges[a, b]["protocols"]
            for a, b in graph.edges
        )
