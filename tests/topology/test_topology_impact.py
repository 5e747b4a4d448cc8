"""Impact (fail / isolate) and exposure on small plants with known answers.

Plant ``line34`` (criticality Line3 5, Line4 2)::

    HMI-3 --read,write--> PLC-3 --read,write--> RIO-1        (Line3: PLC-3 declared)
    EWS   --read,program--> PLC-3
    SCAN  --identify--> PLC-3                                (a glance: no dependency)
    HIST  --read--> HMI-3 ; HIST --read--> PLC-4
    HMI-4 --read--> PLC-4                                    (Line4: PLC-4 declared)

Attachments come from the real ``attach``: RIO-1, HMI-3 and EWS are inferred
for Line3, HMI-4 and HIST for Line4.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from conftest import PCAPS
from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.model.assets import Asset, Inventory, Link, Role
from otm.model.plant import (
    Level,
    PlantConfig,
    PlantMap,
    ProcessSpec,
    Selector,
    Source,
    ZoneAssignment,
    ZoneSpec,
)
from otm.sensing.engine import PassiveEngine
from otm.topology.graph import build_graph, display_name
from otm.topology.impact import DependencyKind, ImpactReport, dependants, exposure, impact
from otm.topology.processes import attach

CONTROL, SUPERVISION, DATA = DependencyKind

Built = tuple[nx.DiGraph, PlantMap]

Hosts = dict[str, tuple[Role, str]]
Talk = tuple[str, str, str, dict[str, int]]


def build(hosts: Hosts, talks: list[Talk]) -> tuple[Inventory, nx.DiGraph, dict[str, str]]:
    """Assets with id = name (readable paths); talks (client, server, protocol, categories)."""
    inv = Inventory()
    for name, (role, ip) in hosts.items():
        inv.assets[name] = Asset(name, ips={ip}, role=role)
    for port, (client, server, protocol, cats) in enumerate(talks, start=1000):
        link = Link(hosts[client][1], hosts[server][1], protocol, "tcp", port, packets=400)
        link.categories = dict(cats)
        inv.links[link.key] = link
    names = {n: n for n in hosts}
    return inv, build_graph(inv, names), names


def plant_of(
    hosts: Hosts, talks: list[Talk], processes: dict[str, tuple[int, list[str]]]
) -> tuple[nx.DiGraph, PlantMap]:
    """``processes``: name -> (criticality, selectors); attachments by ``attach``."""
    inv, graph, names = build(hosts, talks)
    specs = [
        ProcessSpec(tuple(p.split("/")), crit, [Selector.parse(s) for s in sels])
        for p, (crit, sels) in processes.items()
    ]
    config = PlantConfig(processes=specs)
    plant = PlantMap(
        processes={p.name: p for p in specs},
        attachments=attach(inv, graph, config, names, {}),
        names=names,
    )
    return graph, plant


RW = {"read": 100, "write": 10}
LINE3, LINE4 = "Acme/P1/Pack/Line3", "Acme/P1/Pack/Line4"


@pytest.fixture(scope="module")
def line34() -> Built:
    hosts: Hosts = {
        "PLC-3": (Role.PLC, "10.1.3.5"),
        "RIO-1": (Role.IO_MODULE, "10.1.3.40"),
        "HMI-3": (Role.HMI, "10.1.3.20"),
        "EWS": (Role.ENGINEERING_WORKSTATION, "10.1.2.50"),
        "SCAN": (Role.IT_HOST, "10.9.0.66"),
        "HIST": (Role.HISTORIAN, "10.1.5.10"),
        "PLC-4": (Role.PLC, "10.1.4.5"),
        "HMI-4": (Role.HMI, "10.1.4.20"),
    }
    talks: list[Talk] = [
        ("PLC-3", "RIO-1", "modbus", RW),
        ("HMI-3", "PLC-3", "modbus", RW),
        ("EWS", "PLC-3", "s7comm", {"read": 20, "program": 3}),
        ("SCAN", "PLC-3", "enip", {"identify": 4}),
        ("HIST", "HMI-3", "opcua", {"read": 500}),
        ("HIST", "PLC-4", "modbus", {"read": 500}),
        ("HMI-4", "PLC-4", "modbus", {"read": 100}),
    ]
    return plant_of(hosts, talks, {LINE3: (5, ["PLC-3"]), LINE4: (2, ["PLC-4"])})


def affected(report: ImpactReport) -> dict[str, tuple[DependencyKind, tuple[str, ...]]]:
    return {a.asset: (a.kind, a.path) for a in report.affected}


def hits(report: ImpactReport) -> list[tuple[str, DependencyKind, tuple[str, ...]]]:
    return [(p.process, p.kind, p.path) for p in report.processes]


# -- impact: fail ---------------------------------------------------------------------


def test_plc_failure_hits_its_io_hmi_ews_and_transitively_the_historian(line34: Built) -> None:
    graph, plant = line34
    report = impact(graph, plant, "PLC-3")
    assert (report.asset, report.name, report.mode) == ("PLC-3", "PLC-3", "fail")
    assert affected(report) == {
        "RIO-1": (CONTROL, ("PLC-3", "RIO-1")),
        "HMI-3": (SUPERVISION, ("PLC-3", "HMI-3")),
        "EWS": (SUPERVISION, ("PLC-3", "EWS")),
        "HIST": (DATA, ("PLC-3", "HMI-3", "HIST")),
    }
    # strongest kind first, then shorter path, then name
    assert [a.asset for a in report.affected] == ["RIO-1", "EWS", "HMI-3", "HIST"]


def test_identify_only_client_is_not_a_dependant(line34: Built) -> None:
    graph, plant = line34
    assert "SCAN" not in affected(impact(graph, plant, "PLC-3"))


def test_direct_dependants_say_how(line34: Built) -> None:
    graph, _ = line34
    assert sorted(dependants(graph, "PLC-3")) == [
        ("EWS", SUPERVISION),
        ("HMI-3", SUPERVISION),
        ("RIO-1", CONTROL),
    ]
    assert sorted(dependants(graph, "PLC-3", control=False)) == [
        ("EWS", SUPERVISION),
        ("HMI-3", SUPERVISION),
    ]
    assert list(dependants(graph, "HMI-3")) == [("HIST", DATA), ("PLC-3", CONTROL)]


def test_processes_ranked_by_criticality_with_their_paths_as_names(line34: Built) -> None:
    graph, plant = line34
    report = impact(graph, plant, "PLC-3")
    assert hits(report) == [
        (LINE3, CONTROL, ("PLC-3",)),  # the failed asset is declared for it
    ]
    line3 = report.processes[0]
    assert (line3.criticality, line3.asset, line3.source, line3.length) == (
        5,
        "PLC-3",
        Source.DECLARED,
        0,
    )
    # HIST supports Line4 and loses the data PLC-3 fed it through HMI-3, but
    # nothing upstream on that path serves Line4: HIST still records Line4.
    assert affected(report)["HIST"] == (DATA, ("PLC-3", "HMI-3", "HIST"))
    assert LINE4 not in {p.process for p in report.processes}


def test_hmi_failure_reaches_the_plc_it_writes_and_what_that_plc_controls(line34: Built) -> None:
    graph, plant = line34
    report = impact(graph, plant, "HMI-3")
    assert affected(report) == {
        "PLC-3": (CONTROL, ("HMI-3", "PLC-3")),
        "RIO-1": (CONTROL, ("HMI-3", "PLC-3", "RIO-1")),
        "EWS": (SUPERVISION, ("HMI-3", "PLC-3", "EWS")),
        "HIST": (DATA, ("HMI-3", "HIST")),
    }
    # control through PLC-3 beats the HMI's own (supervision) attachment
    assert hits(report)[0] == (LINE3, CONTROL, ("HMI-3", "PLC-3"))


def test_reading_hmi_failure_leaves_its_plc_running(line34: Built) -> None:
    """HMI-4 only reads PLC-4: the PLC does not depend on it; Line4 loses supervision."""
    graph, plant = line34
    report = impact(graph, plant, "HMI-4")
    assert report.affected == []
    assert hits(report) == [(LINE4, SUPERVISION, ("HMI-4",))]


def test_asset_attached_to_no_process_hits_none(line34: Built) -> None:
    graph, plant = line34
    report = impact(graph, plant, "SCAN")
    assert report.affected == [] and report.processes == []


# -- impact: isolate ------------------------------------------------------------------


def test_isolated_plc_nobody_writes_blinds_its_hmi_but_runs(line34: Built) -> None:
    graph, plant = line34
    failed = impact(graph, plant, "PLC-4")
    isolated = impact(graph, plant, "PLC-4", mode="isolate")
    assert hits(failed) == [(LINE4, CONTROL, ("PLC-4",))]
    assert affected(isolated) == {
        "HMI-4": (SUPERVISION, ("PLC-4", "HMI-4")),
        "HIST": (DATA, ("PLC-4", "HIST")),
    }
    assert hits(isolated) == [(LINE4, SUPERVISION, ("PLC-4", "HMI-4"))]


def test_isolated_plc_that_is_written_loses_its_control(line34: Built) -> None:
    graph, plant = line34
    report = impact(graph, plant, "PLC-3", mode="isolate")
    assert affected(report)["PLC-3"] == (CONTROL, ("PLC-3",))
    assert hits(report)[0] == (LINE3, CONTROL, ("PLC-3",))


def test_isolated_hmi_is_itself_affected_by_what_it_read(line34: Built) -> None:
    graph, plant = line34
    report = impact(graph, plant, "HMI-4", mode="isolate")
    assert affected(report) == {"HMI-4": (SUPERVISION, ("HMI-4",))}
    assert hits(report) == [(LINE4, SUPERVISION, ("HMI-4",))]


def test_bad_mode_and_unknown_asset_are_refused(line34: Built) -> None:
    graph, plant = line34
    with pytest.raises(ValueError, match="unknown impact mode"):
        impact(graph, plant, "PLC-3", mode="explode")
    with pytest.raises(KeyError):
        impact(graph, plant, "nope")


# -- impact: path kinds and ranking ------------------------------------------------------


def test_longer_control_path_beats_shorter_data_path() -> None:
    """A writes B writes C, and C reads A: C is reached by data in one hop,
    by control in two; the strongest kind wins, with its own shortest path."""
    hosts: Hosts = {
        "A": (Role.PLC, "10.0.0.1"),
        "B": (Role.PLC, "10.0.0.2"),
        "C": (Role.IO_MODULE, "10.0.0.3"),
        "D": (Role.IT_HOST, "10.0.0.4"),
    }
    talks: list[Talk] = [
        ("A", "B", "modbus", {"write": 5}),
        ("B", "C", "modbus", {"write": 5}),
        ("C", "A", "modbus", {"read": 5}),
        ("D", "C", "modbus", {"read": 5}),
    ]
    graph, plant = plant_of(hosts, talks, {})
    assert affected(impact(graph, plant, "A")) == {
        "B": (CONTROL, ("A", "B")),
        "C": (CONTROL, ("A", "B", "C")),
        "D": (DATA, ("A", "C", "D")),  # the shortest path of its own (weakest) kind
    }


def test_ranking_criticality_then_kind_then_path_length() -> None:
    """SCADA reads PLC-1 (Line1), writes PLC-2 (Line2) and PLC-5, which writes
    RIO-6 (declared for Line6): Line1 crit 5 by supervision first, then the
    crit-3 lines by control, the shorter path first."""
    hosts: Hosts = {
        "SCADA": (Role.SCADA_SERVER, "10.0.0.10"),
        "PLC-1": (Role.PLC, "10.0.1.5"),
        "PLC-2": (Role.PLC, "10.0.2.5"),
        "PLC-5": (Role.PLC, "10.0.5.5"),
        "RIO-6": (Role.IO_MODULE, "10.0.6.5"),
    }
    talks: list[Talk] = [
        ("SCADA", "PLC-1", "modbus", {"read": 100}),
        ("SCADA", "PLC-2", "modbus", {"write": 100}),
        ("SCADA", "PLC-5", "modbus", {"write": 100}),
        ("PLC-5", "RIO-6", "modbus", {"write": 100}),
    ]
    procs = {
        "A/S/Ar/Line6": (3, ["RIO-6"]),
        "A/S/Ar/Line2": (3, ["PLC-2"]),
        "A/S/Ar/Line1": (5, ["PLC-1"]),
    }
    graph, plant = plant_of(hosts, talks, procs)
    assert hits(impact(graph, plant, "SCADA")) == [
        ("A/S/Ar/Line1", SUPERVISION, ("SCADA",)),
        ("A/S/Ar/Line2", CONTROL, ("SCADA", "PLC-2")),
        ("A/S/Ar/Line6", CONTROL, ("SCADA", "PLC-5", "RIO-6")),
    ]


def test_process_kind_is_capped_by_what_the_asset_is_to_it() -> None:
    """The historian loses control-strength nothing: data is all it is to its line."""
    hosts: Hosts = {
        "PLC-1": (Role.PLC, "10.0.1.5"),
        "HIST": (Role.HISTORIAN, "10.0.3.10"),
    }
    talks: list[Talk] = [("PLC-1", "HIST", "opcua", {"write": 100})]
    graph, plant = plant_of(hosts, talks, {"A/S/Ar/Line9": (3, ["HIST"])})
    report = impact(graph, plant, "PLC-1")
    assert affected(report) == {"HIST": (CONTROL, ("PLC-1", "HIST"))}
    assert hits(report) == [("A/S/Ar/Line9", DATA, ("PLC-1", "HIST"))]


# -- exposure --------------------------------------------------------------------------

EXPOSURE_HOSTS: Hosts = {
    "E1": (Role.IT_HOST, "172.16.0.1"),
    "E2": (Role.IT_HOST, "172.16.0.2"),
    "E3": (Role.IT_HOST, "172.16.0.3"),
    "D": (Role.IT_HOST, "10.35.0.1"),
    "HMI": (Role.HMI, "10.2.0.1"),
    "PLC": (Role.PLC, "10.1.0.1"),
    "IO": (Role.IO_MODULE, "10.1.0.2"),
    "U": (Role.UNKNOWN, "192.0.2.7"),
}
EXPOSURE_TALKS: list[Talk] = [
    ("E1", "D", "https", {}),
    ("D", "HMI", "opcua", {"read": 1}),
    ("HMI", "PLC", "modbus", RW),
    ("E2", "PLC", "s7comm", {"read": 1}),  # a level skip
    ("E1", "E2", "smb", {}),
    ("E2", "E1", "smb", {}),  # a cycle: paths stay simple
    ("PLC", "E3", "mqtt", {}),  # the PLC initiates: E3 cannot reach it
    ("U", "HMI", "rdp", {}),  # U is in no zone: least trusted
    ("PLC", "IO", "modbus", RW),
]


@pytest.fixture(scope="module")
def zoned() -> Built:
    _, graph, names = build(EXPOSURE_HOSTS, EXPOSURE_TALKS)
    zones = {
        "enterprise": ZoneSpec("enterprise", Level.ENTERPRISE),
        "dmz": ZoneSpec("dmz", Level.DMZ),
        "supervisory": ZoneSpec("supervisory", trust=2),
        "control": ZoneSpec("control", Level.BASIC_CONTROL),
    }
    member = {"E1": "enterprise", "E2": "enterprise", "E3": "enterprise", "D": "dmz"}
    member |= {"HMI": "supervisory", "PLC": "control", "IO": "control"}
    membership = {a: ZoneAssignment(z, "test", Source.DECLARED) for a, z in member.items()}
    return graph, PlantMap(zones=zones, membership=membership, names=names)


def test_exposure_lists_every_path_from_less_trusted_zones_shortest_first(zoned: Built) -> None:
    graph, plant = zoned
    report = exposure(graph, plant, "PLC")
    assert (report.zone, report.trust, report.truncated) == ("control", 1.0, False)
    assert [p.assets for p in report.paths] == [
        ("E2", "PLC"),  # length 1, least trusted source first
        ("HMI", "PLC"),
        ("U", "HMI", "PLC"),  # length 2: no zone (9) before enterprise (4) before dmz
        ("E1", "E2", "PLC"),
        ("D", "HMI", "PLC"),
        ("E1", "D", "HMI", "PLC"),
        ("E2", "E1", "D", "HMI", "PLC"),
    ]
    assert report.sources == 5
    assert report.sources_by_zone == {"": 1, "dmz": 1, "enterprise": 2, "supervisory": 1}


def test_exposure_hops_carry_zones_and_protocols(zoned: Built) -> None:
    graph, plant = zoned
    path = next(p for p in exposure(graph, plant, "PLC").paths if len(p.hops) == 3)
    assert (path.source, path.source_zone, path.source_trust) == ("E1", "enterprise", 4.0)
    assert path.names == ("E1", "D", "HMI", "PLC")
    assert [(h.client_zone, h.server_zone, h.protocols) for h in path.hops] == [
        ("enterprise", "dmz", ("https",)),
        ("dmz", "supervisory", ("opcua",)),
        ("supervisory", "control", ("modbus",)),
    ]


def test_exposure_is_capped(zoned: Built) -> None:
    graph, plant = zoned
    report = exposure(graph, plant, "PLC", max_paths=3)
    assert [p.assets for p in report.paths] == [("E2", "PLC"), ("HMI", "PLC"), ("U", "HMI", "PLC")]
    assert report.truncated and report.sources == 5
    assert exposure(graph, plant, "PLC", max_paths=0).paths == []


def test_exposure_follows_who_initiates(zoned: Built) -> None:
    """E3 only answers the PLC; equal trust (E2 -> E1) is no exposure; nothing
    less trusted than the enterprise zone reaches E1."""
    graph, plant = zoned
    assert "E3" not in {p.source for p in exposure(graph, plant, "PLC").paths}
    report = exposure(graph, plant, "E1")
    assert report.paths == [] and report.sources == 0 and not report.truncated


def test_exposure_of_a_supervisory_asset(zoned: Built) -> None:
    graph, plant = zoned
    assert [p.assets for p in exposure(graph, plant, "HMI").paths] == [
        ("U", "HMI"),
        ("D", "HMI"),
        ("E1", "D", "HMI"),
        ("E2", "E1", "D", "HMI"),
    ]


def test_exposure_of_an_unknown_asset_is_refused(zoned: Built) -> None:
    graph, plant = zoned
    with pytest.raises(KeyError):
        exposure(graph, plant, "nope")


# -- the shared captures ------------------------------------------------------------------


def capture_inventory(name: str) -> tuple[Inventory, nx.DiGraph, dict[str, str]]:
    path: Path = PCAPS / name
    with open_capture(path) as reader:
        sensed = PassiveEngine(ref=path.name).run(reader, None)
    inv = build_inventory(sensed.observations)
    names = {a.id: display_name(a) for a in inv.assets.values()}
    return inv, build_graph(inv, names), names


def test_mb2_scada_server_failure_takes_control_of_every_line_it_writes() -> None:
    """mb2.pcap: 141.81.0.10 reads 29 PLCs and writes 27.  Two declared lines are
    hit by control through their PLC when it fails; when one PLC fails, the
    SCADA server loses supervision of it and its line is hit directly; LineB,
    which the SCADA server supports too, is not: the server still supervises it."""
    inv, graph, names = capture_inventory("mb2.pcap")
    specs = [
        ProcessSpec(("P", "S", "A", "LineA"), 4, [Selector.parse("141.81.0.146")]),
        ProcessSpec(("P", "S", "A", "LineB"), 2, [Selector.parse("141.81.0.86")]),
    ]
    config = PlantConfig(processes=specs)
    plant = PlantMap(
        processes={p.name: p for p in specs},
        attachments=attach(inv, graph, config, names, {}),
        names=names,
    )
    scada = next(a for a, n in names.items() if n == "141.81.0.10")
    report = impact(graph, plant, scada)
    # it writes 27 of them; 141.81.0.14 and 141.81.0.236 it only reads
    assert sum(a.kind is CONTROL for a in report.affected) == 27
    # and 141.81.0.182, an SMB client of the server, loses data
    assert [(a.name, a.kind) for a in report.affected if a.kind is not CONTROL] == [
        ("141.81.0.182", DATA)
    ]
    assert [(p.process, p.kind, p.names) for p in report.processes] == [
        ("P/S/A/LineA", CONTROL, ("141.81.0.10", "141.81.0.146")),
        ("P/S/A/LineB", CONTROL, ("141.81.0.10", "141.81.0.86")),
    ]
    plc = next(a for a, n in names.items() if n == "141.81.0.146")
    report = impact(graph, plant, plc)
    assert [(a.name, a.kind, a.names) for a in report.affected] == [
        ("141.81.0.10", SUPERVISION, ("141.81.0.146", "141.81.0.10")),
        ("141.81.0.182", DATA, ("141.81.0.146", "141.81.0.10", "141.81.0.182")),
    ]  # the other PLCs the SCADA server writes are not affected: it still runs
    assert [(p.process, p.kind, p.names) for p in report.processes] == [
        ("P/S/A/LineA", CONTROL, ("141.81.0.146",)),
    ]
