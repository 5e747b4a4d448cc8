"""What an asset's failure or isolation hits, and who can reach it from less-trusted zones.

Dependencies along a communication edge ``client -> server``:

- the client depends on the server for what it reads: **supervision** when
  the client is an HMI, SCADA server or engineering workstation (operators
  lose sight of the process), **data** otherwise (a historian, MES, an IT
  host).  Edges that carry only identify, diagnostic, session or exception
  operations make no dependency (an inventory tool asking a PLC who it is
  relies on nothing); undecoded traffic does (assume it matters);
- the server depends on the client for **control** when the client writes,
  controls or programs it (a PLC writing its I/O, an HMI writing set points).

``impact`` walks dependants transitively.  Loss of data flows to whoever
reads an affected asset; loss of control flows only out of the failed asset
and assets that lost their own control: an HMI that lost one PLC's values
still runs, and still writes the other PLCs it controls, so those are not
affected through it.  The kind of a path is its weakest hop (control >
supervision > data: a historian reading an HMI that lost its PLC lost data);
each affected asset gets the strongest kind any path gives it and, among
paths of that kind, a shortest one.  One breadth-first walk per kind
threshold finds exactly that (a single walk with a combined order would not:
a longer control path can pass through a node that a shorter data path
reached first).

Modes: ``fail`` (the asset stops: its clients lose it, what it controls loses
its controller, and every process attached to it is hit directly) and
``isolate`` (every edge of it is cut, the asset keeps running: the same
dependants, and the asset itself is affected only by what it depended on
from its neighbours, so a PLC running local I/O that is cut off blinds its
HMI but still runs its line).

A process is hit through every affected asset attached to it (declared or
inferred), with kind = min(path kind, what the asset is to the process:
control for controllers, I/O and unknown devices, supervision for HMIs,
SCADA servers and engineering workstations, data for the rest); processes
are ranked by criticality, then kind, then path length.

``exposure`` lists the paths along communication edges (who initiates to
whom, i.e. who can reach whom) from assets in less-trusted zones (higher
``ZoneSpec.trust_rank``; an asset in no zone counts as least trusted) to the
target, shortest first.  One reverse breadth-first walk from the target
gives every node's distance to it; an A* enumeration of simple paths from
the sources with that exact distance as heuristic then yields paths in
length order, touching little beyond the paths it returns.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

import networkx as nx

from otm.model.plant import Attachment, PlantMap, Source


class DependencyKind(StrEnum):
    """What a dependant loses when what it depends on goes."""

    CONTROL = "control"  # it is written, controlled or programmed by it
    SUPERVISION = "supervision"  # operators watch the process through it
    DATA = "data"  # it reads data from it

    @property
    def strength(self) -> int:
        """Higher is worse for the process: control 3, supervision 2, data 1."""
        return _STRENGTH[self]


_STRENGTH = {DependencyKind.CONTROL: 3, DependencyKind.SUPERVISION: 2, DependencyKind.DATA: 1}
_BY_STRENGTH = sorted(DependencyKind, key=lambda k: -_STRENGTH[k])

MODES = ("fail", "isolate")
"""``fail``: the asset stops; ``isolate``: it is cut from the network."""

SUPERVISORY_ROLES = frozenset({"hmi", "scada-server", "engineering-workstation"})
"""Clients whose reads are supervision rather than data."""

DATA_ROLES = frozenset({"historian", "it-host", "network-device"})
"""Assets that are data to the processes they are attached to."""

CONTROL_CATEGORIES = frozenset({"write", "control", "program"})
"""Categories by which a client controls its server."""

LIGHT_CATEGORIES = frozenset({"identify", "diagnostic", "session", "exception"})
"""Categories that make no dependency on their own."""

UNZONED_TRUST = 9.0
"""Trust rank of an asset in no zone: least trusted, like a zone with no level."""

MAX_EXPANSIONS = 200_000
"""Partial paths ``exposure`` may expand before giving up on more paths: the
A* heuristic is exact, so expansions beyond the returned paths happen only
where simple-path constraints close a branch; this bounds a pathological
graph to well under a second (about 1 us of heap work each)."""


# -- impact ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AffectedAsset:
    """An asset that loses something, with the dependency path that explains it.

    ``path`` runs from the failed (or isolated) asset to this one, ids;
    ``names`` is the same path as display names.
    """

    asset: str
    name: str
    kind: DependencyKind
    path: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AffectedProcess:
    """A process hit, through which attached asset, and by which path.

    ``asset`` is the attached asset the hit goes through (the failed asset
    itself when ``path`` has one element); ``source`` and ``reason`` are its
    attachment's; ``length`` is the number of dependency hops.
    """

    process: str
    criticality: int
    kind: DependencyKind
    path: tuple[str, ...]
    names: tuple[str, ...]
    asset: str
    source: Source
    reason: str

    @property
    def length(self) -> int:
        """Dependency hops from the failed asset to the attached one."""
        return len(self.path) - 1


@dataclass
class ImpactReport:
    """What failing or isolating ``asset`` hits (module docstring).

    ``affected`` excludes the asset itself in ``fail`` mode; in ``isolate``
    mode it includes it (path of one) when it depended on a neighbour.
    Affected assets are ordered by kind, path length, name; processes by
    criticality, kind, path length, name.
    """

    asset: str
    name: str
    mode: str
    affected: list[AffectedAsset] = field(default_factory=list)
    processes: list[AffectedProcess] = field(default_factory=list)


def impact(graph: nx.DiGraph, plant: PlantMap, asset: str, mode: str = "fail") -> ImpactReport:
    """The assets and processes hit when ``asset`` fails or is isolated.

    Raises KeyError for an asset not in the graph, ValueError for a mode
    other than ``fail`` or ``isolate``.
    """
    if mode not in MODES:
        raise ValueError(f"unknown impact mode {mode!r}: expected one of {', '.join(MODES)}")
    if asset not in graph:
        raise KeyError(asset)
    name = _namer(graph, plant)
    reached = _walk(graph, asset)
    report = ImpactReport(asset, name(asset), mode)
    for node, (kind, path) in reached.items():
        report.affected.append(AffectedAsset(node, name(node), kind, path, _names(path, name)))
    root_kind: DependencyKind | None = _role_kind(graph, asset)
    if mode == "isolate":
        lost = _own_dependency(graph, asset)
        root_kind = None if lost is None else _weaker(lost, _role_kind(graph, asset))
        if lost is not None:
            report.affected.append(
                AffectedAsset(asset, name(asset), lost, (asset,), (name(asset),))
            )
    report.affected.sort(key=lambda a: (-a.kind.strength, len(a.path), a.name, a.asset))
    report.processes = _processes(graph, plant, asset, root_kind, reached, name)
    return report


def _walk(graph: nx.DiGraph, root: str) -> dict[str, tuple[DependencyKind, tuple[str, ...]]]:
    """Every dependant of ``root``: its strongest kind and a shortest path of that kind.

    Pass one follows control edges only; every asset it reaches has lost
    its control.  The supervision pass follows supervisory readers, the data
    pass every reader, both from any reached asset, and control edges only
    out of the root and the assets of pass one.  Each node's dependants are
    worked out once per call (``_Dependants``) and reused by the passes.
    """
    deps = _Dependants(graph)
    best: dict[str, tuple[DependencyKind, tuple[str, ...]]] = {}
    parent: dict[str, str] = {root: root}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for dependant in deps.driven(node):
            if dependant not in parent:
                parent[dependant] = node
                queue.append(dependant)
                best[dependant] = (DependencyKind.CONTROL, _path(parent, dependant))
    controlled = set(parent)
    for kind in (DependencyKind.SUPERVISION, DependencyKind.DATA):
        parent = {root: root}
        queue = deque([root])
        while queue:
            node = queue.popleft()
            supervisors, readers = deps.readers(node)
            groups = [supervisors] if kind is DependencyKind.SUPERVISION else [supervisors, readers]
            if node in controlled:
                groups.append(deps.driven(node))
            for group in groups:
                for dependant in group:
                    if dependant not in parent:
                        parent[dependant] = node
                        queue.append(dependant)
                        if dependant not in best:
                            best[dependant] = (kind, _path(parent, dependant))
    return best


def _path(parent: dict[str, str], node: str) -> tuple[str, ...]:
    out = [node]
    while parent[node] != node:
        node = parent[node]
        out.append(node)
    return tuple(reversed(out))


class _Dependants:
    """Memo of each node's direct dependants: the clients that read it
    (supervisory ones apart from the rest) and the servers it controls.

    Reads networkx's adjacency dicts (``_pred``, ``_succ``, ``_node``, the
    same ones its own algorithms use) instead of the public views: the views
    wrap every item access, which tripled the cost of a walk over the
    100,000-link benchmark plant.  The lists are built only when a walk
    needs them: the data pass never asks for the servers of an asset that
    kept its control, half of the edges of a large walk.
    """

    def __init__(self, graph: nx.DiGraph) -> None:
        self._pred: dict[str, dict[str, dict[str, object]]] = graph._pred
        self._succ: dict[str, dict[str, dict[str, object]]] = graph._succ
        self._node: dict[str, dict[str, object]] = graph._node
        self._readers: dict[str, tuple[list[str], list[str]]] = {}
        self._driven: dict[str, list[str]] = {}

    def readers(self, node: str) -> tuple[list[str], list[str]]:
        """(supervisory clients, other clients) that depend on ``node``."""
        found = self._readers.get(node)
        if found is None:
            attrs = self._node
            supervisors: list[str] = []
            others: list[str] = []
            for client, data in self._pred[node].items():
                if not data.get("categories") or _carries(data):
                    role = attrs[client].get("role")
                    (supervisors if role in SUPERVISORY_ROLES else others).append(client)
            found = self._readers[node] = (supervisors, others)
        return found

    def driven(self, node: str) -> list[str]:
        """Servers that ``node`` writes, controls or programs."""
        found = self._driven.get(node)
        if found is None:
            found = self._driven[node] = [
                server
                for server, data in self._succ[node].items()
                if data.get("categories") and _controls(data)
            ]
        return found


def dependants(
    graph: nx.DiGraph, node: str, control: bool = True
) -> Iterator[tuple[str, DependencyKind]]:
    """The assets that depend on ``node`` directly, each with how (module docstring).

    ``control=False`` leaves out the servers ``node`` controls (it still
    runs and still controls them; it only lost data).  An asset that both
    reads from and is controlled by ``node`` is yielded twice, once per kind.
    """
    deps = _Dependants(graph)
    supervisors, others = deps.readers(node)
    for client in supervisors:
        yield client, DependencyKind.SUPERVISION
    for client in others:
        yield client, DependencyKind.DATA
    if control:
        for server in deps.driven(node):
            yield server, DependencyKind.CONTROL


def _carries(data: dict[str, object]) -> bool:
    """Does the client of this edge depend on its server? (not a mere glance)

    Undecoded traffic (no categories) does; so does any category that is
    not in ``LIGHT_CATEGORIES``.
    """
    categories = data.get("categories")
    if not categories or not isinstance(categories, dict):
        return True
    counted = [c for c, n in categories.items() if n]
    return not counted or any(c not in LIGHT_CATEGORIES for c in counted)


def _controls(data: dict[str, object]) -> bool:
    """Does the server of this edge depend on its client for control?"""
    categories = data.get("categories")
    if not categories or not isinstance(categories, dict):
        return False
    return any(n and c in CONTROL_CATEGORIES for c, n in categories.items())


def _own_dependency(graph: nx.DiGraph, asset: str) -> DependencyKind | None:
    """The strongest thing an isolated asset loses from its neighbours, or None."""
    if any(_controls(data) for data in graph.pred[asset].values()):
        return DependencyKind.CONTROL
    if any(_carries(data) for data in graph.succ[asset].values()):
        role = graph.nodes[asset].get("role")
        return DependencyKind.SUPERVISION if role in SUPERVISORY_ROLES else DependencyKind.DATA
    return None


def _role_kind(graph: nx.DiGraph, asset: str) -> DependencyKind:
    """What an attached asset is to its process, by its role (module docstring)."""
    role = graph.nodes[asset].get("role")
    if role in SUPERVISORY_ROLES:
        return DependencyKind.SUPERVISION
    if role in DATA_ROLES:
        return DependencyKind.DATA
    return DependencyKind.CONTROL


def _weaker(a: DependencyKind, b: DependencyKind) -> DependencyKind:
    return a if a.strength <= b.strength else b


def _processes(
    graph: nx.DiGraph,
    plant: PlantMap,
    root: str,
    root_kind: DependencyKind | None,
    reached: dict[str, tuple[DependencyKind, tuple[str, ...]]],
    name: Callable[[str], str],
) -> list[AffectedProcess]:
    """Processes attached to the root or an affected asset, best hit each, ranked.

    An asset that lost its control cannot run: every process it serves is hit.
    An asset that lost only data or supervision keeps serving its other
    processes: through it, only a process that something upstream on its
    dependency path also serves is hit (an HMI watching lines 3 and 4 that
    loses line 3's PLC still supervises line 4).
    """
    serves: dict[str, set[str]] = {}
    for att in plant.attachments:
        serves.setdefault(att.asset, set()).add(att.process)
    by_asset: dict[str, list[Attachment]] = {}
    for att in plant.attachments:
        if att.asset == root or att.asset in reached:
            by_asset.setdefault(att.asset, []).append(att)
    hits: dict[str, AffectedProcess] = {}

    def consider(att: Attachment, kind: DependencyKind, path: tuple[str, ...]) -> None:
        spec = plant.processes.get(att.process)
        criticality = spec.criticality if spec is not None else 3
        hit = AffectedProcess(
            att.process,
            criticality,
            _weaker(kind, _role_kind(graph, att.asset)),
            path,
            _names(path, name),
            att.asset,
            att.source,
            att.reason,
        )
        old = hits.get(att.process)
        if old is None or _hit_key(hit) < _hit_key(old):
            hits[att.process] = hit

    if root_kind is not None:
        for att in by_asset.get(root, []):
            consider(att, root_kind, (root,))
    for node, (kind, path) in reached.items():
        upstream: set[str] = set()
        if kind is not DependencyKind.CONTROL:
            for hop in path[:-1]:
                upstream |= serves.get(hop, set())
        for att in by_asset.get(node, []):
            if kind is DependencyKind.CONTROL or att.process in upstream:
                consider(att, kind, path)
    return sorted(hits.values(), key=lambda h: (-h.criticality, *_hit_key(h)))


def _hit_key(hit: AffectedProcess) -> tuple[int, int, tuple[str, ...]]:
    return (-hit.kind.strength, len(hit.path), hit.names)


def _namer(graph: nx.DiGraph, plant: PlantMap) -> Callable[[str], str]:
    def name(node: str) -> str:
        given = plant.names.get(node)
        if given:
            return given
        return str(graph.nodes[node].get("name") or node) if node in graph else node

    return name


def _names(path: tuple[str, ...], name: Callable[[str], str]) -> tuple[str, ...]:
    return tuple(name(n) for n in path)


# -- exposure ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hop:
    """One communication edge of an exposure path: who initiates to whom, over what."""

    client: str
    server: str
    client_name: str
    server_name: str
    client_zone: str
    server_zone: str
    protocols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ExposurePath:
    """A way from an asset of a less-trusted zone to the target, hop by hop."""

    source: str
    source_zone: str
    source_trust: float
    hops: tuple[Hop, ...]

    @property
    def assets(self) -> tuple[str, ...]:
        """The asset ids along the path, source first, target last."""
        return (self.source, *(h.server for h in self.hops))

    @property
    def names(self) -> tuple[str, ...]:
        """The display names along the path."""
        return (self.hops[0].client_name, *(h.server_name for h in self.hops))


@dataclass
class ExposureReport:
    """Paths into ``asset`` from less-trusted zones (module docstring).

    ``sources`` counts every less-trusted asset that can reach the target
    by some path, capped or not, per zone in ``sources_by_zone``;
    ``truncated`` says the path list stopped at ``max_paths`` (or at the
    expansion bound) while more paths may exist.
    """

    asset: str
    name: str
    zone: str
    trust: float
    paths: list[ExposurePath] = field(default_factory=list)
    sources: int = 0
    sources_by_zone: dict[str, int] = field(default_factory=dict)
    truncated: bool = False


def exposure(graph: nx.DiGraph, plant: PlantMap, asset: str, max_paths: int = 50) -> ExposureReport:
    """Paths along which assets of less-trusted zones reach ``asset``, shortest first.

    Raises KeyError for an asset not in the graph.
    """
    if asset not in graph:
        raise KeyError(asset)
    name = _namer(graph, plant)
    zone_of = _zone_lookup(plant)
    zone, trust = zone_of(asset)
    report = ExposureReport(asset, name(asset), zone, trust)
    distance = _distances_to(graph, asset)
    sources: list[tuple[float, str]] = []
    for node in distance:
        node_zone, node_trust = zone_of(node)
        if node != asset and node_trust > trust:
            sources.append((node_trust, node))
            report.sources_by_zone[node_zone] = report.sources_by_zone.get(node_zone, 0) + 1
    report.sources = len(sources)
    report.sources_by_zone = dict(sorted(report.sources_by_zone.items()))
    if max_paths <= 0 or not sources:
        report.truncated = bool(sources) and max_paths <= 0
        return report
    found, report.truncated = _shortest_paths(graph, asset, distance, sources, max_paths)
    for path in found:
        src_zone, src_trust = zone_of(path[0])
        hops = tuple(_hop(graph, a, b, name, zone_of) for a, b in pairwise(path))
        report.paths.append(ExposurePath(path[0], src_zone, src_trust, hops))
    return report


def _zone_lookup(plant: PlantMap) -> Callable[[str], tuple[str, float]]:
    trust = {name: spec.trust_rank for name, spec in plant.zones.items()}

    def zone_of(node: str) -> tuple[str, float]:
        member = plant.membership.get(node)
        if member is None:
            return "", UNZONED_TRUST
        return member.zone, trust.get(member.zone, UNZONED_TRUST)

    return zone_of


def _distances_to(graph: nx.DiGraph, target: str) -> dict[str, int]:
    """Hops from every asset that can reach ``target`` along edges, to it."""
    pred: dict[str, dict[str, object]] = graph._pred  # plain dicts: see _Dependants
    distance = {target: 0}
    queue = deque([target])
    while queue:
        node = queue.popleft()
        step = distance[node] + 1
        for client in pred[node]:
            if client not in distance:
                distance[client] = step
                queue.append(client)
    return distance


def _shortest_paths(
    graph: nx.DiGraph,
    target: str,
    distance: dict[str, int],
    sources: list[tuple[float, str]],
    max_paths: int,
) -> tuple[list[tuple[str, ...]], bool]:
    """Simple paths source -> target in order of length (then least-trusted
    source first, then ids), at most ``max_paths``; and whether it stopped early."""
    heap: list[tuple[int, float, tuple[str, ...]]] = [
        (distance[node], -node_trust, (node,)) for node_trust, node in sources
    ]
    heapq.heapify(heap)
    succ: dict[str, dict[str, object]] = graph._succ  # plain dicts: see _Dependants
    found: list[tuple[str, ...]] = []
    expansions = 0
    while heap:
        if len(found) >= max_paths or expansions >= MAX_EXPANSIONS:
            return found, True
        _, neg_trust, path = heapq.heappop(heap)
        node = path[-1]
        if node == target:
            found.append(path)
            continue
        expansions += 1
        for server in succ[node]:
            if server in distance and server not in path:
                heapq.heappush(heap, (len(path) + distance[server], neg_trust, (*path, server)))
    return found, False


def _hop(
    graph: nx.DiGraph,
    client: str,
    server: str,
    name: Callable[[str], str],
    zone_of: Callable[[str], tuple[str, float]],
) -> Hop:
    protocols = tuple(sorted(graph.edges[client, server].get("protocols", ())))
    return Hop(
        client,
        server,
        name(client),
        name(server),
        zone_of(client)[0],
        zone_of(server)[0],
        protocols,
    )
