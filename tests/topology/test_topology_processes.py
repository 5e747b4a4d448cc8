"""Process attachments: declared by selectors, inferred by traffic, one rule a test.

Each plant is a handful of assets and links built straight into an
``Inventory`` (ids differ from names, so the tests see which one an answer
uses), turned into the communication graph by the real ``build_graph``.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import PCAPS
from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.model.assets import Asset, Inventory, Link, Role
from otm.model.plant import Attachment, PlantConfig, ProcessSpec, Selector, Source
from otm.sensing.engine import PassiveEngine
from otm.topology.graph import build_graph, display_name
from otm.topology.processes import FEW_PACKETS, SWEEP_PROCESSES, attach

LINE3 = "Acme/Plant1/Packaging/Line3"
LINE4 = "Acme/Plant1/Packaging/Line4"

Hosts = dict[str, tuple[Role, str]]
Talk = tuple[str, str, str, dict[str, int], int]


def build(hosts: Hosts, talks: list[Talk]) -> tuple[Inventory, nx.DiGraph, dict[str, str]]:
    """Hosts ``name -> (role, ip)`` with id ``a-<name>``; talks (client, server,
    protocol, {category: count}, packets)."""
    inv = Inventory()
    ips = {}
    for name, (role, ip) in hosts.items():
        inv.assets[f"a-{name}"] = Asset(f"a-{name}", ips={ip}, role=role)
        ips[name] = ip
    for port, (client, server, protocol, cats, packets) in enumerate(talks, start=1000):
        link = Link(ips[client], ips[server], protocol, "tcp", port, packets=packets)
        link.categories = dict(cats)
        link.operations = {f"{c}_op": n for c, n in cats.items()}
        inv.links[link.key] = link
    names = {f"a-{n}": n for n in hosts}
    return inv, build_graph(inv, names), names


def process(path: str, *selectors: str, criticality: int = 3) -> ProcessSpec:
    return ProcessSpec(tuple(path.split("/")), criticality, [Selector.parse(s) for s in selectors])


def run(
    hosts: Hosts,
    talks: list[Talk],
    *processes: ProcessSpec,
    tags: dict[str, frozenset[str]] | None = None,
) -> list[Attachment]:
    inv, graph, names = build(hosts, talks)
    return attach(inv, graph, PlantConfig(processes=list(processes)), names, tags or {})


def pairs(attachments: list[Attachment]) -> set[tuple[str, str, Source]]:
    """(asset name, process, source) of each attachment."""
    return {(a.asset.removeprefix("a-"), a.process, a.source) for a in attachments}


def find(attachments: list[Attachment], asset: str, proc: str) -> Attachment:
    (hit,) = [a for a in attachments if a.asset == f"a-{asset}" and a.process == proc]
    return hit


POLL = {"read": 300, "write": 12}
"""An HMI's everyday traffic with its PLC."""

LINE = {
    "PLC-3": (Role.PLC, "10.1.3.5"),
    "HMI-3": (Role.HMI, "10.1.3.20"),
    "RIO-1": (Role.IO_MODULE, "10.1.3.40"),
}


# -- declared ---------------------------------------------------------------------


def test_declared_by_each_selector_kind_reason_names_the_selector() -> None:
    hosts: Hosts = {
        "PLC-3": (Role.PLC, "10.1.3.5"),
        "RIO-1": (Role.IO_MODULE, "10.1.3.40"),
        "RIO-2": (Role.IO_MODULE, "10.1.3.41"),
        "VFD-7": (Role.UNKNOWN, "10.1.4.7"),
        "SW-1": (Role.NETWORK_DEVICE, "10.1.9.1"),
        "OTHER": (Role.IT_HOST, "10.9.0.1"),
    }
    procs = (
        process(LINE3, "name:plc-3", "pattern:RIO-*", "ip:10.1.3.41"),
        process(LINE4, "cidr:10.1.4.0/24", "tag:line4", "role:network-device", "id:a-OTHER"),
    )
    got = run(hosts, [], *procs, tags={"a-SW-1": frozenset({"line4"})})
    assert {(a.asset, a.process, a.reason) for a in got} == {
        ("a-PLC-3", LINE3, "selector name:plc-3"),
        ("a-RIO-1", LINE3, "selector pattern:RIO-*"),
        ("a-RIO-2", LINE3, "selector pattern:RIO-*"),  # first selector naming it wins
        ("a-VFD-7", LINE4, "selector cidr:10.1.4.0/24"),
        ("a-SW-1", LINE4, "selector tag:line4"),
        ("a-OTHER", LINE4, "selector id:a-OTHER"),
    }
    assert all(a.source is Source.DECLARED and a.via == () for a in got)


def test_declared_attachment_wins_over_inference_for_the_same_process() -> None:
    got = run(LINE, [("HMI-3", "PLC-3", "modbus", POLL, 500)], process(LINE3, "PLC-3", "HMI-3"))
    assert pairs(got) == {("PLC-3", LINE3, Source.DECLARED), ("HMI-3", LINE3, Source.DECLARED)}


def test_cidr_selectors_for_ipv4_and_ipv6_and_a_bad_network() -> None:
    hosts: Hosts = {
        "PLC-3": (Role.PLC, "10.1.3.5"),
        "PLC-6": (Role.PLC, "fd00:1:3::5"),
        "EDGE": (Role.PLC, "10.1.4.0"),
    }
    procs = (
        process(LINE3, "cidr:10.1.3.0/24", "cidr:fd00:1:3::/64", "cidr:not-a-net"),
        process(LINE4, "cidr:10.1.3.5/32", "cidr:10.1.4.0/31"),
    )
    assert pairs(run(hosts, [], *procs)) == {
        ("PLC-3", LINE3, Source.DECLARED),
        ("PLC-6", LINE3, Source.DECLARED),
        ("PLC-3", LINE4, Source.DECLARED),
        ("EDGE", LINE4, Source.DECLARED),
    }


SELECTOR_TEXTS = st.one_of(
    st.builds(lambda n: f"ip:10.0.0.{n}", st.integers(0, 20)),
    st.builds(lambda n, m: f"cidr:10.0.0.{n}/{m}", st.integers(0, 20), st.integers(24, 32)),
    st.builds(lambda n: f"name:host-{n}", st.integers(0, 20)),
    st.builds(lambda n: f"pattern:host-{n}*", st.integers(0, 3)),
    st.builds(lambda n: f"mac:02:00:00:00:00:{n:02x}", st.integers(0, 20)),
    st.builds(lambda n: f"tag:t{n}", st.integers(0, 3)),
    st.builds(lambda n: f"id:a-host-{n}", st.integers(0, 20)),
    st.sampled_from(["role:plc", "role:hmi"]),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=1, max_size=12, unique=True),
    st.lists(SELECTOR_TEXTS, min_size=1, max_size=6),
)
def test_declared_lookup_agrees_with_selector_matches(hosts_n: list[int], texts: list[str]) -> None:
    """The indexes are only a shortcut: the answer is the brute-force ``matches`` one."""
    inv = Inventory()
    names: dict[str, str] = {}
    tags: dict[str, frozenset[str]] = {}
    for n in hosts_n:
        role = Role.PLC if n % 2 else Role.HMI
        asset = Asset(f"a-host-{n}", ips={f"10.0.0.{n}"}, macs={f"02:00:00:00:00:{n:02x}"})
        asset.role = role
        inv.assets[asset.id] = asset
        names[asset.id] = f"host-{n}"
        tags[asset.id] = frozenset({f"t{n % 4}"})
    selectors = [Selector.parse(t) for t in texts]
    proc = ProcessSpec(("A", "B", "C", "L"), 3, selectors)
    got = attach(inv, build_graph(inv, names), PlantConfig(processes=[proc]), names, tags)
    expected = {}
    for asset in inv.assets.values():
        for sel in selectors:
            if sel.matches(asset, names[asset.id], tags[asset.id]):
                expected[asset.id] = f"selector {sel}"
                break
    assert {a.asset: a.reason for a in got} == expected


def test_selector_naming_nothing_attaches_nothing() -> None:
    assert run(LINE, [], process(LINE3, "PLC-99", "ip:10.9.9.9", "mac:00:11:22:33:44:55")) == []


# -- supports: clients of a declared controller ----------------------------------


def test_hmi_polling_the_line_plc_supports_the_line() -> None:
    got = run(LINE, [("HMI-3", "PLC-3", "modbus", POLL, 500)], process(LINE3, "PLC-3"))
    hmi = find(got, "HMI-3", LINE3)
    assert hmi.source is Source.INFERRED
    assert hmi.via == ("a-HMI-3", "a-PLC-3")
    assert hmi.reason.startswith("supports: polls PLC-3 (plc, declared for the process)")
    assert "write, read over modbus, 500 packets" in hmi.reason


@pytest.mark.parametrize("role", [Role.SCADA_SERVER, Role.HISTORIAN, Role.ENGINEERING_WORKSTATION])
def test_every_supervisory_and_data_client_supports(role: Role) -> None:
    hosts = {**LINE, "X": (role, "10.1.3.30")}
    got = run(hosts, [("X", "PLC-3", "s7comm", {"read": 40}, 90)], process(LINE3, "PLC-3"))
    assert ("X", LINE3, Source.INFERRED) in pairs(got)


def test_client_of_a_declared_io_module_supports() -> None:
    got = run(LINE, [("HMI-3", "RIO-1", "modbus", {"read": 5}, 12)], process(LINE3, "RIO-1"))
    assert pairs(got) == {("RIO-1", LINE3, Source.DECLARED), ("HMI-3", LINE3, Source.INFERRED)}


def test_identify_and_diagnostic_only_client_does_not_support() -> None:
    """An asset-inventory tool asking one PLC who it is, however often."""
    hosts = {**LINE, "TOOL": (Role.IT_HOST, "10.1.3.99")}
    talks: list[Talk] = [
        ("TOOL", "PLC-3", "enip", {"identify": 400, "diagnostic": 50, "session": 3}, 2000)
    ]
    assert pairs(run(hosts, talks, process(LINE3, "PLC-3"))) == {("PLC-3", LINE3, Source.DECLARED)}


def test_scanner_that_touched_every_plc_supports_no_process() -> None:
    """The negative case of the issue: a sweep reading a little from every PLC.

    The scanner even looks like a SCADA server to the role rules (it polls
    many controllers); behaviour decides, not the role.
    """
    hosts: Hosts = {"SCAN": (Role.SCADA_SERVER, "10.1.0.66")}
    talks: list[Talk] = []
    procs = []
    for n in range(1, 6):
        hosts[f"PLC-{n}"] = (Role.PLC, f"10.1.{n}.5")
        talks.append(("SCAN", f"PLC-{n}", "modbus", {"identify": 1, "read": 2}, 8))
        procs.append(process(f"Acme/Plant1/Packaging/Line{n}", f"PLC-{n}"))
    got = run(hosts, talks, *procs)
    assert {a.asset for a in got} == {f"a-PLC-{n}" for n in range(1, 6)}
    assert all(a.source is Source.DECLARED for a in got)


def test_scada_server_polling_every_plc_supports_every_process() -> None:
    """Same breadth as the scanner, real polling: the sweeper rule must not bite."""
    hosts: Hosts = {"SCADA": (Role.SCADA_SERVER, "10.1.0.10")}
    talks: list[Talk] = []
    procs = []
    for n in range(1, 6):
        hosts[f"PLC-{n}"] = (Role.PLC, f"10.1.{n}.5")
        talks.append(("SCADA", f"PLC-{n}", "modbus", POLL, 400))
        procs.append(process(f"Acme/Plant1/Packaging/Line{n}", f"PLC-{n}"))
    got = run(hosts, talks, *procs)
    supported = {a.process for a in got if a.asset == "a-SCADA"}
    assert supported == {p.name for p in procs}


def test_sweeper_keeps_the_processes_it_really_polls() -> None:
    """A broad client supports the lines it polls heavily, not those it glanced at."""
    hosts: Hosts = {"MES": (Role.IT_HOST, "10.1.0.20")}
    talks: list[Talk] = []
    procs = []
    for n in range(1, SWEEP_PROCESSES + 2):
        hosts[f"PLC-{n}"] = (Role.PLC, f"10.1.{n}.5")
        packets = 500 if n == 1 else FEW_PACKETS - 1
        talks.append(("MES", f"PLC-{n}", "opcua", {"read": packets // 2}, packets))
        procs.append(process(f"Acme/Plant1/Packaging/Line{n}", f"PLC-{n}"))
    got = run(hosts, talks, *procs)
    assert {a.process for a in got if a.asset == "a-MES"} == {procs[0].name}


def test_light_polling_of_fewer_processes_than_a_sweep_still_supports() -> None:
    """The boundary: two lines sharing an HMI seen briefly in a short capture."""
    hosts: Hosts = {
        "HMI": (Role.HMI, "10.1.0.20"),
        "PLC-1": (Role.PLC, "10.1.1.5"),
        "PLC-2": (Role.PLC, "10.1.2.5"),
    }
    talks: list[Talk] = [
        ("HMI", "PLC-1", "modbus", {"read": 2}, 6),
        ("HMI", "PLC-2", "modbus", {"read": 2}, 6),
    ]
    got = run(hosts, talks, process(LINE3, "PLC-1"), process(LINE4, "PLC-2"))
    assert {a.process for a in got if a.asset == "a-HMI"} == {LINE3, LINE4}


def test_undecoded_traffic_supports_only_beyond_a_glance() -> None:
    hosts = {**LINE, "EWS": (Role.UNKNOWN, "10.1.3.50"), "PORTSCAN": (Role.UNKNOWN, "10.1.3.51")}
    talks: list[Talk] = [
        ("EWS", "PLC-3", "tcp-unknown", {}, FEW_PACKETS * 10),
        ("PORTSCAN", "PLC-3", "tcp-unknown", {}, 2),
    ]
    got = run(hosts, talks, process(LINE3, "PLC-3"))
    ews = find(got, "EWS", LINE3)
    assert "traffic without decoded operations" in ews.reason
    assert not any(a.asset == "a-PORTSCAN" for a in got)


@pytest.mark.parametrize("role", [Role.PLC, Role.RTU, Role.IO_MODULE, Role.NETWORK_DEVICE])
def test_controllers_and_network_devices_are_never_supporters(role: Role) -> None:
    """A PLC reading another line's PLC depends on it; it does not supervise it."""
    hosts = {**LINE, "PEER": (role, "10.1.4.5")}
    got = run(hosts, [("PEER", "PLC-3", "modbus", POLL, 900)], process(LINE3, "PLC-3"))
    assert not any(a.asset == "a-PEER" for a in got)


def test_hmi_supports_every_line_whose_plc_it_polls() -> None:
    hosts: Hosts = {
        "HMI": (Role.HMI, "10.1.0.20"),
        "PLC-3": (Role.PLC, "10.1.3.5"),
        "PLC-4": (Role.PLC, "10.1.4.5"),
    }
    talks: list[Talk] = [
        ("HMI", "PLC-3", "modbus", POLL, 400),
        ("HMI", "PLC-4", "s7comm", POLL, 400),
    ]
    got = run(hosts, talks, process(LINE3, "PLC-3"), process(LINE4, "PLC-4"))
    assert find(got, "HMI", LINE3).via == ("a-HMI", "a-PLC-3")
    assert find(got, "HMI", LINE4).via == ("a-HMI", "a-PLC-4")


# -- belongs: servers of a declared PLC, and the PLC -> I/O chain -----------------


def test_io_the_plc_reads_and_writes_belongs_to_its_process() -> None:
    got = run(LINE, [("PLC-3", "RIO-1", "modbus", {"read": 50, "write": 50}, 300)],
              process(LINE3, "PLC-3"))  # fmt: skip
    rio = find(got, "RIO-1", LINE3)
    assert rio.source is Source.INFERRED
    assert rio.via == ("a-RIO-1", "a-PLC-3")
    assert rio.reason.startswith("belongs: PLC-3 (plc, declared for the process) uses it: write")


def test_operations_the_codec_could_not_name_count_beyond_a_glance() -> None:
    """EtherNet/IP connected traffic a codec files as ``other`` is a use when it is steady."""
    hosts = {**LINE, "VFD-1": (Role.UNKNOWN, "10.1.3.45")}
    talks: list[Talk] = [
        ("PLC-3", "RIO-1", "enip", {"other": 900, "session": 1}, 1800),
        ("PLC-3", "VFD-1", "enip", {"other": 2, "session": 1}, 6),
    ]
    got = run(hosts, talks, process(LINE3, "PLC-3"))
    assert "uses it: other over enip, 1800 packets" in find(got, "RIO-1", LINE3).reason
    assert not any(a.asset == "a-VFD-1" for a in got)


def test_it_servers_the_plc_uses_do_not_belong() -> None:
    hosts = {**LINE, "NTP": (Role.IT_HOST, "10.1.0.123"), "SW": (Role.NETWORK_DEVICE, "10.1.0.1")}
    talks: list[Talk] = [
        ("PLC-3", "NTP", "ntp", {}, 400),
        ("PLC-3", "SW", "snmp", {"read": 20}, 40),
    ]
    assert pairs(run(hosts, talks, process(LINE3, "PLC-3"))) == {("PLC-3", LINE3, Source.DECLARED)}


def test_plc_discovery_of_a_device_does_not_make_it_belong() -> None:
    got = run(LINE, [("PLC-3", "RIO-1", "profinet-dcp", {"identify": 30}, 60)],
              process(LINE3, "PLC-3"))  # fmt: skip
    assert not any(a.asset == "a-RIO-1" for a in got)


def test_controller_polled_by_the_process_hmi_is_not_attached() -> None:
    """Direction matters: the HMI is declared, the PLC it polls stays out."""
    got = run(LINE, [("HMI-3", "PLC-3", "modbus", POLL, 500)], process(LINE3, "HMI-3"))
    assert pairs(got) == {("HMI-3", LINE3, Source.DECLARED)}


def test_client_of_a_declared_plc_is_not_pulled_in_by_belongs() -> None:
    """Only rule ``supports`` looks at clients; a PLC as client of the declared PLC stays out."""
    hosts = {**LINE, "PLC-4": (Role.PLC, "10.1.4.5")}
    got = run(hosts, [("PLC-4", "PLC-3", "s7comm", POLL, 300)], process(LINE3, "PLC-3"))
    assert pairs(got) == {("PLC-3", LINE3, Source.DECLARED)}


def test_sub_plc_takes_its_io_along_but_not_its_hmi() -> None:
    """PLC-3 (declared) -> PLC-3B (belongs) -> RIO-9 (chain, PLC -> I/O);
    HMI-3B polls PLC-3B: two hops from the declared asset, not attached."""
    hosts = {
        **LINE,
        "PLC-3B": (Role.PLC, "10.1.3.6"),
        "RIO-9": (Role.IO_MODULE, "10.1.3.49"),
        "VFD-9": (Role.UNKNOWN, "10.1.3.48"),
        "HMI-3B": (Role.HMI, "10.1.3.21"),
    }
    talks: list[Talk] = [
        ("PLC-3", "PLC-3B", "s7comm", {"read": 40, "write": 40}, 300),
        ("PLC-3B", "RIO-9", "profinet-io", {"write": 300}, 900),
        ("PLC-3B", "VFD-9", "modbus", {"write": 300}, 900),
        ("HMI-3B", "PLC-3B", "s7comm", POLL, 500),
    ]
    got = run(hosts, talks, process(LINE3, "PLC-3"))
    assert pairs(got) == {
        ("PLC-3", LINE3, Source.DECLARED),
        ("PLC-3B", LINE3, Source.INFERRED),
        ("RIO-9", LINE3, Source.INFERRED),
    }
    rio = find(got, "RIO-9", LINE3)
    assert rio.via == ("a-RIO-9", "a-PLC-3B", "a-PLC-3")
    assert rio.reason.startswith("chain: PLC-3B (plc, attached through PLC-3) uses this I/O")


def test_io_behind_an_io_module_does_not_chain() -> None:
    """The chain is PLC -> I/O only: an adapter's own clients stay out."""
    hosts = {**LINE, "RIO-2": (Role.IO_MODULE, "10.1.3.41")}
    talks: list[Talk] = [
        ("PLC-3", "RIO-1", "enip", {"write": 100}, 300),
        ("RIO-1", "RIO-2", "enip", {"write": 100}, 300),
    ]
    got = run(hosts, talks, process(LINE3, "PLC-3"))
    assert not any(a.asset == "a-RIO-2" for a in got)


def test_shortest_explanation_is_kept() -> None:
    """RIO-1 is both a direct server of PLC-3 and behind PLC-3B: the direct hop wins."""
    hosts = {**LINE, "PLC-3B": (Role.PLC, "10.1.3.6")}
    talks: list[Talk] = [
        ("PLC-3", "PLC-3B", "s7comm", {"write": 40}, 300),
        ("PLC-3B", "RIO-1", "modbus", {"write": 40}, 300),
        ("PLC-3", "RIO-1", "modbus", {"read": 40}, 300),
    ]
    got = run(hosts, talks, process(LINE3, "PLC-3"))
    assert find(got, "RIO-1", LINE3).via == ("a-RIO-1", "a-PLC-3")


# -- which processes anchor inference ----------------------------------------------


def test_inference_anchors_on_lines_not_on_a_declared_area() -> None:
    """The whole area is declared by subnet; only the line's PLC gives the HMI a process."""
    area = "Acme/Plant1/Packaging"
    hosts = {**LINE, "HMI-X": (Role.HMI, "10.1.9.20"), "PLC-X": (Role.PLC, "10.1.3.9")}
    talks: list[Talk] = [
        ("HMI-3", "PLC-3", "modbus", POLL, 400),
        ("HMI-X", "PLC-X", "modbus", POLL, 400),
    ]
    got = run(hosts, talks, process(area, "cidr:10.1.3.0/24"), process(LINE3, "PLC-3"))
    inferred = {(a.asset, a.process) for a in got if a.source is Source.INFERRED}
    assert inferred == {("a-HMI-3", LINE3)}


def test_inference_uses_any_kind_when_no_line_is_declared() -> None:
    area = "Acme/Plant1/Packaging"
    got = run(LINE, [("HMI-3", "PLC-3", "modbus", POLL, 400)], process(area, "PLC-3"))
    assert ("HMI-3", area, Source.INFERRED) in pairs(got)


def test_cell_and_unit_anchor_too() -> None:
    cell = LINE3 + "/Filler"
    unit = cell + "/Valve"
    hosts = {**LINE, "PLC-U": (Role.PLC, "10.1.3.7"), "HMI-U": (Role.HMI, "10.1.3.27")}
    talks: list[Talk] = [
        ("HMI-3", "PLC-3", "modbus", POLL, 400),
        ("HMI-U", "PLC-U", "modbus", POLL, 400),
    ]
    got = run(hosts, talks, process(cell, "PLC-3"), process(unit, "PLC-U"))
    assert find(got, "HMI-3", cell).source is Source.INFERRED
    assert find(got, "HMI-U", unit).source is Source.INFERRED


def test_output_order_is_process_order_declared_first_then_asset() -> None:
    hosts: Hosts = {
        "HMI": (Role.HMI, "10.1.0.20"),
        "PLC-3": (Role.PLC, "10.1.3.5"),
        "PLC-4": (Role.PLC, "10.1.4.5"),
    }
    talks: list[Talk] = [
        ("HMI", "PLC-3", "modbus", POLL, 400),
        ("HMI", "PLC-4", "modbus", POLL, 400),
    ]
    got = run(hosts, talks, process(LINE4, "PLC-4"), process(LINE3, "PLC-3"))
    assert [(a.asset, a.process) for a in got] == [
        ("a-PLC-4", LINE4),
        ("a-HMI", LINE4),
        ("a-PLC-3", LINE3),
        ("a-HMI", LINE3),
    ]


# -- the shared captures ---------------------------------------------------------------


def capture_inventory(name: str) -> tuple[Inventory, nx.DiGraph, dict[str, str]]:
    path: Path = PCAPS / name
    with open_capture(path) as reader:
        sensed = PassiveEngine(ref=path.name).run(reader, None)
    inv = build_inventory(sensed.observations)
    names = {a.id: display_name(a) for a in inv.assets.values()}
    return inv, build_graph(inv, names), names


def test_mb2_scada_server_supports_each_plc_line_and_nothing_else_is_attached() -> None:
    """mb2.pcap: 141.81.0.10 polls 29 PLCs (Modbus, S7, EtherNet/IP) with reads and
    writes; declare two of them as lines and the SCADA server supports both,
    while the IT hosts of the capture stay out."""
    inv, graph, names = capture_inventory("mb2.pcap")
    config = PlantConfig(
        processes=[
            process("Plant/Site/Area/LineA", "ip:141.81.0.146"),  # S7 PLC
            process("Plant/Site/Area/LineB", "ip:141.81.0.86"),  # Modbus PLC
        ]
    )
    got = attach(inv, graph, config, names, {})
    inferred = {
        (names[a.asset], a.process.rsplit("/", 1)[1]) for a in got if a.source == "inferred"
    }
    assert inferred == {("141.81.0.10", "LineA"), ("141.81.0.10", "LineB")}
    (a,) = [a for a in got if a.process.endswith("LineA") and a.source is Source.INFERRED]
    assert "over s7comm" in a.reason


def test_wincc_hmi_supports_the_s7_400_line() -> None:
    """wincc_s400_production.pcapng: one WinCC HMI polling one S7-400."""
    inv, graph, names = capture_inventory("wincc_s400_production.pcapng")
    config = PlantConfig(processes=[process("Plant/Site/Area/Line1", "ip:194.250.63.170")])
    got = attach(inv, graph, config, names, {})
    (hmi,) = [a for a in got if a.source is Source.INFERRED]
    assert names[hmi.asset] == "194.250.63.239"
    assert graph.nodes[hmi.asset]["role"] == "hmi"
