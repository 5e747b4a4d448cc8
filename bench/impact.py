"""Benchmark: impact and exposure queries on a 10,000-asset, 100,000-link plant.

Builds a synthetic plant in memory (seeded, so every run is the same plant):

- 5 areas x 25 lines; each line has 2 PLCs, 2 HMIs and 56 I/O modules; each
  PLC reads and writes its 28 I/O, each HMI polls both PLCs of its line, a
  PLC reads one PLC of another line;
- 10 SCADA servers polling 50 PLCs each, 20 engineering workstations
  programming 12 PLCs each, 50 historians reading HMIs and SCADA servers;
- 20 DMZ servers reading historians; 2,400 enterprise IT hosts reaching DMZ
  servers, 30 of them reading a PLC straight away (level skips), one of them
  a scanner identifying every PLC; the rest of the 100,000 links is IT
  traffic between enterprise hosts (most of it to 100 servers);
- zones: enterprise (4), dmz (3.5), operations (3), one supervisory zone per
  area (2), one control zone per line (1); processes: one per line naming
  its PLCs, criticality 1-5, attachments inferred by ``processes.attach``.

The inventory goes through the real ``build_graph`` and ``attach``; the
levels and zones are given by construction (they are not what is measured).
Then times ``impact`` (fail and isolate) and ``exposure`` over a sample of
assets of every role and prints median, p95 and max latency.  Figures only,
nothing asserted.

Usage: ``python bench/impact.py [--queries N] [--seed S]``
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx

from otm.model.assets import Asset, Inventory, Link, Role
from otm.model.plant import (
    Level,
    LevelAssignment,
    PlantConfig,
    PlantMap,
    ProcessSpec,
    Selector,
    Source,
    ZoneAssignment,
    ZoneSpec,
)
from otm.topology.graph import build_graph
from otm.topology.impact import exposure, impact
from otm.topology.processes import attach

AREAS, LINES_PER_AREA = 5, 25
PLCS, HMIS, IOS = 2, 2, 56
SCADAS, EWSS, HISTORIANS, DMZS, IT_HOSTS = 10, 20, 50, 20, 2400
LINKS = 100_000


@dataclass
class Synthetic:
    """The plant being built: inventory, names, levels and zones by construction."""

    inv: Inventory = field(default_factory=Inventory)
    names: dict[str, str] = field(default_factory=dict)
    levels: dict[str, LevelAssignment] = field(default_factory=dict)
    membership: dict[str, ZoneAssignment] = field(default_factory=dict)
    zones: dict[str, ZoneSpec] = field(default_factory=dict)
    by_role: dict[str, list[str]] = field(default_factory=dict)
    ports: int = 1024

    def asset(self, name: str, role: Role, level: Level, zone: str) -> str:
        n = len(self.inv.assets)
        ip = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        asset_id = f"a{n:05d}"
        self.inv.assets[asset_id] = Asset(asset_id, ips={ip}, role=role)
        self.names[asset_id] = name
        self.levels[asset_id] = LevelAssignment(level, "synthetic", Source.DECLARED)
        if zone not in self.zones:
            self.zones[zone] = ZoneSpec(zone, level)
        self.membership[asset_id] = ZoneAssignment(zone, "synthetic", Source.DECLARED)
        self.by_role.setdefault(role.value, []).append(asset_id)
        return asset_id

    def link(self, client: str, server: str, protocol: str, cats: dict[str, int]) -> bool:
        """Adds a link unless that (client, server, protocol) exists; True if added."""
        (c_ip,) = self.inv.assets[client].ips
        (s_ip,) = self.inv.assets[server].ips
        link = Link(c_ip, s_ip, protocol, "tcp", 0, packets=sum(cats.values()) * 2 or 50)
        link.categories = dict(cats)
        link.operations = dict(cats)
        if link.key in self.inv.links:
            return False
        self.inv.links[link.key] = link
        return True


RW = {"read": 300, "write": 20}
READ = {"read": 300}


def build(seed: int) -> tuple[Synthetic, list[ProcessSpec]]:
    rng = random.Random(seed)
    p = Synthetic()
    processes: list[ProcessSpec] = []
    line_plcs: list[list[str]] = []
    area_hmis: list[list[str]] = []
    for a in range(AREAS):
        area_hmis.append([])
        for n in range(LINES_PER_AREA):
            line = f"{a}-{n}"
            zone = f"control-{line}"
            plcs = [p.asset(f"PLC-{line}-{k}", Role.PLC, Level.BASIC_CONTROL, zone)
                    for k in range(PLCS)]  # fmt: skip
            hmis = [p.asset(f"HMI-{line}-{k}", Role.HMI, Level.SUPERVISORY, f"supervisory-{a}")
                    for k in range(HMIS)]  # fmt: skip
            for k in range(IOS):
                io = p.asset(f"IO-{line}-{k}", Role.IO_MODULE, Level.PROCESS, zone)
                p.link(plcs[k % PLCS], io, "enip", RW)
            for hmi in hmis:
                for plc in plcs:
                    p.link(hmi, plc, "modbus", RW)
            line_plcs.append(plcs)
            area_hmis[a].extend(hmis)
            path = ("Acme", "Plant1", f"Area{a}", f"Line{n}")
            selectors = [Selector("name", f"PLC-{line}-{k}") for k in range(PLCS)]
            processes.append(ProcessSpec(path, rng.randint(1, 5), selectors))
    all_plcs = [plc for plcs in line_plcs for plc in plcs]
    for plcs in line_plcs:
        p.link(plcs[0], rng.choice(all_plcs), "s7comm", READ)
    scadas = [p.asset(f"SCADA-{k}", Role.SCADA_SERVER, Level.SUPERVISORY, "supervisory-0")
              for k in range(SCADAS)]  # fmt: skip
    for scada in scadas:
        for plc in rng.sample(all_plcs, 50):
            p.link(scada, plc, "modbus", RW)
    for k in range(EWSS):
        ews = p.asset(f"EWS-{k}", Role.ENGINEERING_WORKSTATION, Level.SUPERVISORY,
                      f"supervisory-{k % AREAS}")  # fmt: skip
        for plc in rng.sample(all_plcs, 12):
            p.link(ews, plc, "s7comm", {"read": 40, "program": 4})
    supervisors = [h for hmis in area_hmis for h in hmis] + scadas
    historians = [p.asset(f"HIST-{k}", Role.HISTORIAN, Level.OPERATIONS, "operations")
                  for k in range(HISTORIANS)]  # fmt: skip
    for hist in historians:
        for server in rng.sample(supervisors, 40):
            p.link(hist, server, "opcua", READ)
    dmzs = [p.asset(f"DMZ-{k}", Role.IT_HOST, Level.DMZ, "dmz") for k in range(DMZS)]
    for dmz in dmzs:
        for hist in rng.sample(historians, 10):
            p.link(dmz, hist, "opcua", READ)
    it = [p.asset(f"IT-{k}", Role.IT_HOST, Level.ENTERPRISE, "enterprise") for k in range(IT_HOSTS)]
    for host in it:
        for dmz in rng.sample(dmzs, 3):
            p.link(host, dmz, "https", {})
    for host in rng.sample(it, 30):
        p.link(host, rng.choice(all_plcs), "s7comm", READ)
    scanner = it[0]
    for plc in all_plcs:
        p.link(scanner, plc, "enip", {"identify": 2})
    servers = it[:100]
    protocols = ("smb", "https", "ldap", "dns", "rdp", "http")
    while len(p.inv.links) < LINKS:
        client = rng.choice(it)
        server = rng.choice(servers) if rng.random() < 0.7 else rng.choice(it)
        if client != server:
            p.link(client, server, rng.choice(protocols), {})
    return p, processes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(label: str, samples: list[str], query: Callable[[str], int]) -> None:
    """Runs ``query`` on each sample; prints latency (ms) and the mean result size."""
    times: list[float] = []
    sizes: list[int] = []
    for asset in samples:
        start = time.perf_counter()
        sizes.append(query(asset))
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<16} n={len(times):<4} median {statistics.median(times):7.2f} ms   "
        f"p95 {percentile(times, 0.95):7.2f} ms   max {max(times):7.2f} ms   "
        f"mean result {statistics.fmean(sizes):8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300, help="assets queried per measure")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()

    t = time.perf_counter()
    synthetic, processes = build(args.seed)
    inv = synthetic.inv
    print(f"inventory: {len(inv.assets)} assets, {len(inv.links)} links "
          f"({time.perf_counter() - t:.1f} s)")  # fmt: skip
    t = time.perf_counter()
    graph: nx.DiGraph = build_graph(inv, synthetic.names)
    print(f"graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges "
          f"({time.perf_counter() - t:.1f} s)")  # fmt: skip
    t = time.perf_counter()
    config = PlantConfig(processes=processes)
    attachments = attach(inv, graph, config, synthetic.names, {})
    inferred = sum(a.source is Source.INFERRED for a in attachments)
    print(f"attach: {len(attachments)} attachments ({inferred} inferred) for "
          f"{len(processes)} processes ({time.perf_counter() - t:.2f} s)")  # fmt: skip
    plant = PlantMap(
        levels=synthetic.levels,
        zones=synthetic.zones,
        membership=synthetic.membership,
        processes={p.name: p for p in processes},
        attachments=attachments,
        names=synthetic.names,
    )

    gc.collect()  # the build's garbage is not the queries' cost
    rng = random.Random(args.seed + 1)
    roles = sorted(synthetic.by_role)
    per_role = max(1, args.queries // len(roles))
    samples: list[str] = []
    for role in roles:
        ids = synthetic.by_role[role]
        samples += rng.sample(ids, min(per_role, len(ids)))
    rng.shuffle(samples)
    print(f"queries: {len(samples)} assets, {per_role} per role ({', '.join(roles)})")

    timed("impact fail", samples, lambda a: len(impact(graph, plant, a).affected))
    timed("impact isolate", samples, lambda a: len(impact(graph, plant, a, "isolate").affected))
    timed("exposure", samples, lambda a: len(exposure(graph, plant, a).paths))


if __name__ == "__main__":
    main()
