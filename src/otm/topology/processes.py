"""Which assets run or support each production process, and why.

An ``Attachment`` ties an asset to an ISA-95 process (``ProcessSpec``).
Declared attachments come from the process's selectors; inferred ones follow
traffic from a declared asset, one hop, and record the hop (``via``) and the
rule in their reason, so a reviewer can check each by hand.

Declared: every asset any selector of the process names; the reason is the
first selector (in file order) that names it.  A declared attachment wins
over any inference for the same (asset, process).

Inferred, only from *anchors*: assets declared for a process of kind line,
cell or unit (the processes that machines run), or for a process of any kind
when the configuration has no line, cell or unit at all.  Declaring a whole
site or area by subnet must not make every HMI that polls one PLC of it a
supporter of the whole site through that PLC; a line is where "the HMI of
this PLC supports this process" holds.

``supports``
    A client that reads, writes, controls or programs a declared controller
    (plc, rtu, io-module) of the process supports it: an HMI, SCADA server,
    historian or engineering workstation that polls the line's PLC.  Not:

    - a controller, I/O module or network device as the client (a PLC
      reading another line's PLC depends on it; it does not supervise it;
      impact follows that dependency through the graph instead);
    - a client whose traffic to the controller carries only identify,
      diagnostic, session or exception operations (an asset-inventory tool,
      a discovery sweep), or fewer than ``FEW_PACKETS`` packets with no
      operation or only ones the codec could not name (``other``: a port
      scan, a probe);
    - a *sweeper*: a client that touches declared controllers of at least
      ``SWEEP_PROCESSES`` processes does not support those whose controllers
      it exchanged fewer than ``FEW_PACKETS`` packets with, even with reads.
      A scanner reading one register from every PLC supports no process; a
      SCADA server polling every PLC all day supports them all.
``belongs``
    A server that a declared PLC or RTU (the client) reads, writes, controls
    or programs belongs to the process: I/O modules, drives, sub-controllers.
    Not IT hosts or network devices (time, name and file servers that every
    controller uses serve the plant, not one line), and not by a glance
    (the same test as for ``supports``).
``chain``
    The one exception to "one hop": a controller attached by ``belongs`` that
    is itself a client of I/O modules takes them along (PLC -> I/O).  Nothing
    else chains: the HMI of an inferred PLC, or a PLC an inferred HMI polls,
    is not attached (direction matters: a controller polled by a process's
    HMI is not thereby part of the process).

An asset may support several processes; each (asset, process) pair is
attached once, by the shortest explanation (then the heaviest edge).
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import networkx as nx

from otm.model.assets import Asset, Inventory
from otm.model.plant import Attachment, PlantConfig, ProcessSpec, Selector, Source
from otm.topology.graph import display_name

ANCHOR_KINDS = frozenset({"line", "cell", "unit"})
"""Process kinds whose declared assets anchor inference (module docstring)."""

CONTROLLER_ROLES = frozenset({"plc", "rtu", "io-module"})
"""Declared assets whose clients ``supports`` considers."""

PLC_ROLES = frozenset({"plc", "rtu"})
"""Declared (or chained) clients whose servers ``belongs`` attaches."""

IO_ROLES = frozenset({"io-module"})
"""Servers a chained controller takes along (PLC -> I/O)."""

NOT_SUPPORTERS = frozenset({"plc", "rtu", "io-module", "network-device"})
"""Client roles that never support a process by polling its controller."""

INFRASTRUCTURE_ROLES = frozenset({"it-host", "network-device"})
"""Server roles a PLC uses without them belonging to its process."""

SUBSTANTIVE = ("program", "control", "write", "read")
"""Operation categories that make a dependency, strongest first."""

FEW_PACKETS = 20
"""Below this many packets an edge is a glance, not a use: a Modbus or S7
identification round with its TCP handshake is 8 to 16 packets, while one
minute of polling at 1 s is 120.  Short captures of a real HMI can fall
under it, so it only refuses sweepers and undecoded traffic."""

SWEEP_PROCESSES = 3
"""A client touching declared controllers of this many processes is a
sweeper unless its traffic with each is more than a glance; two lines can
share an HMI, three or more sharing a light-touch client is a tool."""

_Namer = Callable[[str], str]
"""A node id -> its role or display name."""


@dataclass(frozen=True, slots=True)
class _Candidate:
    """One inferred (asset, process) explanation, before the best is kept."""

    asset: str
    process: str
    reason: str
    via: tuple[str, ...]
    weight: float


def attach(
    inv: Inventory,
    graph: nx.DiGraph,
    config: PlantConfig,
    names: dict[str, str],
    tags: dict[str, frozenset[str]],
) -> list[Attachment]:
    """Every (asset, process) attachment, declared then inferred (module docstring).

    ``names`` is asset id -> display name (for ``name``/``pattern``
    selectors and reasons), ``tags`` asset id -> the user tags naming it.
    Sorted by process in configuration order, declared first, then asset id.
    """
    processes = _unique(config.processes)
    declared = _declared(inv, processes, names, tags)
    anchors = _anchor_processes(processes)
    members: dict[str, set[str]] = {}  # process -> declared asset ids
    for asset_id, process in declared:
        members.setdefault(process, set()).add(asset_id)
    best: dict[tuple[str, str], _Candidate] = {}
    for cand in _inferred(graph, names, anchors, members):
        key = (cand.asset, cand.process)
        if key in declared:
            continue
        old = best.get(key)
        if old is None or _better(cand, old):
            best[key] = cand
    order = {p.name: i for i, p in enumerate(processes)}
    out = list(declared.values())
    out += [Attachment(c.asset, c.process, Source.INFERRED, c.reason, c.via) for c in best.values()]
    out.sort(key=lambda a: (order.get(a.process, len(order)), a.source is Source.INFERRED, a.asset))
    return out


def _unique(processes: Iterable[ProcessSpec]) -> list[ProcessSpec]:
    """Processes by name, first definition wins (the loader rejects duplicates)."""
    seen: dict[str, ProcessSpec] = {}
    for proc in processes:
        seen.setdefault(proc.name, proc)
    return list(seen.values())


def _anchor_processes(processes: list[ProcessSpec]) -> set[str]:
    """Processes whose declared assets anchor inference."""
    lines = {p.name for p in processes if p.kind in ANCHOR_KINDS}
    return lines or {p.name for p in processes}


def _better(new: _Candidate, old: _Candidate) -> bool:
    """Shorter explanation first, then the heavier edge, then a stable order."""
    return (len(new.via), -new.weight, new.via) < (len(old.via), -old.weight, old.via)


# -- declared -----------------------------------------------------------------


@dataclass
class _Index:
    """Lookups so that selectors do not scan every asset for every process
    (10,000 assets x hundreds of processes, and a ``cidr`` test parses its
    network on every call): exact keys for ``id``/``ip``/``mac``/``name``/
    ``tag``/``role``, sorted integer addresses for ``cidr``; ``pattern``
    scans.  ``Selector.matches`` stays the judge of every candidate."""

    by_ip: dict[str, list[Asset]]
    by_mac: dict[str, list[Asset]]
    by_name: dict[str, list[Asset]]
    by_tag: dict[str, list[Asset]]
    by_role: dict[str, list[Asset]]
    addresses: dict[int, tuple[list[int], list[Asset]]]  # IP version -> sorted

    @classmethod
    def of(cls, inv: Inventory, names: dict[str, str], tags: dict[str, frozenset[str]]) -> _Index:
        index = cls({}, {}, {}, {}, {}, {})
        numbered: dict[int, list[tuple[int, str, Asset]]] = {}
        for asset in inv.assets.values():
            for ip in asset.ips:
                index.by_ip.setdefault(ip, []).append(asset)
                try:
                    addr = ipaddress.ip_address(ip)
                except ValueError:
                    continue
                numbered.setdefault(addr.version, []).append((int(addr), asset.id, asset))
            for mac in asset.macs:
                index.by_mac.setdefault(mac.lower(), []).append(asset)
            index.by_name.setdefault(_name(asset, names).lower(), []).append(asset)
            for tag in tags.get(asset.id, ()):
                index.by_tag.setdefault(tag, []).append(asset)
            index.by_role.setdefault(asset.role.value, []).append(asset)
        for version, rows in numbered.items():
            rows.sort(key=lambda row: (row[0], row[1]))
            index.addresses[version] = ([r[0] for r in rows], [r[2] for r in rows])
        return index

    def in_network(self, value: str) -> list[Asset]:
        """Assets with an address in the network ``value`` (none if it is not one)."""
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return []
        ints, assets = self.addresses.get(net.version, ([], []))
        lo = bisect.bisect_left(ints, int(net.network_address))
        hi = bisect.bisect_right(ints, int(net.broadcast_address))
        return list({a.id: a for a in assets[lo:hi]}.values())


def _name(asset: Asset, names: dict[str, str]) -> str:
    return names.get(asset.id) or display_name(asset)


def _declared(
    inv: Inventory,
    processes: list[ProcessSpec],
    names: dict[str, str],
    tags: dict[str, frozenset[str]],
) -> dict[tuple[str, str], Attachment]:
    """(asset, process) -> the declared attachment, by the first selector naming it."""
    index = _Index.of(inv, names, tags)
    out: dict[tuple[str, str], Attachment] = {}
    for proc in processes:
        for selector in proc.selectors:
            for asset in _candidates(selector, inv, index):
                key = (asset.id, proc.name)
                if key in out:
                    continue
                if selector.matches(asset, _name(asset, names), tags.get(asset.id, frozenset())):
                    out[key] = Attachment(
                        asset.id, proc.name, Source.DECLARED, f"selector {selector}"
                    )
    return out


def _candidates(selector: Selector, inv: Inventory, index: _Index) -> Iterable[Asset]:
    """Assets the selector may name (a superset; ``matches`` decides)."""
    if selector.kind == "id":
        asset = inv.assets.get(selector.value)
        return [asset] if asset is not None else []
    if selector.kind == "ip":
        return index.by_ip.get(selector.value, [])
    if selector.kind == "mac":
        return index.by_mac.get(selector.value.lower(), [])
    if selector.kind == "name":
        return index.by_name.get(selector.value.lower(), [])
    if selector.kind == "tag":
        return index.by_tag.get(selector.value, [])
    if selector.kind == "role":
        return index.by_role.get(selector.value, [])
    if selector.kind == "cidr":
        return index.in_network(selector.value)
    return inv.assets.values()


# -- inferred -----------------------------------------------------------------


def _ops(data: dict[str, object]) -> tuple[str, ...] | None:
    """What makes an edge a use: its substantive categories (strongest
    first); else ``("other",)`` for operations the codec could not name, or
    ``()`` for traffic without decoded operations, when there are at least
    ``FEW_PACKETS`` packets of it; None when the edge is only a glance
    (identify, diagnostic, session or exception alone, or a few packets)."""
    categories = data.get("categories")
    cats = {c for c, n in categories.items() if n} if isinstance(categories, dict) else set()
    found = tuple(c for c in SUBSTANTIVE if c in cats)
    if found:
        return found
    if cats and "other" not in cats:
        return None
    packets = data.get("packets")
    if not isinstance(packets, int) or packets < FEW_PACKETS:
        return None
    return ("other",) if cats else ()


def _describe(graph: nx.DiGraph, client: str, server: str, ops: tuple[str, ...]) -> str:
    data = graph.edges[client, server]
    what = ", ".join(ops) if ops else "traffic without decoded operations"
    protocols = ", ".join(sorted(data.get("protocols", ()))) or "unknown protocol"
    return f"{what} over {protocols}, {data.get('packets', 0)} packets"


def _inferred(
    graph: nx.DiGraph,
    names: dict[str, str],
    anchors: set[str],
    members: dict[str, set[str]],
) -> Iterable[_Candidate]:
    """Every inferred explanation from the anchors' declared assets."""

    def role(node: str) -> str:
        return str(graph.nodes[node].get("role", "unknown"))

    def name(node: str) -> str:
        return names.get(node) or str(graph.nodes[node].get("name", node))

    controllers: dict[str, set[str]] = {}  # declared controller -> its anchor processes
    for process in anchors:
        for asset in members.get(process, ()):
            if asset in graph and role(asset) in CONTROLLER_ROLES:
                controllers.setdefault(asset, set()).add(process)
    breadth = _breadth(graph, controllers)

    for process in sorted(anchors):
        declared = members.get(process, set())
        for anchor in sorted(declared):
            if anchor not in graph:
                continue
            anchor_role = role(anchor)
            if anchor_role in CONTROLLER_ROLES:
                yield from _supporters(graph, process, anchor, declared, breadth, role, name)
            if anchor_role in PLC_ROLES:
                yield from _belongs(graph, process, anchor, declared, role, name)


def _breadth(graph: nx.DiGraph, controllers: dict[str, set[str]]) -> dict[str, int]:
    """Client -> how many anchor processes' declared controllers it touches."""
    touched: dict[str, set[str]] = {}
    for controller, processes in controllers.items():
        for client in graph.predecessors(controller):
            touched.setdefault(client, set()).update(processes)
    return {client: len(procs) for client, procs in touched.items()}


def _supporters(
    graph: nx.DiGraph,
    process: str,
    controller: str,
    declared: set[str],
    breadth: dict[str, int],
    role: _Namer,
    name: _Namer,
) -> Iterable[_Candidate]:
    """``supports``: clients of a declared controller (module docstring)."""
    for client in sorted(graph.predecessors(controller)):
        if client in declared or role(client) in NOT_SUPPORTERS:
            continue
        data = graph.edges[client, controller]
        ops = _ops(data)
        if ops is None:
            continue
        packets = data.get("packets", 0)
        if breadth.get(client, 0) >= SWEEP_PROCESSES and packets < FEW_PACKETS:
            continue
        reason = (
            f"supports: polls {name(controller)} ({role(controller)}, declared for the "
            f"process): {_describe(graph, client, controller, ops)}"
        )
        yield _Candidate(client, process, reason, (client, controller), _weight(data))


def _belongs(
    graph: nx.DiGraph,
    process: str,
    plc: str,
    declared: set[str],
    role: _Namer,
    name: _Namer,
) -> Iterable[_Candidate]:
    """``belongs`` and its ``chain``: servers of a declared PLC (module docstring)."""
    for server in sorted(graph.successors(plc)):
        if server in declared or role(server) in INFRASTRUCTURE_ROLES:
            continue
        data = graph.edges[plc, server]
        ops = _ops(data)
        if ops is None:
            continue
        reason = (
            f"belongs: {name(plc)} ({role(plc)}, declared for the process) uses it: "
            f"{_describe(graph, plc, server, ops)}"
        )
        yield _Candidate(server, process, reason, (server, plc), _weight(data))
        if role(server) not in PLC_ROLES:
            continue
        for io in sorted(graph.successors(server)):
            if io in declared or io == plc or role(io) not in IO_ROLES:
                continue
            io_data = graph.edges[server, io]
            io_ops = _ops(io_data)
            if io_ops is None:
                continue
            reason = (
                f"chain: {name(server)} ({role(server)}, attached through {name(plc)}) "
                f"uses this I/O: {_describe(graph, server, io, io_ops)}"
            )
            yield _Candidate(io, process, reason, (io, server, plc), _weight(io_data))


def _weight(data: dict[str, object]) -> float:
    weight = data.get("weight", 0.0)
    return float(weight) if isinstance(weight, int | float) else 0.0
