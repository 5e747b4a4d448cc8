"""Small known plants for the diff, export, render and maps tests.

Observations are written by hand with packet times, so a test can say
what the inventory looked like at any moment; the plant maps are built by
hand too (levels, zones, conduits, skips, processes), so the export and
drawing tests do not depend on the inference rules tested elsewhere.
"""

from __future__ import annotations

import networkx as nx

from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.model.plant import (
    Attachment,
    Conduit,
    Level,
    LevelAssignment,
    LevelSkip,
    PlantMap,
    ProcessSpec,
    Selector,
    Source,
    ZoneAssignment,
    ZoneSpec,
)
from otm.observations.records import (
    AssetSeen,
    Communication,
    Evidence,
    Identity,
    Observation,
    Operation,
    Transport,
)
from otm.topology.graph import build_graph

EV = Evidence("capture", "plant.pcap", 1, "test")
T0 = 1_767_600_000.0  # 2026-01-05 08:00:00 UTC
"""Start of the synthetic plant's day."""

ERP, HIST, HMI, EWS, PLC, IO = (
    "10.4.0.10",
    "10.3.0.5",
    "10.1.3.20",
    "10.1.3.60",
    "10.1.3.5",
    "10.1.3.40",
)
NAMES = {ERP: "ERP-1", HIST: "HIST-1", HMI: "HMI-3", EWS: "EWS-3", PLC: "PLC-3", IO: "RIO-3"}


def mac(ip: str) -> str:
    """A made-up, locally administered MAC per IP."""
    a, b, c, d = (int(x) for x in ip.split("."))
    return f"02:00:{a:02x}:{b:02x}:{c:02x}:{d:02x}"


def seen(ip: str, *times: float) -> list[Observation]:
    """The host sent frames at these times."""
    return [AssetSeen(t, mac(ip), ip, EV) for t in times]


def named(ip: str, t: float) -> Observation:
    """The host said its name at ``t``."""
    return Identity(t, ip, mac(ip), "test", {"name": NAMES[ip]}, EV)


def link(
    client: str,
    server: str,
    protocol: str,
    port: int,
    first: float,
    last: float,
    ops: dict[str, tuple[str, int]] | None = None,
    packets: int = 10,
) -> list[Observation]:
    """Traffic client -> server between two times, with operations ``name: (category, count)``."""
    out: list[Observation] = [
        Communication(first, last, client, server, mac(client), mac(server), protocol,
                      Transport.TCP, port, packets, packets * 64, EV)
    ]  # fmt: skip
    for name, (category, count) in (ops or {}).items():
        out.append(
            Operation(first, last, client, server, protocol, name, category, count, EV,
                      Transport.TCP, port)
        )  # fmt: skip
    return out


def timeline() -> list[Observation]:
    """A morning on line 3, in two halves split at ``T0 + 1000``.

    Before: the HMI reads the PLC over Modbus, the PLC writes its remote
    I/O over EtherNet/IP.  After: the HMI also writes a register; an
    engineering workstation appears and downloads a program to the PLC over
    S7comm; the remote I/O falls silent.  The HMI and PLC are busy the
    whole morning (one record each way spanning both halves).
    """
    obs: list[Observation] = []
    obs += seen(HMI, T0, T0 + 1900)
    obs += seen(PLC, T0, T0 + 1900)
    obs += seen(IO, T0 + 10, T0 + 900)
    obs += seen(EWS, T0 + 1200, T0 + 1300)
    obs += [named(ip, T0 + 5) for ip in (HMI, PLC, IO)]
    obs += link(HMI, PLC, "modbus", 502, T0, T0 + 1900, {"read_holding_registers": ("read", 500)})
    obs += link(HMI, PLC, "modbus", 502, T0 + 1500, T0 + 1600,
                {"write_single_register": ("write", 3)})  # fmt: skip
    obs += link(PLC, IO, "enip", 44818, T0 + 10, T0 + 900, {"set_attribute_single": ("write", 90)})
    downloads = {"request_download": ("program", 1), "setup_communication": ("session", 1)}
    obs += link(EWS, PLC, "s7comm", 102, T0 + 1200, T0 + 1300, downloads)
    return obs


def line3_observations() -> list[Observation]:
    """A small plant from enterprise to I/O, for maps and exports."""
    obs: list[Observation] = []
    for ip, name in NAMES.items():
        obs += seen(ip, T0)
        obs.append(Identity(T0, ip, mac(ip), "test", {"name": name}, EV))
    polls = {"read_holding_registers": ("read", 50), "write_single_register": ("write", 2)}
    obs += link(HMI, PLC, "modbus", 502, T0, T0 + 60, polls)
    obs += link(PLC, IO, "enip", 44818, T0, T0 + 60, {"set_attribute_single": ("write", 40)})
    obs += link(HIST, PLC, "s7comm", 102, T0, T0 + 60, {"read_var": ("read", 30)})
    obs += link(EWS, PLC, "s7comm", 102, T0, T0 + 60, {"request_download": ("program", 1)})
    obs += link(ERP, HIST, "http", 80, T0, T0 + 60)
    return obs


LINE3 = "Acme/Plant1/Packaging/Line3"

LEVELS = {ERP: Level.ENTERPRISE, HIST: Level.OPERATIONS, HMI: Level.SUPERVISORY,
          EWS: Level.SUPERVISORY, PLC: Level.BASIC_CONTROL, IO: Level.PROCESS}  # fmt: skip
ZONES = {ERP: "enterprise", HIST: "operations", HMI: "control-line3", EWS: "control-line3",
         PLC: "control-line3", IO: "control-line3"}  # fmt: skip


def line3_plant() -> tuple[Inventory, nx.DiGraph, PlantMap]:
    """The inventory, graph and a hand-made plant map of ``line3_observations``."""
    inv = build_inventory(line3_observations())
    ids = {ip: _id(inv, ip) for ip in NAMES}
    plant = PlantMap(names={ids[ip]: name for ip, name in NAMES.items()})
    for ip, level in LEVELS.items():
        source = Source.DECLARED if ip == HIST else Source.INFERRED
        plant.levels[ids[ip]] = LevelAssignment(level, f"test level of {NAMES[ip]}", source)
    plant.zones = {
        "enterprise": ZoneSpec("enterprise", Level.ENTERPRISE),
        "operations": ZoneSpec("operations", Level.OPERATIONS),
        "control-line3": ZoneSpec("control-line3", Level.BASIC_CONTROL,
                                  subnets=["10.1.3.0/24"]),
    }  # fmt: skip
    for ip, zone in ZONES.items():
        plant.membership[ids[ip]] = ZoneAssignment(zone, "test zone", Source.DECLARED)
    graph = build_graph(inv, plant.names)
    for client, server, data in graph.edges(data=True):
        a, b = plant.membership[client].zone, plant.membership[server].zone
        if a != b:
            conduit = plant.conduits.setdefault((a, b), Conduit((a, b)))
            conduit.protocols |= data["protocols"]
            conduit.links += data["links"]
    hist_plc = next(k for k in inv.links if k[0] == HIST)
    plant.level_skips.append(
        LevelSkip(hist_plc, Level.OPERATIONS, Level.BASIC_CONTROL, "3 talks to 1")
    )
    plant.processes[LINE3] = ProcessSpec(tuple(LINE3.split("/")), 5, [Selector("name", "PLC-3")])
    plant.attachments = [
        Attachment(ids[PLC], LINE3, Source.DECLARED, "name:PLC-3"),
        Attachment(ids[IO], LINE3, Source.INFERRED, "written by PLC-3", (ids[IO], ids[PLC])),
        Attachment(ids[HMI], LINE3, Source.INFERRED, "polls PLC-3", (ids[HMI], ids[PLC])),
    ]
    return inv, graph, plant


def _id(inv: Inventory, ip: str) -> str:
    asset = inv.find(ip)
    assert asset is not None, ip
    return asset.id


def big_plant(assets: int = 200) -> tuple[nx.DiGraph, PlantMap]:
    """A plant of ``assets`` assets over every level and a dozen zones, chained by links."""
    obs: list[Observation] = []
    ips = [f"10.{i // 250}.{(i // 50) % 5}.{i % 250 + 1}" for i in range(assets)]
    for i, ip in enumerate(ips):
        obs += seen(ip, T0)
        long = "-with-a-really-long-descriptive-suffix" if i % 17 == 0 else ""
        obs.append(Identity(T0, ip, mac(ip), "test", {"name": f"dev-{i:03d}{long}"}, EV))
        if i:
            cat = ("read", "write", "control", "program", "diagnostic")[i % 5]
            obs += link(ips[i - 1], ip, "modbus", 502, T0, T0 + 1, {f"op_{cat}": (cat, 1)})
    inv = build_inventory(obs)
    levels = list(Level)
    plant = PlantMap()
    for i, ip in enumerate(ips):
        asset = _id(inv, ip)
        if i % 41 != 40:  # a few assets without a level
            plant.levels[asset] = LevelAssignment(levels[i % 7], "test", Source.INFERRED)
        plant.membership[asset] = ZoneAssignment(f"zone-{i % 12}", "test", Source.INFERRED)
    return build_graph(inv), plant
