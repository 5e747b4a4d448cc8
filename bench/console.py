"""Benchmark: the console's REST API latency on a plant of 10,000 assets and 100,000 links.

Builds a synthetic plant with otm's own model types (seeded, so every run is the same):

- 5 areas x 25 lines, a line a /24 (``10.<area>.<line>.0``): 2 PLCs (Siemens,
  Rockwell, Schneider or Omron, with model, firmware and serial), 2 HMIs and 56
  I/O modules; each PLC reads its 28 modules, each HMI polls both PLCs, a PLC
  reads one PLC of another line;
- per area a supervisory /24 with 2 SCADA servers (50 PLCs each) and 4
  engineering workstations (12 PLCs each); 50 historians (operations), 20 DMZ
  servers, 2,400 enterprise hosts reaching DMZ servers, the rest of the 100,000
  links IT traffic between enterprise hosts;
- a plant file: a zone a line (level 1), a supervisory zone an area (level 2),
  operations (3), dmz (3.5) and enterprise (4), all by subnet; a process a line
  naming its PLCs; 300 open alerts on PLCs and HMIs; health of every PLC.

It is saved with the store (an SQLite file, or a PostgreSQL database made for the
run), served by ``otm serve`` in a child process (the real application under
uvicorn, on a free loopback port), and asked over real HTTP (httpx, keep-alive, one
request at a time) with an admin API token.  Measured:

- cold: the first request after the server starts (it builds the console's
  catalog), then the first request after an alert is acknowledged (the catalog
  follows the change), a few times;
- warm: ``--requests`` requests of each kind, p50, p99 and max latency and the
  answer's size: a page of 100 assets (random page; sorted by name; filtered by
  zone and role; filtered by protocol and level; the alerted ones), a two-word
  search, the topology of a zone, of a level, of an asset with its neighbours,
  one asset's detail; the whole plant's topology a few times.

The issue's target: p99 under 200 ms for a page of 100 assets.  Figures only,
nothing asserted.

Usage::

    python bench/console.py [--backend sqlite|postgresql] [--requests 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from otm.detection.alerts import Alert, alert_id, alert_to_dict
from otm.detection.rules import Severity
from otm.model.access import Role as UserRole
from otm.model.assets import Asset, FieldValue, Inventory, Link, Role, ServiceUse
from otm.model.plant import Level, PlantConfig, ProcessSpec, Selector, ZoneSpec
from otm.observations.records import DeviceHealth, Evidence
from otm.services import access
from otm.store.combined import Store

AREAS, LINES = 5, 25
PLCS, HMIS, IOS = 2, 2, 56
SCADAS, EWSS, HISTORIANS, DMZS = 2, 4, 50, 20
ASSETS, LINKS = 10_000, 100_000
ALERTS = 300
T0 = 1_767_225_600.0
"""2026-01-01T00:00:00Z: when everything was first seen."""

PLC_MODELS = {
    "Siemens": [("CPU 1516-3 PN/DP", "V2.9.4"), ("CPU 315-2 PN/DP", "V3.2.7")],
    "Rockwell Automation": [("1756-L83E/B", "33.011"), ("1769-L33ER/A", "30.014")],
    "Schneider Electric": [("BMEP584040", "3.20"), ("TM241CE40R", "5.1.9.34")],
    "Omron": [("NJ501-1300", "1.49"), ("CJ2M-CPU33", "2.1")],
}
PLC_PROTOCOL = {
    "Siemens": ("s7comm", 102),
    "Rockwell Automation": ("enip", 44818),
    "Schneider Electric": ("modbus", 502),
    "Omron": ("fins", 9600),
}
IO_VENDORS = ("WAGO", "Phoenix Contact", "Beckhoff Automation", "Turck")
IT_VENDORS = ("Dell Inc.", "Hewlett Packard", "Lenovo", "VMware, Inc.", "Cisco Systems, Inc")


@dataclass
class Plant:
    """The synthetic plant being built."""

    inv: Inventory = field(default_factory=Inventory)
    zones: list[ZoneSpec] = field(default_factory=list)
    processes: list[ProcessSpec] = field(default_factory=list)
    by_role: dict[str, list[str]] = field(default_factory=dict)
    zone_of: dict[str, str] = field(default_factory=dict)

    def asset(
        self, ip: str, role: Role, fields: dict[str, str], services: list[ServiceUse], zone: str
    ) -> str:
        n = len(self.inv.assets)
        mac = f"00:1b:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}:{n % 7:02x}"
        evidence = Evidence("capture", "plant.pcap", n + 1, "synthetic")
        asset = Asset(
            id=f"a{n:05d}",
            ips={ip},
            macs={mac},
            fields={
                k: [FieldValue(v, evidence, T0, T0 + 3600, services[0].name if services else "")]
                for k, v in fields.items()
            },
            role=role,
            role_reason="synthetic",
            services=services,
            first_seen=T0 + n,
            last_seen=T0 + 3600 + n,
            evidence=evidence,
        )
        self.inv.assets[asset.id] = asset
        self.by_role.setdefault(role.value, []).append(asset.id)
        self.zone_of[asset.id] = zone
        return asset.id

    def ip(self, asset_id: str) -> str:
        (ip,) = self.inv.assets[asset_id].ips
        return ip

    def link(
        self, client: str, server: str, protocol: str, port: int, cats: dict[str, int]
    ) -> bool:
        """Adds a link unless that (client, server, protocol) exists; True if added."""
        packets = 2 * sum(cats.values()) or 40
        link = Link(
            self.ip(client),
            self.ip(server),
            protocol,
            "tcp",
            port,
            packets=packets,
            bytes=80 * packets,
            first_seen=T0,
            last_seen=T0 + 3600,
            operations=dict(cats),
            categories=dict(cats),
        )
        if link.key in self.inv.links:
            return False
        self.inv.links[link.key] = link
        return True


def server(protocol: str, port: int) -> list[ServiceUse]:
    return [ServiceUse(protocol, "server", "tcp", port)]


def client(*protocols: tuple[str, int]) -> list[ServiceUse]:
    return [ServiceUse(p, "client", "tcp", port) for p, port in protocols]


def build(seed: int) -> Plant:
    """The plant of the module docstring."""
    rng = random.Random(seed)
    p = Plant()
    all_plcs: list[str] = []
    line_plcs: list[list[str]] = []
    supervisors: list[str] = []
    for a in range(AREAS):
        supervisory = f"supervisory-{a}"
        p.zones.append(ZoneSpec(supervisory, Level.SUPERVISORY, subnets=[f"10.{a}.100.0/24"]))
        for n in range(LINES):
            zone = f"line-{a}-{n:02d}"
            p.zones.append(ZoneSpec(zone, Level.BASIC_CONTROL, subnets=[f"10.{a}.{n}.0/24"]))
            plcs = []
            for k in range(PLCS):
                vendor = rng.choice(sorted(PLC_MODELS))
                model, firmware = rng.choice(PLC_MODELS[vendor])
                fields = {
                    "vendor": vendor,
                    "model": model,
                    "firmware": firmware,
                    "serial": f"S{a}{n:02d}{k}-{rng.randrange(10**8):08d}",
                }
                plcs.append(
                    p.asset(
                        f"10.{a}.{n}.{k + 1}", Role.PLC, fields, server(*PLC_PROTOCOL[vendor]), zone
                    )
                )
            hmis = [
                p.asset(
                    f"10.{a}.{n}.{10 + k}",
                    Role.HMI,
                    {"vendor": "Siemens AG"},
                    client(("modbus", 502)),
                    zone,
                )
                for k in range(HMIS)
            ]
            for k in range(IOS):
                io = p.asset(
                    f"10.{a}.{n}.{100 + k}",
                    Role.IO_MODULE,
                    {"vendor": IO_VENDORS[(a + n + k) % len(IO_VENDORS)]},
                    server("enip", 44818),
                    zone,
                )
                p.link(plcs[k % PLCS], io, "enip", 44818, {"read": 300, "write": 20})
            for hmi in hmis:
                for plc in plcs:
                    p.link(hmi, plc, "modbus", 502, {"read": 300, "write": 20})
            line_plcs.append(plcs)
            all_plcs += plcs
            supervisors += hmis
            names = [Selector("ip", p.ip(plc)) for plc in plcs]
            p.processes.append(
                ProcessSpec(("Acme", f"Area{a}", f"Line{n:02d}"), rng.randint(1, 5), names)
            )
        for k in range(SCADAS):
            scada = p.asset(
                f"10.{a}.100.{k + 1}",
                Role.SCADA_SERVER,
                {"vendor": "Dell Inc."},
                client(("modbus", 502), ("s7comm", 102)),
                supervisory,
            )
            supervisors.append(scada)
        for k in range(EWSS):
            p.asset(
                f"10.{a}.100.{50 + k}",
                Role.ENGINEERING_WORKSTATION,
                {"vendor": "Lenovo"},
                client(("s7comm", 102)),
                supervisory,
            )
    for plcs in line_plcs:
        p.link(plcs[0], rng.choice(all_plcs), "s7comm", 102, {"read": 40})
    for scada in p.by_role[Role.SCADA_SERVER.value]:
        for plc in rng.sample(all_plcs, 50):
            p.link(scada, plc, "modbus", 502, {"read": 300, "write": 5})
    for ews in p.by_role[Role.ENGINEERING_WORKSTATION.value]:
        for plc in rng.sample(all_plcs, 12):
            p.link(ews, plc, "s7comm", 102, {"read": 40, "program": 4})
    p.zones.append(ZoneSpec("operations", Level.OPERATIONS, subnets=["10.10.0.0/24"]))
    historians = [
        p.asset(
            f"10.10.0.{k + 1}",
            Role.HISTORIAN,
            {"vendor": "Hewlett Packard"},
            server("opcua", 4840),
            "operations",
        )
        for k in range(HISTORIANS)
    ]
    for hist in historians:
        for target in rng.sample(supervisors, 40):
            p.link(hist, target, "opcua", 4840, {"read": 300})
    p.zones.append(ZoneSpec("dmz", Level.DMZ, subnets=["172.16.0.0/24"]))
    dmzs = [
        p.asset(
            f"172.16.0.{k + 1}",
            Role.IT_HOST,
            {"vendor": "VMware, Inc."},
            server("https", 443),
            "dmz",
        )
        for k in range(DMZS)
    ]
    for dmz in dmzs:
        for hist in rng.sample(historians, 10):
            p.link(dmz, hist, "opcua", 4840, {"read": 300})
    p.zones.append(ZoneSpec("enterprise", Level.ENTERPRISE, subnets=["192.168.0.0/16"]))
    it: list[str] = []
    while len(p.inv.assets) < ASSETS:
        k = len(it)
        it.append(
            p.asset(
                f"192.168.{k // 250}.{k % 250 + 1}",
                Role.IT_HOST,
                {"mac_vendor": IT_VENDORS[k % len(IT_VENDORS)]},
                client(("https", 443), ("smb", 445)),
                "enterprise",
            )
        )
    for host in it:
        for dmz in rng.sample(dmzs, 3):
            p.link(host, dmz, "https", 443, {})
    servers = it[:100]
    protocols = (("smb", 445), ("https", 443), ("ldap", 389), ("dns", 53), ("rdp", 3389))
    while len(p.inv.links) < LINKS:
        src = rng.choice(it)
        dst = rng.choice(servers) if rng.random() < 0.7 else rng.choice(it)
        if src != dst:
            p.link(src, dst, *rng.choice(protocols), {})
    return p


def alerts(p: Plant, seed: int) -> list[dict[str, Any]]:
    """``ALERTS`` open alerts, each about an HMI or PLC and its peer."""
    rng = random.Random(seed + 1)
    rules = (
        ("OTM-PLC-STOP", "Controller stopped", Severity.CRITICAL),
        ("OTM-PROGRAM-DOWNLOAD", "Program download", Severity.HIGH),
        ("OTM-NEW-TALKER", "New communication", Severity.MEDIUM),
        ("OTM-TELNET", "Telnet in use", Severity.LOW),
    )
    out = []
    for i in range(ALERTS):
        rule, name, severity = rules[i % len(rules)]
        subjects = tuple(p.ip(x) for x in rng.sample(p.by_role[Role.PLC.value], 2))
        key = f"{subjects[0]}->{subjects[1]}#{i}"
        alert = Alert(
            alert_id(rule, key),
            rule,
            name,
            severity,
            "T0000",
            "synthetic",
            key,
            f"{subjects[0]} -> {subjects[1]}: synthetic",
            subjects,
            T0 + i,
            T0 + 60 + i,
            1,
        )
        out.append(alert_to_dict(alert))
    return out


@contextmanager
def database(backend: str, admin: str) -> Iterator[str]:
    """The URL of an empty database for the run (removed afterwards)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="otm-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'console.db'}"
        return
    name = f"otm_bench_{uuid.uuid4().hex[:10]}"
    conninfo = make_url(admin).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield make_url(admin).set(database=name).render_as_string(False)
        finally:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(url: str) -> Iterator[str]:
    """``otm serve`` on the database, in a child process: its base URL."""
    port = free_port()
    env = {**os.environ, "COLUMNS": "200"}
    child = subprocess.Popen(
        [sys.executable, "-m", "otm", "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if child.poll() is not None or time.monotonic() > deadline:
                    err = child.stderr.read().decode() if child.stderr else ""
                    raise SystemExit(f"otm serve did not start: {err}") from None
                time.sleep(0.1)
        yield base
    finally:
        child.terminate()
        child.wait(10)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Measure:
    label: str
    times: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def row(self) -> str:
        ms = [t * 1000 for t in self.times]
        return (
            f"| {self.label} | {len(ms)} | {statistics.median(ms):,.1f} | "
            f"{percentile(ms, 0.99):,.1f} | {max(ms):,.1f} | "
            f"{statistics.median(self.sizes) / 1024:,.1f} |"
        )


def timed(http: httpx.Client, measure: Measure, method: str, path: str, **params: Any) -> Any:
    start = time.perf_counter()
    response = http.request(method, path, params=params or None)
    took = time.perf_counter() - start
    response.raise_for_status()
    measure.times.append(took)
    measure.sizes.append(len(response.content))
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--requests", type=int, default=200, help="of each warm kind")
    parser.add_argument("--changes", type=int, default=5, help="alerts acknowledged, cold")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    began = time.perf_counter()
    plant = build(args.seed)
    inv = plant.inv
    print(
        f"plant: {len(inv.assets):,} assets, {len(inv.links):,} links, "
        f"{len(plant.zones)} zones, {len(plant.processes)} processes "
        f"({time.perf_counter() - began:.1f} s)"
    )
    with database(args.backend, args.pg) as url:
        began = time.perf_counter()
        with Store(url) as store:
            store.save_inventory(inv)
            store.save_plant_config(PlantConfig(zones=plant.zones, processes=plant.processes))
            store.save_alerts(alerts(plant, args.seed), T0 + 3600)
            plcs = plant.by_role[Role.PLC.value]
            store.record_health(
                DeviceHealth(
                    T0 + 3600,
                    plant.ip(x),
                    "down" if i % 25 == 0 else "up",
                    10,
                    0,
                    0,
                    5.0,
                    T0 + 3600,
                    Evidence("poll", "bench"),
                    "modbus",
                )
                for i, x in enumerate(plcs)
            )
            access.add_user(store, "bench", UserRole.ADMIN, time.time(), "bench pass phrase")
            _, token = access.create_token(store, "bench", "bench", None, time.time())
            alert_ids = [a.id for a in store.alerts()]
        print(f"stored on {args.backend} ({time.perf_counter() - began:.1f} s)")
        rng = random.Random(args.seed + 2)
        zones = [z.name for z in plant.zones if z.name.startswith("line-")]
        headers = {"Authorization": f"Bearer {token}"}
        with served(url) as base, httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            api = "/api/v1"
            cold = Measure("first request (catalog built)")
            page = timed(http, cold, "GET", f"{api}/assets", limit=100).json()
            assert page["total"] == len(inv.assets), page["total"]
            after = Measure("first page after an alert changes")
            for alert in alert_ids[: args.changes]:
                http.post(f"{api}/alerts/{alert}/acknowledge", json={}).raise_for_status()
                timed(http, after, "GET", f"{api}/assets", limit=100)
            vendors = sorted(PLC_MODELS)

            def search() -> dict[str, Any]:
                word = rng.choice(vendors).split()[0]
                return {"q": f"{word} 10.{rng.randrange(AREAS)}."}

            kinds: list[tuple[str, Callable[[], dict[str, Any]]]] = [
                ("assets: page of 100", lambda: {"offset": rng.randrange(100) * 100}),
                (
                    "assets: sorted by name, desc",
                    lambda: {"sort": "name", "order": "desc", "offset": rng.randrange(100) * 100},
                ),
                ("assets: zone and role", lambda: {"zone": rng.choice(zones), "role": "plc"}),
                ("assets: protocol and level", lambda: {"protocol": "modbus", "level": "2"}),
                (
                    "assets: alerted, by alerts",
                    lambda: {"alerted": "true", "sort": "alerts", "order": "desc"},
                ),
                ("assets: search, two words", search),
            ]
            warm: list[Measure] = []
            for label, params in kinds:
                measure = Measure(label)
                for _ in range(args.requests):
                    timed(http, measure, "GET", f"{api}/assets", limit=100, **params())
                warm.append(measure)
            for label, path, params in (
                ("topology: one zone", "topology", lambda: {"zone": rng.choice(zones)}),
                ("topology: one asset", "topology", lambda: {"asset": rng.choice(plcs)}),
                ("topology: level 2", "topology", lambda: {"level": "2"}),
                ("asset detail", "assets/{}", dict),
            ):
                measure = Measure(label)
                for _ in range(args.requests):
                    where = path.format(rng.choice(plcs))
                    timed(http, measure, "GET", f"{api}/{where}", **params())
                warm.append(measure)
            whole = Measure("topology: whole plant")
            for _ in range(5):
                timed(http, whole, "GET", f"{api}/topology")
            warm.append(whole)
        print(
            f"\nconsole API, {args.backend}, {len(inv.assets):,} assets, "
            f"{len(inv.links):,} links, one client, keep-alive:\n"
        )
        print("| request | n | p50 ms | p99 ms | max ms | answer KiB |")
        print("|---|---:|---:|---:|---:|---:|")
        for measure in (cold, after, *warm):
            print(measure.row())


if __name__ == "__main__":
    main()
